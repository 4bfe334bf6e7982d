// Package preferences keeps a client's display preferences in its session,
// so that they follow it without an account.
package preferences

import (
	"errors"

	"golang.org/x/text/language"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
)

// sessionKey is where the preferences live in the session.
const sessionKey = "preferences"

// maxLanguageLen bounds a language tag; real ones are far shorter.
const maxLanguageLen = 35

// Preferences are a client's display preferences.
type Preferences struct {
	Theme    string `json:"theme"`
	Language string `json:"language"`
}

var errTooLong = errors.New("preferences: language tag too long")

// Defaults are the preferences of a client that has set none.
var Defaults = Preferences{Theme: "light", Language: "en"}

// Change is a partial update: nil fields are left as they are.
type Change struct {
	Theme    *string
	Language *string
}

// Service holds the rules of preferences.
type Service struct{}

// NewService returns a Service.
func NewService() *Service { return &Service{} }

// Get returns the preferences in s, with defaults for what is not set.
func (svc *Service) Get(s *session.Session) Preferences {
	p := Defaults
	if _, err := s.Get(sessionKey, &p); err != nil {
		return Defaults // a value of another shape is not ours to trust
	}
	if p.Theme == "" {
		p.Theme = Defaults.Theme
	}
	if p.Language == "" {
		p.Language = Defaults.Language
	}
	return p
}

// Update validates c, applies it to the preferences in s and returns them.
// An invalid change changes nothing.
func (svc *Service) Update(s *session.Session, c Change) (Preferences, error) {
	p := svc.Get(s)
	fields := map[string]string{}
	if c.Theme != nil {
		if *c.Theme != "light" && *c.Theme != "dark" {
			fields["theme"] = `must be "light" or "dark"`
		}
		p.Theme = *c.Theme
	}
	if c.Language != nil {
		// The length first: no parser needs to see a megabyte of "tag".
		tag, err := language.Tag{}, errTooLong
		if len(*c.Language) <= maxLanguageLen {
			tag, err = language.Parse(*c.Language)
		}
		if err != nil {
			fields["language"] = "must be a BCP 47 language tag, such as en or pt-BR"
		} else {
			p.Language = tag.String()
		}
	}
	if len(fields) > 0 {
		return Preferences{}, apperr.Invalid(fields)
	}
	if c.Theme == nil && c.Language == nil {
		return p, nil // nothing to change, nothing to save
	}
	if err := s.Set(sessionKey, p); err != nil {
		return Preferences{}, err
	}
	return p, nil
}
