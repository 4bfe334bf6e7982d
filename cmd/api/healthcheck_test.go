package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
)

func TestHealthcheckAsksTheLocalServer(t *testing.T) {
	base := liveServer(t, nil)
	addr := strings.TrimPrefix(base, "http://")
	check := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(context.Background(), append([]string{"healthcheck"}, args...),
			env(map[string]string{"LISTEN_ADDR": addr}), nil, &out, io.Discard)
		return out.String(), err
	}

	for _, args := range [][]string{nil, {"/readyz"}, {"/healthz"}} {
		if out, err := check(args...); err != nil || !strings.HasSuffix(out, ": 200 OK\n") {
			t.Errorf("healthcheck %v: %v, printed %q; want success", args, err, out)
		}
	}
	if _, err := check("/nope"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("healthcheck /nope: %v, want a failure naming the 404", err)
	}
	if _, err := check("readyz"); err == nil {
		t.Error("healthcheck with a path that is not one succeeded")
	}
}

func TestHealthcheckFailsWhenNothingListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = run(context.Background(), []string{"healthcheck"}, env(map[string]string{"LISTEN_ADDR": addr}), nil, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("healthcheck succeeded with no server")
	}
}

func TestHealthcheckReachesAServerOnEveryInterfaceOverLoopback(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:8000":   "http://127.0.0.1:8000",
		":8000":          "http://127.0.0.1:8000",
		"[::]:8000":      "http://127.0.0.1:8000",
		"127.0.0.1:9000": "http://127.0.0.1:9000",
		"[::1]:8000":     "http://[::1]:8000",
		"api.local:80":   "http://api.local:80",
	} {
		if got, err := localURL(addr); err != nil || got != want {
			t.Errorf("localURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
}
