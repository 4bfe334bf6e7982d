package session

import (
	"context"
	"errors"
	"time"
)

// Errors of the Store contract.
var (
	// ErrKeyExists is returned by Store.Create when the key is already taken.
	ErrKeyExists = errors.New("session: key already exists")
	// ErrNotFound is returned by Store.Save when no session has the key,
	// typically because a concurrent request deleted it.
	ErrNotFound = errors.New("session: not found")
)

// Store persists signed session data by key, the part of a Django session
// backend that differs between engines. Data is opaque to the store.
// Implementations must be safe for concurrent use; the conformance suite in
// package sessiontest checks all of the contract below.
type Store interface {
	// Load returns the data saved under key. If there is no such session, or
	// it has expired, found is false and err is nil: err is for system
	// failures only. Loading never creates a session.
	Load(ctx context.Context, key string) (data string, found bool, err error)

	// Create saves a new session that expires at expiry. If the key is
	// already taken it returns ErrKeyExists and changes nothing.
	Create(ctx context.Context, key, data string, expiry time.Time) error

	// Save overwrites the data and expiry of an existing session. If no
	// session has the key it returns ErrNotFound and creates nothing, so a
	// session deleted by a concurrent request (a logout) stays deleted.
	Save(ctx context.Context, key, data string, expiry time.Time) error

	// Delete removes the session. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error

	// DeleteExpired removes at most limit sessions that expired before now
	// and returns how many it removed; zero means none are left.
	DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error)
}
