package main

import (
	"context"
	"log/slog"
	"maps"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/testdb"
)

// liveServer runs the program's serve, wired as in production, on a random
// loopback port and a fresh PostgreSQL database until the test ends, and
// returns its base URL. vars are added to (or replace) the environment it
// is configured from; passwords are hashed cheaply, so logins are fast.
func liveServer(t *testing.T, vars map[string]string) string {
	t.Helper()
	all := map[string]string{
		"DATABASE_URL":               testdb.PostgresURL(t),
		"SECRET_KEY":                 "live-test-secret-key",
		"LISTEN_ADDR":                "127.0.0.1:0",
		"PASSWORD_HASHER_ITERATIONS": "1000",
	}
	maps.Copy(all, vars)
	cfg, err := loadConfig(env(all))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- serve(ctx, cfg, logger, func(a net.Addr) { addrs <- a }) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addrs:
		return "http://" + a.String()
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("serve returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start listening")
	}
	return ""
}

// testLog writes the server's log into the test's.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
