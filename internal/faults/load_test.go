package faults_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// load is clients sending requests in a loop while the test injects a
// fault, their answers counted by the phase (before, during, after the
// fault) in which each request began and ended; one that spans two phases,
// in flight when the fault came or went, is counted apart, under
// "before→during".
type load struct {
	t     testing.TB
	phase atomic.Pointer[string]
	stop  chan struct{}
	wg    sync.WaitGroup

	mu     sync.Mutex
	phases []string
	counts map[string]map[int]int // phase → status (0: no answer) → requests
	took   map[string][]time.Duration
	odd    map[string][]answer // phase → a few answers other than 200, for the failure message
}

// step sends one request of worker w (its i-th) and returns the answer.
type step func(w, i int) answer

// startLoad starts workers goroutines that each run step until Stop, the
// first phase being named phase.
func startLoad(t testing.TB, workers int, phase string, do step) *load {
	l := &load{t: t, stop: make(chan struct{}), counts: map[string]map[int]int{}, took: map[string][]time.Duration{}, odd: map[string][]answer{}}
	l.Phase(phase)
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				start, t0 := *l.phase.Load(), time.Now()
				a := do(w, i)
				if end := *l.phase.Load(); end != start {
					start += "→" + end
				}
				l.add(start, a, time.Since(t0))
			}
		}()
	}
	return l
}

// Phase starts counting the requests that begin from now on under name.
func (l *load) Phase(name string) {
	l.phase.Store(&name)
}

// Run runs a phase of d.
func (l *load) Run(name string, d time.Duration) {
	l.Phase(name)
	time.Sleep(d)
}

// Stop stops the workers, waits for their last requests and logs the
// counts.
func (l *load) Stop() {
	close(l.stop)
	l.wg.Wait()
	l.t.Logf("answers by phase: %s", l)
}

func (l *load) add(phase string, a answer, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts[phase] == nil {
		l.phases = append(l.phases, phase)
		l.counts[phase] = map[int]int{}
	}
	l.counts[phase][a.status]++
	l.took[phase] = append(l.took[phase], took)
	if a.status != http.StatusOK && len(l.odd[phase]) < 5 {
		l.odd[phase] = append(l.odd[phase], a)
	}
}

// Count returns how many requests of phase got status (0: no answer).
func (l *load) Count(phase string, status int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[phase][status]
}

// Only fails the test unless every request of phase got one of statuses,
// and at least one got the first of them. Every 503 must be the error
// envelope saying unavailable.
func (l *load) Only(phase string, statuses ...int) {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.only(phase, statuses)
	if l.counts[phase][statuses[0]] == 0 {
		l.t.Errorf("phase %q: answers %v, want at least one %d", phase, l.counts[phase], statuses[0])
	}
}

// Spanning fails the test unless every request in flight at a change of
// phase got one of statuses.
func (l *load) Spanning(statuses ...int) {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.phases {
		if strings.Contains(p, "→") {
			l.only(p, statuses)
		}
	}
}

// Within fails the test unless every request of phase, if any, got one of
// statuses.
func (l *load) Within(phase string, statuses ...int) {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.only(phase, statuses)
}

func (l *load) only(phase string, statuses []int) {
	l.t.Helper()
	for status := range l.counts[phase] {
		if !slices.Contains(statuses, status) {
			l.t.Errorf("phase %q: answers %v, want only %v; for example: %v", phase, l.counts[phase], statuses, l.odd[phase])
			return
		}
	}
	for _, a := range l.odd[phase] {
		if a.status == http.StatusServiceUnavailable && a.code() != "unavailable" {
			l.t.Errorf("phase %q: a 503 that is not the envelope with code unavailable: %v", phase, a)
		}
	}
}

// String lists the counts of each phase, in order, with the median and
// slowest time to answer: "before: 200×812 (2ms, 31ms); outage: 503×97
// (1ms, 12ms); …".
func (l *load) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for i, p := range l.phases {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s:", p)
		statuses := make([]int, 0, len(l.counts[p]))
		for s := range l.counts[p] {
			statuses = append(statuses, s)
		}
		slices.Sort(statuses)
		for _, s := range statuses {
			fmt.Fprintf(&b, " %d×%d", s, l.counts[p][s])
		}
		took := slices.Sorted(slices.Values(l.took[p]))
		fmt.Fprintf(&b, " (%v, %v)", took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	}
	return b.String()
}
