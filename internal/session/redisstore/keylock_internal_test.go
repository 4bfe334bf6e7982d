package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestKeyLocksTakeTurnsPerKeyAndForgetKeysNoOneHolds(t *testing.T) {
	var l keyLocks
	ctx := context.Background()
	unlockA, err := l.lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// Another key is free meanwhile.
	unlockB, err := l.lock(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	unlockB()

	// The same key waits for its turn, and gives up when its context ends.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := l.lock(short, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second lock of a held key: %v, want it to wait until its deadline", err)
	}
	got := make(chan error)
	go func() {
		unlock, err := l.lock(ctx, "a")
		if err == nil {
			unlock()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("a second lock of a held key returned (%v) before the first was unlocked", err)
	case <-time.After(20 * time.Millisecond):
	}
	unlockA()
	if err := <-got; err != nil {
		t.Fatal(err)
	}

	if n := len(l.locks); n != 0 {
		t.Fatalf("%d keys still kept after every lock was given back", n)
	}
}
