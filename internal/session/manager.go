package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

var (
	// ErrUnavailable wraps every failure of the store: the session could
	// not be read or written, so the request cannot be answered correctly.
	ErrUnavailable = errors.New("session: store unavailable")
	// ErrInterrupted is Django's SessionInterrupted: the session was deleted
	// by a concurrent request (a logout, a revoke) before this one saved it.
	ErrInterrupted = errors.New("session: deleted by a concurrent request")
)

// DefaultMaxSize is the default cap of a session's data: far more than a
// login, a cart of 100 lines and a wizard take (a few KiB), far less than
// would let one client weigh on the store.
const DefaultMaxSize = 64 << 10

// ErrTooLarge is returned by a save that would make the session larger than
// its cap (Options.MaxSize; with signed cookies, MaxCookieSize). Nothing is
// truncated: the save fails, and the stored session stays as it was.
var ErrTooLarge = errors.New("session: too large")

// DefaultAge is Django's SESSION_COOKIE_AGE: two weeks.
const DefaultAge = 14 * 24 * time.Hour

// createAttempts bounds the retries on a key collision, which with 165 bits
// of entropy means a broken random source rather than bad luck.
const createAttempts = 10

// Options are the settings of a Manager, named after Django's.
type Options struct {
	CookieName   string // SESSION_COOKIE_NAME; default "sessionid"
	CookieDomain string // SESSION_COOKIE_DOMAIN
	CookiePath   string // SESSION_COOKIE_PATH; default "/"
	CookieSecure bool   // SESSION_COOKIE_SECURE
	// CookieScriptReadable is SESSION_COOKIE_HTTPONLY=false: the cookie
	// loses HttpOnly, and any script on the page can steal the session.
	// The zero value is Django's safe default.
	CookieScriptReadable bool
	CookieSameSite       http.SameSite // SESSION_COOKIE_SAMESITE; default Lax

	Age                  time.Duration // SESSION_COOKIE_AGE; default two weeks
	ExpireAtBrowserClose bool          // SESSION_EXPIRE_AT_BROWSER_CLOSE
	SaveEveryRequest     bool          // SESSION_SAVE_EVERY_REQUEST

	// MaxSize caps a session's data, as JSON, so that no client can grow
	// one without bound: a save past it fails with ErrTooLarge, and
	// nothing is stored. Default DefaultMaxSize.
	MaxSize int

	// Sealer, if set, encrypts session data at rest (SESSION_ENCRYPTION_KEYS).
	Sealer *Sealer

	// StoreTimeout bounds each call to the store, so that a stalled
	// database answers 503 instead of holding the request and a pooled
	// connection indefinitely. Default 5 seconds.
	StoreTimeout time.Duration

	Logger *slog.Logger
	Now    func() time.Time // for tests; default time.Now
}

// Manager loads, saves and deletes sessions in one Store, signing their data
// as Django does, and provides the HTTP middleware.
type Manager struct {
	store    Store // nil in the signed-cookies engine
	signer   *Signer
	opts     Options
	inCookie bool // the signed-cookies engine: the key is the signed data
	decoded  decoded
}

// NewManager returns a Manager that keeps sessions in store, signed by signer
// (which should use SaltStore to be readable by Django).
func NewManager(store Store, signer *Signer, opts Options) *Manager {
	if opts.CookieName == "" {
		opts.CookieName = "sessionid"
	}
	if opts.CookiePath == "" {
		opts.CookiePath = "/"
	}
	if opts.CookieSameSite == 0 {
		opts.CookieSameSite = http.SameSiteLaxMode
	}
	if opts.Age == 0 {
		opts.Age = DefaultAge
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.StoreTimeout == 0 {
		opts.StoreTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Manager{store: store, signer: signer, opts: opts}
}

// New returns an empty session with no key; it is stored when first saved.
func (m *Manager) New() *Session {
	return &Session{m: m, data: map[string]json.RawMessage{}}
}

// Load returns the session saved under key. A key that is malformed,
// unknown, expired, or whose data fails verification is not adopted: the
// result is a new, empty session. Only a failing store is an error.
func (m *Manager) Load(ctx context.Context, key string) (*Session, error) {
	if m.inCookie {
		return m.loadFromCookie(key), nil
	}
	s := m.New()
	if !ValidKey(key) {
		return s, nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	encoded, found, err := m.store.Load(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%w: load: %w", ErrUnavailable, err)
	}
	if !found {
		return s, nil
	}
	data, err := m.decode(encoded)
	if err != nil {
		// Django logs this as a SuspiciousOperation and carries on with an
		// empty session; the key is not adopted, so nothing is overwritten.
		m.opts.Logger.Warn("session data failed verification; starting a new session",
			"session", Fingerprint(key), "err", err)
		return s, nil
	}
	loaded := &Session{m: m, key: key, data: data}
	if e := loaded.expiry(); e.isDate && !m.now().Before(e.date) {
		// Past the date it was given: whatever the store judged by (a
		// file's time, a TTL set by another program), it is over.
		return s, nil
	}
	return loaded, nil
}

// Save writes the session to the store: under a new key when it has none,
// otherwise as a change to its stored record. What this request changed is
// applied to the data stored now, key by key, so that a concurrent request's
// change to another key is kept rather than overwritten with this request's
// stale copy. If the record was deleted meanwhile, Save returns
// ErrInterrupted and does not bring it back.
func (m *Manager) Save(ctx context.Context, s *Session) error {
	if s.key == "" {
		return m.create(ctx, s)
	}
	return m.update(ctx, s, nil)
}

// create stores s under a fresh key.
func (m *Manager) create(ctx context.Context, s *Session) error {
	if m.inCookie {
		return m.saveInCookie(s, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	r, err := m.record(s)
	if err != nil {
		return err
	}
	for range createAttempts {
		key := newKey()
		err := m.store.Create(ctx, key, r)
		if errors.Is(err, ErrKeyExists) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: create: %w", ErrUnavailable, err)
		}
		s.key = key
		s.stored()
		return nil
	}
	return fmt.Errorf("%w: no free key after %d attempts", ErrUnavailable, createAttempts)
}

// update stores s over its record, its changes replayed on the stored data
// and then fn, if any, run on the result, all under the store's exclusion.
func (m *Manager) update(ctx context.Context, s *Session, fn func(*Session) error) error {
	if m.inCookie {
		return m.saveInCookie(s, fn)
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	snap := s.snapshot()
	err := m.store.Update(ctx, s.key, m.edit(s, snap, fn))
	return m.settle(s, snap, err, "update")
}

// rotate moves s to a new key, with its changes replayed on the stored data.
func (m *Manager) rotate(ctx context.Context, s *Session) error {
	if m.inCookie {
		return m.saveInCookie(s, nil) // a new signature: Django's cycle_key is save()
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	snap := s.snapshot()
	for range createAttempts {
		key := newKey()
		err := m.store.Rotate(ctx, s.key, key, m.edit(s, snap, nil))
		if errors.Is(err, ErrKeyExists) {
			continue
		}
		if err == nil {
			s.key = key
		}
		return m.settle(s, snap, err, "rotate")
	}
	s.restore(snap)
	return fmt.Errorf("%w: no free key after %d attempts", ErrUnavailable, createAttempts)
}

// editError carries the error of a caller's function through the store, so
// that it comes back as it was rather than as a store failure.
type editError struct{ err error }

func (e editError) Error() string { return e.err.Error() }

// edit is the Edit that replays the changes of s (as of snap) on the stored
// data, then runs fn. Each call starts again from snap, as a store may retry.
func (m *Manager) edit(s *Session, snap snapshot, fn func(*Session) error) Edit {
	return func(current string) (Record, error) {
		s.restore(snap)
		base, err := m.decode(current)
		if err != nil {
			// Stored data that fails verification (a key rotated away, a
			// tampered row) would have loaded as an empty session.
			m.opts.Logger.Warn("stored session data failed verification; replacing it",
				"session", Fingerprint(s.key), "err", err)
			base = map[string]json.RawMessage{}
		}
		s.rebase(base)
		if fn != nil {
			if err := fn(s); err != nil {
				return Record{}, editError{err}
			}
		}
		r, err := m.record(s)
		if err != nil {
			return Record{}, editError{err}
		}
		return r, nil
	}
}

// settle finishes an update or rotate: on success s is what was stored, and
// on failure it is as it was before.
func (m *Manager) settle(s *Session, snap snapshot, err error, op string) error {
	var fnErr editError
	switch {
	case err == nil:
		s.stored()
		return nil
	case errors.As(err, &fnErr):
		s.restore(snap)
		return fnErr.err
	case errors.Is(err, ErrNotFound):
		s.restore(snap)
		return ErrInterrupted
	default:
		s.restore(snap)
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
	}
}

// record is s as the store keeps it, or ErrTooLarge.
func (m *Manager) record(s *Session) (Record, error) {
	data := encodeData(s.data)
	if len(data) > m.opts.MaxSize {
		return Record{}, ErrTooLarge
	}
	return Record{
		Data:   m.seal(m.signer.Sign(data, m.now())),
		Expiry: s.ExpiryDate(),
		Meta:   s.meta,
	}, nil
}

// ClearExpired deletes expired sessions in batches of batch, calling progress
// after each batch with the running total, as Django's clearsessions.
func (m *Manager) ClearExpired(ctx context.Context, batch int, progress func(deleted int)) (int, error) {
	if m.inCookie {
		return 0, nil // expired cookies are refused when they come back
	}
	total := 0
	for {
		n, err := m.store.DeleteExpired(ctx, m.now(), batch)
		if err != nil {
			return total, fmt.Errorf("%w: delete expired: %w", ErrUnavailable, err)
		}
		total += n
		if n == 0 {
			return total, nil
		}
		if progress != nil {
			progress(total)
		}
	}
}

func (m *Manager) delete(ctx context.Context, key string) error {
	if m.inCookie {
		return nil // nothing on the server; the client is told to drop its cookie
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	if err := m.store.Delete(ctx, key); err != nil {
		return fmt.Errorf("%w: delete: %w", ErrUnavailable, err)
	}
	return nil
}

// decode verifies and decodes stored data, or remembers having done so.
func (m *Manager) decode(stored string) (map[string]json.RawMessage, error) {
	if data, ok := m.decoded.get(stored); ok {
		return data, nil
	}
	encoded, err := m.open(stored)
	if err != nil {
		return nil, err
	}
	payload, _, err := m.signer.Unsign(encoded)
	if err != nil {
		return nil, err
	}
	data, err := decodeData(payload)
	if err != nil {
		return nil, err
	}
	m.decoded.put(stored, data)
	return data, nil
}

// seal encrypts signed data for the store, when encryption is on.
func (m *Manager) seal(signed string) string {
	if m.opts.Sealer == nil {
		return signed
	}
	return m.opts.Sealer.Seal(signed)
}

// open undoes seal.
func (m *Manager) open(stored string) (string, error) {
	if m.opts.Sealer == nil {
		return stored, nil
	}
	return m.opts.Sealer.Open(stored)
}

func (m *Manager) now() time.Time { return m.opts.Now().UTC() }

// Fingerprint returns a short, stable, non-reversible name for a session key,
// fit for logs and for showing a user which of their sessions is which.
func Fingerprint(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}
