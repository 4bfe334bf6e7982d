package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/djsessions/api/internal/session"
)

// Results of a store operation, as counted.
const (
	resultOK       = "ok"
	resultHit      = "hit"       // a load found the session
	resultMiss     = "miss"      // a load did not: no such key, or expired
	resultConflict = "conflict"  // session.ErrKeyExists
	resultNotFound = "not_found" // session.ErrNotFound: deleted meanwhile
	resultAborted  = "aborted"   // the change (an Edit) refused itself
	resultError    = "error"     // the store failed
)

// Store returns s with each of its operations counted under engine (the
// SESSION_ENGINE) and its result. The session Manager finds what a store can
// do beyond Store by type assertion, so the Store returned can do exactly
// what s can: it implements session.UserIndex if and only if s does. (A new
// optional interface of stores must be passed through here too.)
func (m *Metrics) Store(engine string, s session.Store) session.Store {
	counted := &store{inner: s, ops: m.store.MustCurryWith(prometheus.Labels{"engine": engine})}
	if idx, ok := s.(session.UserIndex); ok {
		return &indexedStore{store: counted, index: idx}
	}
	return counted
}

var (
	_ session.Store     = (*store)(nil)
	_ session.Store     = (*indexedStore)(nil)
	_ session.UserIndex = (*indexedStore)(nil)
)

// store counts the operations of a session.Store.
type store struct {
	inner session.Store
	ops   *prometheus.CounterVec // by operation and result
}

func (s *store) count(op string, result string) {
	s.ops.WithLabelValues(op, result).Inc()
}

func (s *store) Load(ctx context.Context, key string) (string, bool, error) {
	data, found, err := s.inner.Load(ctx, key)
	switch {
	case err != nil:
		s.count("load", resultError)
	case found:
		s.count("load", resultHit)
	default:
		s.count("load", resultMiss)
	}
	return data, found, err
}

func (s *store) Create(ctx context.Context, key string, r session.Record) error {
	err := s.inner.Create(ctx, key, r)
	s.count("create", result(err, nil))
	return err
}

func (s *store) Update(ctx context.Context, key string, edit session.Edit) error {
	edit, editErr := watch(edit)
	err := s.inner.Update(ctx, key, edit)
	s.count("update", result(err, *editErr))
	return err
}

func (s *store) Rotate(ctx context.Context, old, new string, edit session.Edit) error {
	edit, editErr := watch(edit)
	err := s.inner.Rotate(ctx, old, new, edit)
	s.count("rotate", result(err, *editErr))
	return err
}

func (s *store) Delete(ctx context.Context, key string) error {
	err := s.inner.Delete(ctx, key)
	s.count("delete", result(err, nil))
	return err
}

func (s *store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	n, err := s.inner.DeleteExpired(ctx, now, limit)
	s.count("delete_expired", result(err, nil))
	return n, err
}

// indexedStore is a store whose inner store is also a session.UserIndex.
type indexedStore struct {
	*store
	index session.UserIndex
}

func (s *indexedStore) ByUser(ctx context.Context, userID int64, now time.Time) ([]session.Entry, error) {
	entries, err := s.index.ByUser(ctx, userID, now)
	s.count("by_user", result(err, nil))
	return entries, err
}

func (s *indexedStore) DeleteByUser(ctx context.Context, userID int64, keep string) ([]string, error) {
	keys, err := s.index.DeleteByUser(ctx, userID, keep)
	s.count("delete_by_user", result(err, nil))
	return keys, err
}

// watch wraps edit so as to know the error of its last call, which the
// store returns as its own: a change that refused itself (a rule of the
// handler's Session.Update) is not a failure of the store.
func watch(edit session.Edit) (session.Edit, *error) {
	var last error
	return func(current string) (session.Record, error) {
		r, err := edit(current)
		last = err
		return r, err
	}, &last
}

// result names the outcome of an operation that returned err, whose edit,
// if any, last returned editErr.
func result(err, editErr error) string {
	switch {
	case err == nil:
		return resultOK
	case editErr != nil && errors.Is(err, editErr):
		return resultAborted
	case errors.Is(err, session.ErrNotFound):
		return resultNotFound
	case errors.Is(err, session.ErrKeyExists):
		return resultConflict
	}
	return resultError
}
