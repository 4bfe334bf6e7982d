package filestore_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/filestore"
)

func TestTwoStoresOnOneDirectoryLoseNoUpdate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Two Stores, as two processes would have: each opens the lock files
	// itself, and flock excludes open files, not processes.
	stores := []*filestore.Store{newStore(t, dir), newStore(t, dir)}
	must(t, stores[0].Create(ctx, key(1), rec("0", time.Now().Add(time.Hour))))

	const updates = 60
	var wg sync.WaitGroup
	for i := range updates {
		wg.Go(func() {
			if err := stores[i%2].Update(ctx, key(1), increment); err != nil {
				t.Errorf("Update: %v", err)
			}
		})
	}
	wg.Wait()
	for _, st := range stores {
		wantData(t, st, key(1), strconv.Itoa(updates))
	}
	wantFiles(t, dir, prefix+key(1)) // and no lock file left behind
}

func TestProcessesLoseNoUpdate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := newStore(t, dir)
	must(t, st.Create(ctx, key(1), rec("0", time.Now().Add(time.Hour))))

	const processes, each = 3, 25
	var wg sync.WaitGroup
	for range processes {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessIncrements$", "-test.count=1")
			cmd.Env = append(os.Environ(), "FILESTORE_HELPER_DIR="+dir, "FILESTORE_HELPER_UPDATES="+strconv.Itoa(each))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("helper process: %v\n%s", err, out)
			}
		})
	}
	for range each {
		must(t, st.Update(ctx, key(1), increment))
	}
	wg.Wait()
	wantData(t, st, key(1), strconv.Itoa((processes+1)*each))
	wantFiles(t, dir, prefix+key(1))
}

// TestHelperProcessIncrements is the other process of
// TestProcessesLoseNoUpdate; run on its own, it does nothing.
func TestHelperProcessIncrements(t *testing.T) {
	dir := os.Getenv("FILESTORE_HELPER_DIR")
	if dir == "" {
		t.Skip("run by TestProcessesLoseNoUpdate")
	}
	n, err := strconv.Atoi(os.Getenv("FILESTORE_HELPER_UPDATES"))
	must(t, err)
	st := newStore(t, dir)
	for range n {
		must(t, st.Update(context.Background(), key(1), increment))
	}
}

func TestAWriteWaitsForTheLockUntilItsContextEnds(t *testing.T) {
	dir := t.TempDir()
	st := newStore(t, dir)
	later := time.Now().Add(time.Hour)
	must(t, st.Create(context.Background(), key(1), rec("before", later)))
	release := holdLock(t, dir, key(1))

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := st.Update(ctx, key(1), set("too late", later)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Update while another holds the lock: %v, want the context's deadline", err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("Update gave up after %v, before its deadline", waited)
	}
	wantData(t, st, key(1), "before")
	if _, found, err := st.Load(context.Background(), key(1)); !found || err != nil {
		t.Fatalf("Load waited for the lock or failed: found %v, err %v", found, err)
	}

	time.AfterFunc(50*time.Millisecond, release)
	must(t, st.Update(context.Background(), key(1), set("after", later)))
	wantData(t, st, key(1), "after")
}

// increment is an Edit that adds one to the number stored.
func increment(current string) (session.Record, error) {
	n, err := strconv.Atoi(current)
	return rec(strconv.Itoa(n+1), time.Now().Add(time.Hour)), err
}
