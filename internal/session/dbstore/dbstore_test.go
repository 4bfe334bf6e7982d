package dbstore_test

import (
	"context"
	"testing"

	"github.com/djsessions/api/internal/database"
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

// The optional hash partitioning of django_session (db/optional) changes
// where rows live, not what the store sees: the same suite passes on it.
func TestStoreConformanceOnAPartitionedTable(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) session.Store {
		db := testdb.Open(t, testdb.PostgresURL(t))
		if err := database.PartitionSessions(context.Background(), db, 8); err != nil {
			t.Fatal(err)
		}
		return dbstore.New(db)
	})
}
