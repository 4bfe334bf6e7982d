package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthcheckTimeout bounds one probe; Docker's own timeout should be longer.
const healthcheckTimeout = 3 * time.Second

// healthcheck asks the API listening on LISTEN_ADDR, on this machine, for
// path (/readyz unless given) and fails unless it answers 2xx. It is the
// container's health check: the final image has no shell and no curl.
func healthcheck(ctx context.Context, args []string, cfg Config, stdout io.Writer) error {
	path := "/readyz"
	switch {
	case len(args) == 1 && strings.HasPrefix(args[0], "/"):
		path = args[0]
	case len(args) > 0:
		return fmt.Errorf("usage: api healthcheck [/healthz|/readyz]")
	}
	url, err := localURL(cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", path, res.Status)
	}
	fmt.Fprintf(stdout, "GET %s: %s\n", path, res.Status)
	return nil
}

// localURL is the base URL of a server listening on addr, reached from the
// same machine: an address that listens on every interface is reached on
// loopback.
func localURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
