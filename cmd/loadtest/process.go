package main

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
)

// processStats are what the API's /metrics says of its process: its
// resident memory and its goroutines.
type processStats struct {
	rss        float64 // bytes
	goroutines float64
}

// readProcess reads the API's process gauges from its /metrics; ok is false
// when the API exposes none.
func (h *harness) readProcess(ctx context.Context) (processStats, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.o.target+"/metrics", nil)
	if err != nil {
		return processStats{}, false
	}
	res, err := h.client.Do(req)
	if err != nil {
		return processStats{}, false
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return processStats{}, false
	}
	var s processStats
	found := 0
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			s.rss, found = v, found+1
		case "go_goroutines":
			s.goroutines, found = v, found+1
		}
	}
	return s, found == 2
}

// watchProcess samples the API's process on every tick and keeps the most
// memory it held.
type watchProcess struct {
	maxRSS  float64
	sampled bool
}

func (w *watchProcess) sample(ctx context.Context, h *harness) {
	if s, ok := h.readProcess(ctx); ok {
		w.maxRSS, w.sampled = max(w.maxRSS, s.rss), true
	}
}
