package session

import (
	"time"
)

// MaxCookieSize is the most a session cookie (name=value) may take: browsers
// keep about 4096 bytes per cookie, and Django warns past 4093.
const MaxCookieSize = 4093

// NewCookieManager returns a Manager for Django's signed_cookies engine: the
// whole session travels in the cookie (or X-Session-Key), signed by signer,
// which should use SaltSignedCookies to be readable by Django. The server
// keeps nothing, which is the engine's price: a session cannot be ended
// from the server (logout only asks the client to drop its cookie; a copy
// kept by someone else stays valid until it expires), a user's sessions
// cannot be listed, concurrent requests of one client cannot be merged
// (the last cookie the browser receives wins), and the data must fit in
// MaxCookieSize.
func NewCookieManager(signer *Signer, opts Options) *Manager {
	m := NewManager(nil, signer, opts)
	m.inCookie = true
	return m
}

// loadFromCookie is Load for the signed-cookies engine, where the key is the
// signed data itself. As in Django, a value that fails verification or is
// older than the session's age gives a new, empty session.
func (m *Manager) loadFromCookie(value string) *Session {
	s := m.New()
	if value == "" || len(value) > MaxCookieSize {
		return s
	}
	signed, err := m.open(value)
	if err != nil {
		return s
	}
	payload, signedAt, err := m.signer.Unsign(signed)
	if err != nil {
		return s
	}
	data, err := decodeData(payload)
	if err != nil {
		return s
	}
	loaded := &Session{m: m, data: data}
	// Django checks the signature's age against SESSION_COOKIE_AGE; a
	// session with its own expiry (remember me) is held to that instead,
	// counted from when it was signed, which is when it was last saved.
	if e := loaded.expiry(); e.isDate {
		if !m.now().Before(e.date) {
			return s
		}
	} else if age := time.Duration(loaded.ExpiryAge()) * time.Second; m.now().Sub(signedAt) > age {
		return s
	}
	loaded.key = value
	return loaded
}

// saveInCookie is a save for the signed-cookies engine: the new key is the
// signed data. fn, if any, runs first.
func (m *Manager) saveInCookie(s *Session, fn func(*Session) error) error {
	snap := s.snapshot()
	if fn != nil {
		if err := fn(s); err != nil {
			s.restore(snap)
			return err
		}
	}
	data := encodeData(s.data)
	value := m.seal(m.signer.Sign(data, m.now()))
	if len(data) > m.opts.MaxSize || len(m.opts.CookieName)+1+len(value) > MaxCookieSize {
		s.restore(snap)
		return ErrTooLarge
	}
	s.key = value
	s.stored()
	return nil
}
