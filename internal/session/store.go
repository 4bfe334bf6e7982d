package session

import (
	"context"
	"errors"
	"time"
)

// Errors of the Store contract.
var (
	// ErrKeyExists is returned by Store.Create and Store.Rotate when the new
	// key is already taken.
	ErrKeyExists = errors.New("session: key already exists")
	// ErrNotFound is returned by Store.Update and Store.Rotate when no
	// session has the key, typically because a concurrent request deleted it.
	ErrNotFound = errors.New("session: not found")
)

// Record is what a store keeps under a session key.
type Record struct {
	Data   string // signed session data, opaque to the store
	Expiry time.Time
	// Meta is kept beside the data, in the same write, by stores that
	// implement UserIndex, and ignored by the others. A zero field leaves
	// what is stored as it is.
	Meta Meta
}

// An Edit makes the record to store from the data stored now. A store may
// call it more than once (an optimistic store retries after a conflict), so
// it must not keep anything from one call to the next.
type Edit func(current string) (Record, error)

// Store persists signed session data by key, the part of a Django session
// backend that differs between engines. Implementations must be safe for
// concurrent use, also by several processes sharing the store; the
// conformance suite in package sessiontest checks all of the contract below.
type Store interface {
	// Load returns the data saved under key. If there is no such session, or
	// it has expired, found is false and err is nil: err is for system
	// failures only. Loading never creates a session and never waits for
	// an Update in progress.
	Load(ctx context.Context, key string) (data string, found bool, err error)

	// Create saves a new session. If the key is already taken it returns
	// ErrKeyExists and changes nothing.
	Create(ctx context.Context, key string, r Record) error

	// Update replaces the session under key by what edit makes of its
	// current data, with no other Update or Rotate of that key in between,
	// whichever process makes it: the read-modify-write that keeps two
	// requests of one session from losing each other's changes. If edit
	// fails, nothing changes and Update returns edit's error. If no session
	// has the key it returns ErrNotFound and creates nothing, so a session
	// deleted by a concurrent request (a logout) stays deleted.
	Update(ctx context.Context, key string, edit Edit) error

	// Rotate moves the session under old to the key new, as one change and
	// with the same exclusion as Update: what edit makes of its data is
	// stored under new, with old's Meta under the record's, and old is
	// gone. It returns ErrNotFound if old does not exist, and ErrKeyExists
	// if new does; either way nothing changes.
	Rotate(ctx context.Context, old, new string, edit Edit) error

	// Delete removes the session. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error

	// DeleteExpired removes at most limit sessions that expired before now
	// and returns how many it removed; zero means none are left.
	DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error)
}
