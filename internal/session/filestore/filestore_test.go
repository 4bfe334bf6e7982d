package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/filestore"
	"github.com/djsessions/api/internal/session/sessiontest"
)

// age is the cookie age the tests' stores run with: Django's default.
const age = 1209600 * time.Second

// prefix is Django's default file prefix, SESSION_COOKIE_NAME.
const prefix = "sessionid"

func TestStoreConformance(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) session.Store {
		return newStore(t, t.TempDir())
	})
}

func TestNewRefusesWhatDjangoWouldNotRunWith(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dir, prefix string
		age               time.Duration
	}{
		{"a missing directory", filepath.Join(dir, "missing"), prefix, age},
		{"a file for the directory", file, prefix, age},
		{"an empty prefix", dir, "", age},
		{"a prefix that is a path", dir, "../sessionid", age},
		{"a prefix with NUL", dir, "session\x00id", age},
		{"no cookie age", dir, prefix, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if st, err := filestore.New(c.dir, c.prefix, c.age); err == nil {
				t.Fatalf("New(%q, %q, %v) = %v, want an error", c.dir, c.prefix, c.age, st)
			}
		})
	}
}

func TestFilesAreNamedAndWrittenAsDjangoWritesThem(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := newStore(t, dir)
	expiry := time.Now().Add(time.Hour)

	must(t, st.Create(ctx, key(1), rec("created", expiry)))
	wantFile(t, dir, key(1), "created", expiry)

	expiry = expiry.Add(time.Minute)
	must(t, st.Update(ctx, key(1), set("updated", expiry)))
	wantFile(t, dir, key(1), "updated", expiry)

	must(t, st.Rotate(ctx, key(1), key(2), set("rotated", expiry)))
	wantFile(t, dir, key(2), "rotated", expiry)

	must(t, st.Delete(ctx, key(2)))
	wantFiles(t, dir)
}

// wantFile checks that dir holds only key's file, with data as its whole
// content and, as its modification time, the time from which Django counts
// SESSION_COOKIE_AGE to reach expiry.
func wantFile(t *testing.T, dir, key, data string, expiry time.Time) {
	t.Helper()
	wantFiles(t, dir, prefix+key)
	path := filepath.Join(dir, prefix+key)
	content, err := os.ReadFile(path)
	must(t, err)
	if string(content) != data {
		t.Errorf("%s holds %q, want %q", path, content, data)
	}
	fi, err := os.Stat(path)
	must(t, err)
	if mtime := fi.ModTime(); !mtime.Equal(expiry.Add(-age)) {
		t.Errorf("%s modified at %v, want the expiry %v minus the cookie age", path, mtime, expiry)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %v, want 0600: sessions are credentials", path, perm)
	}
}

func TestExpiriesBeyondWhatAFileTimeHoldsKeepTheirSide(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, t.TempDir())
	for i, c := range []struct {
		expiry time.Time
		live   bool
	}{
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Time{}, false},
	} {
		must(t, st.Create(ctx, key(i), rec("data", c.expiry)))
		if _, found, err := st.Load(ctx, key(i)); found != c.live || err != nil {
			t.Errorf("a session expiring %v: found %v, err %v; want found %v", c.expiry, found, err, c.live)
		}
	}
}

func TestKeysNeverBecomePathsOutsideTheDirectory(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "sessions")
	must(t, os.Mkdir(dir, 0o700))
	// Files the traversals aim at, each of which would load as a live
	// session if a key could name it.
	for _, path := range []string{filepath.Join(parent, "victim"), filepath.Join(dir, "victim"), filepath.Join(parent, prefix+"victim")} {
		must(t, os.WriteFile(path, []byte("secret"), 0o600))
		must(t, os.Chtimes(path, time.Time{}, time.Now()))
	}
	st := newStore(t, dir)
	must(t, st.Create(ctx, key(1), rec("mine", time.Now().Add(time.Hour))))
	before := tree(t, parent)

	refuse := func(string) (session.Record, error) {
		t.Error("an edit ran for an invalid key")
		return session.Record{}, errors.New("refused")
	}
	for _, k := range []string{
		"/../../victim", "/../victim", "/../../" + prefix + "victim", "../victim", "/" + parent + "/victim",
		"..", ".", "", "/", "victim", "a/../../../victim", "abcdefgh/../../victim", "abcdefgh\x00/../../victim",
		"..%2f..%2fvictim", `..\..\victim`, "abcdefgh.lock", "abcdefgh.tmp.1",
	} {
		if data, found, err := st.Load(ctx, k); found || err != nil {
			t.Errorf("Load(%q) = %q, found %v, err %v; want not found", k, data, found, err)
		}
		if err := st.Update(ctx, k, refuse); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Update(%q) = %v, want ErrNotFound", k, err)
		}
		if err := st.Rotate(ctx, k, key(2), refuse); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Rotate(%q, valid) = %v, want ErrNotFound", k, err)
		}
		if err := st.Rotate(ctx, key(1), k, refuse); !errors.Is(err, filestore.ErrInvalidKey) {
			t.Errorf("Rotate(valid, %q) = %v, want ErrInvalidKey", k, err)
		}
		if err := st.Create(ctx, k, rec("evil", time.Now().Add(time.Hour))); !errors.Is(err, filestore.ErrInvalidKey) {
			t.Errorf("Create(%q) = %v, want ErrInvalidKey", k, err)
		}
		if err := st.Delete(ctx, k); err != nil {
			t.Errorf("Delete(%q) = %v, want nil: a key no session has", k, err)
		}
	}
	if _, err := st.DeleteExpired(ctx, time.Now().Add(100*age), 100); err != nil {
		t.Fatal(err)
	}
	delete(before, filepath.Join("sessions", prefix+key(1))) // the one file DeleteExpired removes
	if after := tree(t, parent); !reflect.DeepEqual(before, after) {
		t.Fatalf("files changed:\nbefore %v\nafter  %v", before, after)
	}
}

// tree returns every file under root, by path relative to it, with its
// content and modification time.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		files[rel] = fmt.Sprintf("%q %v", content, fi.ModTime())
		return nil
	})
	must(t, err)
	return files
}

// newStore returns a Store on dir with Django's default prefix and age.
func newStore(t testing.TB, dir string) *filestore.Store {
	t.Helper()
	st, err := filestore.New(dir, prefix, age)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// key returns a valid session key that differs for each i.
func key(i int) string { return fmt.Sprintf("filestore%023d", i) }

func rec(data string, expiry time.Time) session.Record {
	return session.Record{Data: data, Expiry: expiry}
}

// set is an Edit that stores data whatever is there.
func set(data string, expiry time.Time) session.Edit {
	return func(string) (session.Record, error) { return rec(data, expiry), nil }
}

// wantFiles checks that dir holds exactly the files named.
func wantFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Fatalf("%s holds [%s], want [%s]", dir, strings.Join(got, " "), strings.Join(names, " "))
	}
}

func wantData(t *testing.T, st session.Store, key, want string) {
	t.Helper()
	got, found, err := st.Load(context.Background(), key)
	if err != nil || !found || got != want {
		t.Fatalf("Load(%s) = %q, found %v, err %v; want %q", key, got, found, err, want)
	}
}

func wantNone(t *testing.T, st session.Store, key string) {
	t.Helper()
	if got, found, err := st.Load(context.Background(), key); found || err != nil {
		t.Fatalf("Load(%s) = %q, found %v, err %v; want not found", key, got, found, err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
