package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/djsessions/api/internal/metrics"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/session/sessiontest"
	"github.com/djsessions/api/internal/testdb"
)

// A counted store is still a store: it passes the conformance suite, its
// UserIndex part included, on every database.
func TestCountedStoreConformance(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		sessiontest.Run(t, func(t *testing.T) session.Store {
			m := metrics.New(prometheus.NewRegistry())
			return m.Store("db", dbstore.New(testdb.Open(t, newURL(t))))
		})
	})
}

// The session Manager looks for a UserIndex by type assertion: a counted
// store must have one exactly when the store it counts has.
func TestCountedStoreHasTheAbilitiesOfItsStore(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry())
	indexed := m.Store("db", dbstore.New(testdb.Open(t, testdb.SQLiteURL(t))))
	if _, ok := indexed.(session.UserIndex); !ok {
		t.Error("a counted dbstore is not a session.UserIndex")
	}
	plain := m.Store("plain", plainStore{})
	if _, ok := plain.(session.UserIndex); ok {
		t.Error("a counted store without an index is a session.UserIndex")
	}
}

func TestCountedStoreCountsEachOperationByResult(t *testing.T) {
	registry := prometheus.NewRegistry()
	db := testdb.Open(t, testdb.SQLiteURL(t))
	st := metrics.New(registry).Store("db", dbstore.New(db))
	idx := st.(session.UserIndex)
	ctx := context.Background()
	later := time.Now().Add(time.Hour)
	key, other, unknown := "countedstore0000000000000000001", "countedstore0000000000000000002", "countedstore0000000000000000009"
	record := session.Record{Data: "d", Expiry: later, Meta: session.Meta{UserID: 7}}
	edit := func(string) (session.Record, error) { return record, nil }
	refuse := errors.New("refused by the change itself")

	must(t, st.Create(ctx, key, record))
	wantErr(t, st.Create(ctx, key, record), session.ErrKeyExists)
	loadFound(t, st, key, true)
	loadFound(t, st, unknown, false)
	loadFound(t, st, unknown, false)
	must(t, st.Update(ctx, key, edit))
	wantErr(t, st.Update(ctx, key, func(string) (session.Record, error) { return session.Record{}, refuse }), refuse)
	wantErr(t, st.Update(ctx, unknown, edit), session.ErrNotFound)
	must(t, st.Rotate(ctx, key, other, edit))
	wantErr(t, st.Rotate(ctx, key, unknown, edit), session.ErrNotFound)
	if _, err := idx.ByUser(ctx, 7, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := idx.DeleteByUser(ctx, 7, ""); err != nil {
		t.Fatal(err)
	}
	must(t, st.Delete(ctx, other))
	if _, err := st.DeleteExpired(ctx, time.Now(), 10); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, _, err := st.Load(ctx, key); err == nil {
		t.Fatal("Load on a closed database succeeded")
	}
	if err := st.Update(ctx, key, edit); err == nil || errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Update on a closed database: %v", err)
	}

	want := map[[2]string]float64{
		{"create", "ok"}: 1, {"create", "conflict"}: 1,
		{"load", "hit"}: 1, {"load", "miss"}: 2, {"load", "error"}: 1,
		{"update", "ok"}: 1, {"update", "aborted"}: 1, {"update", "not_found"}: 1, {"update", "error"}: 1,
		{"rotate", "ok"}: 1, {"rotate", "not_found"}: 1,
		{"by_user", "ok"}: 1, {"delete_by_user", "ok"}: 1,
		{"delete", "ok"}: 1, {"delete_expired", "ok"}: 1,
	}
	got := storeCounts(t, registry, "db")
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s %s: %v, want %v", k[0], k[1], got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s %s: %v, want no such series", k[0], k[1], v)
		}
	}
}

// storeCounts gathers session_store_operations_total of engine from
// registry, by operation and result.
func storeCounts(t *testing.T, registry *prometheus.Registry, engine string) map[[2]string]float64 {
	t.Helper()
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]string]float64{}
	for _, f := range families {
		if f.GetName() != "session_store_operations_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["engine"] == engine {
				out[[2]string{labels["operation"], labels["result"]}] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func loadFound(t *testing.T, st session.Store, key string, want bool) {
	t.Helper()
	if _, found, err := st.Load(context.Background(), key); err != nil || found != want {
		t.Fatalf("Load(%s): found %v, err %v; want found %v", key, found, err, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

// plainStore is a Store with nothing more, and nothing in it.
type plainStore struct{}

func (plainStore) Load(context.Context, string) (string, bool, error)   { return "", false, nil }
func (plainStore) Create(context.Context, string, session.Record) error { return nil }
func (plainStore) Update(context.Context, string, session.Edit) error   { return session.ErrNotFound }
func (plainStore) Rotate(context.Context, string, string, session.Edit) error {
	return session.ErrNotFound
}
func (plainStore) Delete(context.Context, string) error { return nil }
func (plainStore) DeleteExpired(context.Context, time.Time, int) (int, error) {
	return 0, nil
}
