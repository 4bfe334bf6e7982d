package filestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
)

// A failing file system gives errors that name the session's file, and the
// session's key is in that name; the Manager logs store errors, and a key
// in a log is a session for whoever reads it. So the errors name the file
// by the key's fingerprint, and still say what went wrong.
func TestErrorsNeverHoldASessionKey(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "sessions")
	must(t, os.Mkdir(dir, 0o700))
	st := newStore(t, dir)
	expiry := time.Now().Add(time.Hour)
	must(t, st.Create(ctx, key(1), rec("data", expiry)))
	// The directory gone, a file in its place: every path under it fails.
	must(t, os.Rename(dir, filepath.Join(root, "gone")))
	must(t, os.WriteFile(dir, nil, 0o600))

	for _, c := range []struct {
		op   string
		keys []string
		call func() error
	}{
		{"Load", []string{key(1)}, func() error { _, _, err := st.Load(ctx, key(1)); return err }},
		{"Create", []string{key(2)}, func() error { return st.Create(ctx, key(2), rec("data", expiry)) }},
		{"Update", []string{key(1)}, func() error { return st.Update(ctx, key(1), set("data", expiry)) }},
		{"Rotate", []string{key(1), key(2)}, func() error { return st.Rotate(ctx, key(1), key(2), set("data", expiry)) }},
		{"Delete", []string{key(1)}, func() error { return st.Delete(ctx, key(1)) }},
	} {
		err := c.call()
		if !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("%s on a directory that is a file: %v, want ENOTDIR", c.op, err)
			continue
		}
		named := false
		for _, k := range c.keys {
			if strings.Contains(err.Error(), k) {
				t.Errorf("%s: the error %q holds the session key", c.op, err)
			}
			named = named || strings.Contains(err.Error(), session.Fingerprint(k))
		}
		if !named {
			t.Errorf("%s: the error %q does not name the file by the key's fingerprint", c.op, err)
		}
	}
}
