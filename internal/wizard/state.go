package wizard

import (
	"crypto/rand"

	"github.com/djsessions/api/internal/session"
)

// sessionKey is where the wizard keeps its state in the session. Only this
// file reads or writes it.
const sessionKey = "wizard"

// Contact is step 1.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// Address is step 2.
type Address struct {
	Street     string `json:"address"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
}

// State is what the client has filled in so far: a step is nil until done.
type State struct {
	Contact *Contact `json:"contact,omitempty"`
	Address *Address `json:"address,omitempty"`
}

// CurrentStep is the step the client is at: 1 and 2 are the steps to fill
// in, 3 means both are done and the form may be submitted. Step 2 counts as
// done only after step 1.
func (st State) CurrentStep() int {
	switch {
	case st.Contact == nil:
		return 1
	case st.Address == nil:
		return 2
	}
	return 3
}

func (st State) equal(o State) bool {
	return equalPtr(st.Contact, o.Contact) && equalPtr(st.Address, o.Address)
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// record is the State as kept in the session, with the id under which its
// profile is created at submit. The id changes whenever the State does, so
// that it names exactly the data submitted: a submit sent twice, or retried
// after a failure that left the wizard in place, finds the profile of the
// first (the insert is idempotent on it), while a wizard edited after a
// submit is a new submission and makes its own profile.
type record struct {
	SubmissionID string `json:"submission_id"`
	State
}

// read returns the wizard's record in s, or an empty one. A value of
// another shape, or without an id (not written by this package), is not
// ours to trust, and counts as no wizard.
func read(s *session.Session) record {
	var rec record
	if found, err := s.Get(sessionKey, &rec); !found || err != nil || rec.SubmissionID == "" {
		return record{}
	}
	return rec
}

// write stores rec in s.
func write(s *session.Session, rec record) error {
	return s.Set(sessionKey, rec)
}

// remove deletes the wizard from s.
func remove(s *session.Session) { s.Delete(sessionKey) }

// has reports whether s holds a wizard, in any shape.
func has(s *session.Session) bool { return s.Has(sessionKey) }

// newSubmissionID returns a random id, 128 bits in base32 (26 characters).
func newSubmissionID() string {
	return rand.Text()
}
