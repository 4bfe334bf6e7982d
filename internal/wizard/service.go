// Package wizard is the multi-step form: step 1 (contact), step 2 (address)
// and submit, which makes a profile in the database. The steps live in the
// session until the submit, and every change to them is made with
// session.Update, so that concurrent requests of one session, even on
// different processes, never undo each other's steps.
package wizard

import (
	"context"
	"time"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
)

// Profile is a submitted form.
type Profile struct {
	ID           int64
	UserID       *int64 // nil for an anonymous submit, or once the user is deleted
	Contact      Contact
	Address      Address
	SubmissionID string
	CreatedAt    time.Time
}

// profiles is what the Service needs of the profile store.
type profiles interface {
	// Create stores p, or, when a profile with p's SubmissionID exists,
	// returns that one unchanged. A failure wraps apperr.ErrUnavailable.
	Create(ctx context.Context, p Profile) (Profile, error)
}

// Service holds the rules of the wizard.
type Service struct {
	profiles profiles
	now      func() time.Time
}

// NewService returns a Service that stores profiles in profiles; now stamps
// them (nil: time.Now).
func NewService(profiles profiles, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{profiles: profiles, now: now}
}

func invalid(fields map[string]string) error { return apperr.Invalid(fields) }

var (
	errStep1First  = apperr.New(apperr.StepOutOfOrder, "complete step 1 before step 2")
	errNotComplete = apperr.New(apperr.StepOutOfOrder, "complete steps 1 and 2 before submitting")
)

// State returns the wizard in s.
func (svc *Service) State(s *session.Session) State { return read(s).State }

// SaveContact validates c (trimmed) and makes it step 1, keeping step 2 if
// it was done, so that going back to edit step 1 loses nothing.
func (svc *Service) SaveContact(ctx context.Context, s *session.Session, c Contact) (State, error) {
	fe := fieldErrors{}
	fe.text("name", &c.Name, maxName)
	if fe.text("email", &c.Email, maxEmail) {
		fe.email("email", c.Email)
	}
	if fe.text("phone", &c.Phone, maxPhone) {
		fe.phone("phone", c.Phone)
	}
	if err := fe.err(); err != nil {
		return State{}, err
	}
	return svc.change(ctx, s, func(st *State) error {
		st.Contact = &c
		return nil
	})
}

// SaveAddress validates a (trimmed) and makes it step 2; step 1 must be
// done. The input is judged before the order, so that a client learns of
// its mistakes in the form whatever the state of the session.
func (svc *Service) SaveAddress(ctx context.Context, s *session.Session, a Address) (State, error) {
	fe := fieldErrors{}
	fe.text("address", &a.Street, maxStreet)
	fe.text("city", &a.City, maxCity)
	if fe.text("postal_code", &a.PostalCode, maxPostalCode) {
		fe.postalCode("postal_code", a.PostalCode)
	}
	if err := fe.err(); err != nil {
		return State{}, err
	}
	return svc.change(ctx, s, func(st *State) error {
		if st.Contact == nil {
			return errStep1First
		}
		st.Address = &a
		return nil
	})
}

// change applies edit to the wizard as stored at this moment, under
// session.Update: a step saved by a concurrent request since this one
// loaded its session is kept. It returns the State after the edit.
func (svc *Service) change(ctx context.Context, s *session.Session, edit func(*State) error) (State, error) {
	id := newSubmissionID() // drawn here: the function given to Update does no I/O
	var after State
	err := s.Update(ctx, func(s *session.Session) error {
		rec := read(s)
		before := rec.State
		if err := edit(&rec.State); err != nil {
			return err
		}
		after = rec.State
		if rec.SubmissionID != "" && rec.State.equal(before) {
			return nil // the same data again: nothing to write, the same submission
		}
		rec.SubmissionID = id
		return write(s, rec)
	})
	if err != nil {
		return State{}, err
	}
	return after, nil
}

// Submit creates the profile of the wizard in s, for the user userID (nil
// when anonymous), then removes the wizard from the session. In that order:
// a failure of either leaves the wizard in place, and submitting it again
// finds the profile already made rather than making another, since the
// insert is idempotent on the wizard's submission id. Concurrent submits of
// one wizard thus make one profile: each that found the wizard complete
// answers with it, and one that comes after the wizard is removed gets
// step_out_of_order, as any submit without a wizard does.
func (svc *Service) Submit(ctx context.Context, s *session.Session, userID *int64) (Profile, error) {
	rec := read(s)
	if rec.CurrentStep() != 3 {
		return Profile{}, errNotComplete
	}
	p, err := svc.profiles.Create(ctx, Profile{
		UserID:       userID,
		Contact:      *rec.Contact,
		Address:      *rec.Address,
		SubmissionID: rec.SubmissionID,
		CreatedAt:    svc.now().UTC().Truncate(time.Second),
	})
	if err != nil {
		return Profile{}, err
	}
	err = s.Update(ctx, func(s *session.Session) error {
		// Only the wizard just submitted: one edited, or started over,
		// since this request read it is another submission, and stays.
		if read(s).SubmissionID == rec.SubmissionID {
			remove(s)
		}
		return nil
	})
	if err != nil {
		return Profile{}, err
	}
	return p, nil
}

// Reset removes the wizard from s, so that the client starts over.
func (svc *Service) Reset(ctx context.Context, s *session.Session) error {
	if !has(s) {
		// Nothing to remove, and no session to create for it. A wizard a
		// concurrent request starts meanwhile was started after this reset.
		return nil
	}
	return s.Update(ctx, func(s *session.Session) error {
		remove(s)
		return nil
	})
}
