package auth

import (
	"context"
	"crypto/hmac"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/session"
)

// The session keys of a login. The first three are Django's, so that a
// Django app sharing the sessions sees the same user; the others are the
// seed application's, visible to clients.
const (
	keyUserID    = "_auth_user_id"
	keyBackend   = "_auth_user_backend"
	keyHash      = "_auth_user_hash"
	keyUserIDPub = "user_id"
	keyUsername  = "username"
	keyLoggedIn  = "is_logged_in"
	keyLoginTime = "login_time"
	// keyLastActivity is the seed's last_activity, kept internal: Unix
	// seconds of the last request, for the idle timeout.
	keyLastActivity = "_last_activity"

	// backend is the one Django authentication backend this API speaks for.
	backend = "django.contrib.auth.backends.ModelBackend"
)

// Django's limits on auth_user's columns.
const (
	maxUsername = 150
	maxEmail    = 254
)

// Users is what the Service needs of a user store: a *Repository, or a
// *UserCache in front of one.
type Users interface {
	Create(ctx context.Context, username, email, passwordHash string, joined time.Time) (User, error)
	ByUsername(ctx context.Context, username string) (User, error)
	ByID(ctx context.Context, id int64) (User, error)
	SetPassword(ctx context.Context, id int64, hash string) error
	SetLastLogin(ctx context.Context, id int64, at time.Time) error
}

// Limiter throttles attempts at a password; Throttle is the one on the
// database. An attempt is counted before its password is checked, so that
// attempts sent at once cannot all be checked before the first failure is
// counted.
type Limiter interface {
	// Reserve counts an attempt for username from addr, about to be
	// checked. It returns a too_many_attempts *apperr.Error, and counts
	// nothing, when the username or the address has as many attempts in the
	// window, failed or being checked, as it may. A failed attempt needs
	// nothing more: it stays counted.
	Reserve(ctx context.Context, username, addr string, now time.Time) (Attempt, error)
	// Succeed ends an attempt with the right password: the username's
	// failures are forgotten, and the attempt stops counting against the
	// address.
	Succeed(ctx context.Context, a Attempt) error
	// Release un-counts an attempt that was never decided, because
	// something else failed meanwhile.
	Release(ctx context.Context, a Attempt) error
}

// Attempt is an attempt at a password that a Limiter has counted.
type Attempt struct {
	username string
	rows     [2]int64 // the Throttle's rows: the username's, the address's
}

// Config is what the Service is set up with.
type Config struct {
	Limiter       Limiter      // nil: logins are not throttled
	Sessions      sessionIndex // the session store's index by user, for "my sessions"
	Hasher        *password.Hasher
	Secret        string   // SECRET_KEY: keys the session auth hash
	Fallbacks     []string // SECRET_KEY_FALLBACKS: still accepted
	RememberMeAge time.Duration
	IdleTimeout   time.Duration // SESSION_IDLE_TIMEOUT; 0 turns it off
	Now           func() time.Time
	Failures      FailureCounter // nil: refused logins are not counted
}

// Service holds the rules of accounts.
type Service struct {
	users Users
	cfg   Config
}

// NewService returns a Service on users.
func NewService(users Users, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RememberMeAge == 0 {
		cfg.RememberMeAge = 30 * 24 * time.Hour // SESSION_REMEMBER_ME_AGE's default
	}
	return &Service{users: users, cfg: cfg}
}

// Registration is what a new user gives.
type Registration struct {
	Username, Password, Email string
}

// Register creates a user, after Django's checks of the username, the email
// and the password (AUTH_PASSWORD_VALIDATORS' defaults), reporting every
// failed rule at once.
func (svc *Service) Register(ctx context.Context, r Registration) (User, error) {
	// Django normalises usernames to NFKC, so that look-alike forms of one
	// name cannot be registered twice.
	r.Username = norm.NFKC.String(r.Username)
	fields := map[string]string{}
	if msg := checkUsername(r.Username); msg != "" {
		fields["username"] = msg
	}
	if r.Email != "" && !validEmail(r.Email) {
		fields["email"] = "Enter a valid email address."
	}
	if msgs := password.Validate(r.Password, password.Attributes{Username: r.Username, Email: r.Email}); len(msgs) > 0 {
		fields["password"] = strings.Join(msgs, " ")
	}
	if len(fields) > 0 {
		return User{}, apperr.Invalid(fields)
	}
	u, err := svc.users.Create(ctx, r.Username, r.Email, svc.cfg.Hasher.Make(r.Password), svc.cfg.Now())
	if errors.Is(err, ErrUsernameTaken) {
		return User{}, apperr.New(apperr.Conflict, "a user with that username already exists")
	}
	return u, err
}

func checkUsername(name string) string {
	switch {
	case name == "":
		return "This field is required."
	case utf8.RuneCountInString(name) > maxUsername:
		return "Ensure this value has at most 150 characters."
	}
	for _, r := range name {
		// Django's UnicodeUsernameValidator: ^[\w.@+-]+\Z
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !strings.ContainsRune("_.@+-", r) {
			return "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
		}
	}
	return ""
}

func validEmail(email string) bool {
	if utf8.RuneCountInString(email) > maxEmail {
		return false
	}
	addr, err := mail.ParseAddress(email)
	return err == nil && addr.Address == email && strings.Contains(email[strings.LastIndexByte(email, '@'):], ".")
}

// errBadCredentials is one answer for an unknown user, a wrong password and
// an inactive account, so that none can be told from the others.
var errBadCredentials = apperr.New(apperr.InvalidCredentials, "the username or password is incorrect")

// Login authenticates username and pw and logs the user in on s: the key is
// rotated on every login (a key known before it is dead after it), Django's
// session keys are written, and the session lasts RememberMeAge with
// remember, or until the browser closes without.
func (svc *Service) Login(ctx context.Context, s *session.Session, username, pw string, remember bool, c Client) (User, error) {
	username = norm.NFKC.String(username)
	now := svc.cfg.Now().UTC()
	var u User
	ok, err := svc.throttled(ctx, username, c, now, func() (bool, error) {
		var err error
		u, err = svc.authenticate(ctx, username, pw)
		if err == errBadCredentials {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return User{}, err
	}
	if !ok {
		return User{}, errBadCredentials
	}
	// Before the key rotates: if the database fails here, the client keeps
	// its session as it was.
	if err := svc.users.SetLastLogin(ctx, u.ID, now); err != nil {
		return User{}, err
	}
	u.LastLogin = &now
	// Django's login(): another user's session (or one whose hash no longer
	// matches) is flushed, so nothing of theirs is inherited; otherwise the
	// key is cycled and the data (an anonymous cart) is kept. Django keeps
	// the key for a repeated login of the same user; we rotate it anyway.
	hash := svc.authHash(u.PasswordHash)
	if id, ok := sessionUserID(s); ok && (id != u.ID || !hmac.Equal([]byte(stringValue(s, keyHash)), []byte(hash))) {
		err = s.Flush(ctx)
	} else {
		err = s.CycleKey(ctx)
	}
	if err != nil {
		return User{}, err
	}
	for k, v := range map[string]any{
		keyUserID: strconv.FormatInt(u.ID, 10), keyBackend: backend, keyHash: hash,
		keyUserIDPub: u.ID, keyUsername: u.Username, keyLoggedIn: true, keyLoginTime: now.Truncate(time.Second),
		keyLastActivity: now.Unix(),
	} {
		if err := s.Set(k, v); err != nil {
			return User{}, err
		}
	}
	s.SetMeta(session.Meta{UserID: u.ID, CreatedAt: now, LastActive: now, IP: c.Addr, UserAgent: c.UserAgent})
	if remember {
		s.SetExpiry(svc.cfg.RememberMeAge)
	} else {
		s.SetExpiry(0)
	}
	return u, nil
}

// throttled runs check, an attempt at username's password from c, through
// the Limiter, and reports what check did: whether the password was right,
// or an error when that was not decided (the database failed). check does
// not run when the username or the address is over its limit. A wrong
// password stays counted; an undecided attempt is un-counted.
func (svc *Service) throttled(ctx context.Context, username string, c Client, now time.Time, check func() (ok bool, err error)) (bool, error) {
	l := svc.cfg.Limiter
	if l == nil {
		return check()
	}
	a, err := l.Reserve(ctx, username, clientKey(c.Addr), now)
	if err != nil {
		return false, err
	}
	ok, err := check()
	// The attempt is over, whether or not the client still waits for it.
	ctx = context.WithoutCancel(ctx)
	switch {
	case err != nil:
		if rerr := l.Release(ctx, a); rerr != nil {
			return false, errors.Join(err, rerr)
		}
		return false, err
	case ok:
		return true, l.Succeed(ctx, a)
	}
	return false, nil
}

// authenticate is Django's ModelBackend.authenticate, with its care that an
// unknown user costs as much time as a wrong password.
func (svc *Service) authenticate(ctx context.Context, username, pw string) (User, error) {
	if checkUsername(username) != "" { // no such user can exist: spare the database
		svc.cfg.Hasher.Dummy(pw)
		return User{}, errBadCredentials
	}
	u, err := svc.users.ByUsername(ctx, username)
	if errors.Is(err, ErrNoUser) {
		svc.cfg.Hasher.Dummy(pw)
		return User{}, errBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	ok, mustUpdate := svc.cfg.Hasher.Check(pw, u.PasswordHash)
	if !ok || !u.IsActive {
		return User{}, errBadCredentials
	}
	if mustUpdate { // Django's hasher upgrade: the next login is at today's cost
		u.PasswordHash = svc.cfg.Hasher.Make(pw)
		if err := svc.users.SetPassword(ctx, u.ID, u.PasswordHash); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// Logout ends the session: deleted from the store, its key dead everywhere.
func (svc *Service) Logout(ctx context.Context, s *session.Session) error {
	return s.Flush(ctx)
}

// ErrSessionExpired is Visit's answer for a login left idle longer than the
// idle timeout; the session has been flushed.
var ErrSessionExpired = errors.New("auth: session idle for too long")

// Current returns the user logged in on s, as Django's get_user: the user
// must exist, be active and match the session's auth hash, which changes
// with the password. A session that fails any of these is flushed, and the
// request is anonymous (found false).
//
// A login made by another of a Django project's authentication backends
// (a login by email, by a social account) is anonymous here but left as it
// is, as Django leaves one by a backend it does not list: this API vouches
// only for ModelBackend's logins, and flushing would log the user out of
// the Django project too.
func (svc *Service) Current(ctx context.Context, s *session.Session) (u User, found bool, err error) {
	id, ok := sessionUserID(s)
	if !ok {
		if s.Has(keyUserID) { // present but unreadable
			return User{}, false, s.Flush(ctx)
		}
		return User{}, false, nil
	}
	if stringValue(s, keyBackend) != backend {
		return User{}, false, nil
	}
	u, match, err := svc.holds(ctx, s, id, svc.users.ByID)
	if fresh, ok := svc.users.(freshUsers); ok && err == nil && match == hashMismatch {
		// A cached user may be older than the session: a password change
		// made through another process re-signed this session before the
		// news reached this one. Never flush on the word of a copy.
		u, match, err = svc.holds(ctx, s, id, fresh.Fresh)
	}
	if err != nil {
		return User{}, false, err
	}
	switch match {
	case hashCurrent:
		return u, true, nil
	case hashFallback:
		// Signed with a retiring SECRET_KEY: re-sign, on a new key, as
		// Django 4.1.3+ does.
		if err := s.Set(keyHash, svc.authHash(u.PasswordHash)); err != nil {
			return User{}, false, err
		}
		return u, true, s.CycleKey(ctx)
	}
	return User{}, false, s.Flush(ctx)
}

// freshUsers is a user store that may answer from a copy (UserCache) and
// can read past it.
type freshUsers interface {
	Fresh(ctx context.Context, id int64) (User, error)
}

// holds reads the user of id with byID and tells whether they hold the
// login on s: hashMismatch for a user gone, inactive, or with another
// password.
func (svc *Service) holds(ctx context.Context, s *session.Session, id int64,
	byID func(context.Context, int64) (User, error)) (User, hashMatch, error) {
	u, err := byID(ctx, id)
	if errors.Is(err, ErrNoUser) {
		return User{}, hashMismatch, nil
	}
	if err != nil {
		return User{}, hashMismatch, err
	}
	if !u.IsActive {
		return u, hashMismatch, nil
	}
	return u, svc.matchHash(u.PasswordHash, stringValue(s, keyHash)), nil
}

// Visit is what every request that comes with a login gets, whatever its
// route: the idle timeout (a login idle for longer is flushed, and the
// answer is ErrSessionExpired), then Current's check that the account still
// holds the login (flushed if not: a user deleted, set inactive or with
// another password loses every session at its next request), and then the
// record of activity, which only a login found valid gets. It returns the
// user as Current does. A session without a login costs no query.
func (svc *Service) Visit(ctx context.Context, s *session.Session, c Client) (u User, found bool, err error) {
	if !s.Has(keyUserID) {
		return User{}, false, nil
	}
	if err := svc.expireIdle(ctx, s); err != nil {
		return User{}, false, err
	}
	if u, found, err = svc.Current(ctx, s); err != nil || !found {
		return User{}, false, err
	}
	return u, true, svc.recordActivity(s, u, c)
}

// expireIdle applies the idle timeout (the seed's SessionTimeoutMiddleware):
// a login idle for longer is flushed, and the answer is ErrSessionExpired.
func (svc *Service) expireIdle(ctx context.Context, s *session.Session) error {
	limit := svc.cfg.IdleTimeout
	last, ok := lastActivity(s)
	if limit <= 0 || !ok || svc.cfg.Now().Sub(last) <= limit {
		return nil
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	return ErrSessionExpired
}

// recordActivity notes that u, from c, used s now: for the idle timeout, and
// for "my sessions" (last used, from where). It writes at most once per
// activityStep, so that read-only traffic stays write-free.
func (svc *Service) recordActivity(s *session.Session, u User, c Client) error {
	now := svc.cfg.Now()
	last, ok := lastActivity(s)
	if ok && now.Sub(last) < activityStep(svc.cfg.IdleTimeout) {
		return nil
	}
	meta := session.Meta{UserID: u.ID, LastActive: now, IP: c.Addr, UserAgent: c.UserAgent}
	if !ok { // logged in by Django: it begins, for "my sessions", when first seen here
		meta.CreatedAt = now
	}
	s.SetMeta(meta)
	return s.Set(keyLastActivity, now.Unix())
}

// lastActivity returns the time of the session's last recorded request.
func lastActivity(s *session.Session) (time.Time, bool) {
	var last int64
	found, err := s.Get(keyLastActivity, &last)
	return time.Unix(last, 0), found && err == nil
}

// activityStep is how stale the recorded activity may get: a tenth of the
// timeout, at most a minute, so that the timeout is kept to within 10%.
func activityStep(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return time.Minute
	}
	return max(time.Second, min(time.Minute, timeout/10))
}

// LoginTime returns when the session's user logged in, if it says.
func LoginTime(s *session.Session) (time.Time, bool) {
	var t time.Time
	found, err := s.Get(keyLoginTime, &t)
	return t, found && err == nil
}

// ChangePassword sets a new password for u, who is logged in on s, after
// checking the old one. Every other session of u ends: deleted where the
// store keeps an index by user, and in any case no longer authenticated,
// since its auth hash no longer matches (a session Django made). s stays
// logged in, on a new key (Django's update_session_auth_hash).
//
// A wrong old password counts as a failed login of u's username from c,
// through the same Limiter: a stolen session must not become a way to guess
// the password that the login throttle cannot see.
func (svc *Service) ChangePassword(ctx context.Context, s *session.Session, u User, old, new string, c Client) error {
	ok, err := svc.throttled(ctx, norm.NFKC.String(u.Username), c, svc.cfg.Now().UTC(), func() (bool, error) {
		ok, _ := svc.cfg.Hasher.Check(old, u.PasswordHash)
		return ok, nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return apperr.Invalid(map[string]string{"old_password": "Your old password was entered incorrectly. Please enter it again."})
	}
	if msgs := password.Validate(new, password.Attributes{Username: u.Username, Email: u.Email}); len(msgs) > 0 {
		return apperr.Invalid(map[string]string{"new_password": strings.Join(msgs, " ")})
	}
	hash := svc.cfg.Hasher.Make(new)
	if err := svc.users.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	// The other sessions no longer authenticate (their auth hash is stale);
	// where the store can find them (not in signed cookies), they are
	// deleted too, so that they
	// neither linger in "my sessions" nor carry data for a login that ended.
	if err := svc.endOthers(ctx, s, u); err != nil && !errors.Is(err, session.ErrNoIndex) {
		return err
	}
	if err := s.Set(keyHash, svc.authHash(hash)); err != nil {
		return err
	}
	return s.CycleKey(ctx)
}

func (svc *Service) authHash(passwordHash string) string {
	return password.SessionAuthHash(passwordHash, svc.cfg.Secret)
}

type hashMatch int

const (
	hashMismatch hashMatch = iota
	hashCurrent
	hashFallback
)

// matchHash compares the session's auth hash with the user's, under the
// current SECRET_KEY and then each fallback, in constant time.
func (svc *Service) matchHash(passwordHash, got string) hashMatch {
	if hmac.Equal([]byte(got), []byte(svc.authHash(passwordHash))) {
		return hashCurrent
	}
	for _, k := range svc.cfg.Fallbacks {
		if hmac.Equal([]byte(got), []byte(password.SessionAuthHash(passwordHash, k))) {
			return hashFallback
		}
	}
	return hashMismatch
}

// sessionUserID reads _auth_user_id, which Django writes as a string ("1")
// and this API reads as a string or a number.
func sessionUserID(s *session.Session) (int64, bool) {
	var v any
	if found, err := s.Get(keyUserID, &v); !found || err != nil {
		return 0, false
	}
	switch v := v.(type) {
	case string:
		id, err := strconv.ParseInt(v, 10, 64)
		return id, err == nil && id > 0
	case float64:
		id := int64(v)
		return id, float64(id) == v && id > 0
	}
	return 0, false
}

func stringValue(s *session.Session, key string) string {
	var v string
	s.Get(key, &v) // a value of another type reads as ""
	return v
}
