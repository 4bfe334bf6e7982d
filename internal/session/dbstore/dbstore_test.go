package dbstore_test

import (
	"testing"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/session/sessiontest"
	"github.com/djsessions/api/internal/testdb"
)

func TestStoreConformance(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		sessiontest.Run(t, func(t *testing.T) session.Store {
			return dbstore.New(testdb.Open(t, newURL(t)))
		})
	})
}
