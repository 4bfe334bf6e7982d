package filestore_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestACrashedWriteLeavesFilesThatAreNeverReadAndAreCleanedUp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := newStore(t, dir)
	later := time.Now().Add(time.Hour)
	must(t, st.Create(ctx, key(1), rec("stored", later)))
	// What writes killed before their rename or link leave: an Update of
	// key 1 with its lock file, a Create of key 2, the lock file of key 3.
	writeFile(t, dir, prefix+key(1)+".tmp.123456", "unfinished update", later)
	writeFile(t, dir, prefix+key(1)+".lock", "", time.Now())
	writeFile(t, dir, prefix+key(2)+".tmp.654321", "unfinished create", later)
	writeFile(t, dir, prefix+key(3)+".lock", "", time.Now())

	wantData(t, st, key(1), "stored")
	wantNone(t, st, key(2))
	wantNone(t, st, key(3))

	n, err := st.DeleteExpired(ctx, time.Now(), 100)
	must(t, err)
	if n != 0 {
		t.Fatalf("DeleteExpired removed %d sessions, want 0: none has expired", n)
	}
	wantFiles(t, dir, prefix+key(1))

	// Key 1 works as before, its lock and its name free.
	must(t, st.Update(ctx, key(1), set("updated", later)))
	wantData(t, st, key(1), "updated")
	must(t, st.Create(ctx, key(2), rec("created", later)))
	wantData(t, st, key(2), "created")
}

func TestCleanUpLeavesAWriteInProgressAlone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := newStore(t, dir)
	must(t, st.Create(ctx, key(1), rec("expired", time.Now().Add(-time.Hour))))
	// Another process is writing key 1: it holds the lock and has its
	// temporary file, soon to be renamed over the expired one.
	release := holdLock(t, dir, key(1))
	writeFile(t, dir, prefix+key(1)+".tmp.123456", "renewed", time.Now().Add(time.Hour))

	n, err := st.DeleteExpired(ctx, time.Now(), 100)
	must(t, err)
	if n != 0 {
		t.Fatalf("DeleteExpired removed %d sessions, want 0: the expired one is being written", n)
	}
	wantFiles(t, dir, prefix+key(1), prefix+key(1)+".lock", prefix+key(1)+".tmp.123456")

	release()
	n, err = st.DeleteExpired(ctx, time.Now(), 100)
	must(t, err)
	if n != 1 {
		t.Fatalf("DeleteExpired removed %d sessions once the writer was gone, want 1", n)
	}
	wantFiles(t, dir)
}

func TestCleanUpTouchesOnlyTheStoresFiles(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "sessions")
	must(t, os.Mkdir(dir, 0o700))
	old := time.Now().Add(-10 * age)
	writeFile(t, parent, "outside", "not a session", old)
	for _, name := range []string{
		"README",                               // someone else's
		"csrftoken" + key(1),                   // another prefix
		prefix + "NOT-A-KEY",                   // not a key
		prefix + key(2) + "_out_x1y2z3",        // Django's temporary file, maybe in progress
		prefix + key(3) + ".bak",               // not one of ours
		prefix + key(4) + ".lockfile",          // nor this
		prefix + key(5) + ".tmp",               // nor this: ours are .tmp.*
		"x" + prefix + key(6) + ".tmp.1234567", // nor this
	} {
		writeFile(t, dir, name, "not a session", old)
	}
	must(t, os.Mkdir(filepath.Join(dir, prefix+key(7)), 0o700))
	must(t, os.Symlink(filepath.Join(parent, "outside"), filepath.Join(dir, prefix+key(8))))
	before := tree(t, parent)

	n, err := newStore(t, dir).DeleteExpired(ctx, time.Now(), 100)
	must(t, err)
	if n != 0 {
		t.Fatalf("DeleteExpired removed %d, want 0", n)
	}
	if after := tree(t, parent); !reflect.DeepEqual(before, after) {
		t.Fatalf("files changed:\nbefore %v\nafter  %v", before, after)
	}
	if _, found, _ := newStore(t, dir).Load(ctx, key(8)); found {
		t.Fatal("Load followed a symbolic link out of the directory")
	}
}

func TestDeleteExpiredFromSeveralProcessesAtOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const expired = 200
	for i := range expired {
		must(t, newStore(t, dir).Create(ctx, key(i), rec("old", time.Now().Add(-time.Hour))))
	}
	must(t, newStore(t, dir).Create(ctx, key(expired), rec("live", time.Now().Add(time.Hour))))

	// Each store is what one process running clearsessions would have.
	counts := make(chan int, 4)
	for range cap(counts) {
		go func() {
			st := newStore(t, dir)
			total := 0
			for {
				n, err := st.DeleteExpired(ctx, time.Now(), 7)
				if err != nil {
					t.Error(err)
				}
				if n == 0 || err != nil {
					counts <- total
					return
				}
				total += n
			}
		}()
	}
	total := 0
	for range cap(counts) {
		total += <-counts
	}
	if total != expired {
		t.Fatalf("the processes removed %d sessions in all, want each of the %d expired ones once", total, expired)
	}
	wantFiles(t, dir, prefix+key(expired))
}

// holdLock locks key's lock file as a write of another process does, and
// returns what lets it go.
func holdLock(t *testing.T, dir, key string) (release func()) {
	t.Helper()
	path := filepath.Join(dir, prefix+key+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	must(t, err)
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX))
	release = sync.OnceFunc(func() {
		os.Remove(path) // before letting go, as the store does
		f.Close()
	})
	t.Cleanup(release)
	return release
}

// writeFile writes a file as a writer of the store, Django or someone else
// would have left it.
func writeFile(t *testing.T, dir, name, content string, mtime time.Time) {
	t.Helper()
	path := filepath.Join(dir, name)
	must(t, os.WriteFile(path, []byte(content), 0o600))
	must(t, os.Chtimes(path, time.Time{}, mtime))
}
