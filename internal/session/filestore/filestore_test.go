package filestore_test

import (
	"testing"
	"time"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/filestore"
	"github.com/djsessions/api/internal/session/sessiontest"
)

// age is the cookie age the tests' stores run with: Django's default.
const age = 1209600 * time.Second

func TestStoreConformance(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) session.Store {
		return newStore(t, t.TempDir())
	})
}

// newStore returns a Store on dir with Django's default prefix and age.
func newStore(t testing.TB, dir string) *filestore.Store {
	t.Helper()
	st, err := filestore.New(dir, "sessionid", age)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
