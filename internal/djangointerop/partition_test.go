package djangointerop

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/testdb"
)

// The optional hash partitioning of django_session (db/optional) asks
// nothing of Django: converted while both sides run, the table still takes
// Django's writes and reads, and Django's own clearsessions.
func TestDjangoSharesSessionsOnAPartitionedTable(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	db := testdb.Open(t, s.URL)
	b := s.Browser()
	var v visit
	b.API.Post("/api/session/visit", nil).Want(t, http.StatusOK).JSON(t, &v) // a row before the conversion

	if err := database.PartitionSessions(context.Background(), db, 8); err != nil {
		t.Fatal(err)
	}

	if got := b.DjangoSession(t).Data; got["visit_count"] != 1.0 {
		t.Fatalf("Django reads %v from the partitioned table; want the visit_count 1 written before", got)
	}
	b.DjangoWrite(t, map[string]any{"visit_count": 41})
	b.API.Post("/api/session/visit", nil).Want(t, http.StatusOK).JSON(t, &v)
	if v.Count != 42 {
		t.Fatalf("POST /api/session/visit after Django set visit_count to 41: %d", v.Count)
	}
	if got := b.DjangoSession(t).Data; got["visit_count"] != 42.0 {
		t.Fatalf("Django reads %v after the API's write; want visit_count 42", got)
	}

	db.MustExec(`INSERT INTO django_session (session_key, session_data, expire_date) VALUES ('expired000000000000000000000000x', 'e30:1', $1)`,
		time.Now().Add(-time.Hour))
	manage(t, djangoEnv(s.URL, "db"), "clearsessions")
	var keys []string
	if err := db.Select(&keys, `SELECT session_key FROM django_session`); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != b.Key() {
		t.Fatalf("after Django's clearsessions the table holds %s; want only the live session", strings.Join(keys, ", "))
	}
}
