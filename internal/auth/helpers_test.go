package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

// Ages of the test API, in seconds: SESSION_COOKIE_AGE's default, and the
// remember-me age, SESSION_REMEMBER_ME_AGE's default of 30 days.
const (
	defaultAge    = 1209600
	rememberMeAge = 2592000
)

// strongPassword passes every rule of the password policy for the usernames
// of these tests.
const strongPassword = "quartz-lantern-meadow"

// hashPrefix starts every password hash the test API makes.
var hashPrefix = "pbkdf2_sha256$" + itoa(apitest.PasswordIterations) + "$"

// The request and response bodies, as the contract spells them.
type (
	info struct {
		ExpiryAge            int       `json:"expiry_age"`
		ExpiryDate           time.Time `json:"expiry_date"`
		ExpireAtBrowserClose bool      `json:"expire_at_browser_close"`
	}
	userRef struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	registered struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
		Email    string `json:"email"`
	}
	credentials struct {
		Username   string `json:"username"`
		Password   string `json:"password"`
		RememberMe bool   `json:"remember_me"`
	}
	loggedIn struct {
		User    userRef `json:"user"`
		Session info    `json:"session"`
	}
	check struct {
		Authenticated bool       `json:"authenticated"`
		User          *userRef   `json:"user"`
		LoginTime     *time.Time `json:"login_time"`
		Session       *info      `json:"session"`
	}
	me struct {
		ID         int64      `json:"id"`
		Username   string     `json:"username"`
		Email      string     `json:"email"`
		DateJoined time.Time  `json:"date_joined"`
		LastLogin  *time.Time `json:"last_login"`
	}
	visit struct {
		Count int `json:"visit_count"`
	}
)

// eachDB runs f on a fresh API on each supported database, with a clock of
// its own that starts now, to the second.
func eachDB(t *testing.T, f func(t *testing.T, app *apitest.App, clk *apitest.Clock)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		clk := apitest.NewClock()
		app := apitest.New(t, apitest.Options{DatabaseURL: newURL(t), Now: clk.Now})
		f(t, app, clk)
	})
}

func decode[T any](t *testing.T, res *apitest.Response) T {
	t.Helper()
	var v T
	res.JSON(t, &v)
	return v
}

func sameInfo(a, b info) bool {
	return a.ExpiryAge == b.ExpiryAge && a.ExpiryDate.Equal(b.ExpiryDate) && a.ExpireAtBrowserClose == b.ExpireAtBrowserClose
}

// register creates username with strongPassword and no email.
func register(t *testing.T, app *apitest.App, username string) registered {
	t.Helper()
	res := app.Browser().Post("/api/auth/register", map[string]string{"username": username, "password": strongPassword})
	return decode[registered](t, res.Want(t, http.StatusCreated))
}

// login logs cl in as username with strongPassword, for the browser's
// lifetime.
func login(t *testing.T, cl *apitest.Client, username string) loggedIn {
	t.Helper()
	res := cl.Post("/api/auth/login", credentials{Username: username, Password: strongPassword})
	return decode[loggedIn](t, res.Want(t, http.StatusOK))
}

// checkSession asks the API whether cl is logged in.
func checkSession(t *testing.T, cl *apitest.Client) (check, *apitest.Response) {
	t.Helper()
	res := cl.Get("/api/auth/session").Want(t, http.StatusOK)
	return decode[check](t, res), res
}

// wantAnonymous checks that the session check answers exactly
// {"authenticated":false}.
func wantAnonymous(t *testing.T, cl *apitest.Client) *apitest.Response {
	t.Helper()
	got, res := checkSession(t, cl)
	if got.Authenticated || got.User != nil || got.LoginTime != nil || got.Session != nil {
		t.Fatalf("session check %s, want {\"authenticated\":false}", res.Body)
	}
	return res
}

// wantAuthenticatedAs checks that the session check knows cl as u.
func wantAuthenticatedAs(t *testing.T, cl *apitest.Client, u registered) check {
	t.Helper()
	got, res := checkSession(t, cl)
	if !got.Authenticated || got.User == nil || *got.User != (userRef{u.ID, u.Username}) {
		t.Fatalf("session check %s, want authenticated as %d %q", res.Body, u.ID, u.Username)
	}
	return got
}

// stored returns the session saved under key, decoded as the API decodes
// it, failing the test if there is none.
func stored(t *testing.T, app *apitest.App, key string) *session.Session {
	t.Helper()
	s, err := app.Sessions.Load(context.Background(), key)
	if err != nil {
		t.Fatalf("loading session: %v", err)
	}
	if s.Key() == "" {
		t.Fatalf("no session is stored under %q", key)
	}
	return s
}

// value returns what s holds under key, failing the test if it holds
// nothing or something that does not decode as a T.
func value[T any](t *testing.T, s *session.Session, key string) T {
	t.Helper()
	var v T
	found, err := s.Get(key, &v)
	if !found || err != nil {
		t.Fatalf("session value %q: found %v, err %v", key, found, err)
	}
	return v
}

func wantNotStored(t *testing.T, app *apitest.App, key string) {
	t.Helper()
	if _, found := app.Stored(t, key); found {
		t.Fatalf("the session %s is still stored", key)
	}
}

// account is the auth_user row, as far as these tests look at it.
type account struct {
	Password  string     `db:"password"`
	IsActive  bool       `db:"is_active"`
	LastLogin *time.Time `db:"last_login"`
}

func accountOf(t *testing.T, app *apitest.App, id int64) account {
	t.Helper()
	var a account
	if err := app.DB.Get(&a, app.DB.Rebind("SELECT password, is_active, last_login FROM auth_user WHERE id = ?"), id); err != nil {
		t.Fatalf("reading auth_user %d: %v", id, err)
	}
	return a
}

// columnsOf returns every column of the user's auth_user row as text.
func columnsOf(t *testing.T, app *apitest.App, id int64) map[string]string {
	t.Helper()
	row := map[string]any{}
	if err := app.DB.QueryRowx(app.DB.Rebind("SELECT * FROM auth_user WHERE id = ?"), id).MapScan(row); err != nil {
		t.Fatalf("reading auth_user %d: %v", id, err)
	}
	text := make(map[string]string, len(row))
	for k, v := range row {
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		text[k] = fmt.Sprint(v)
	}
	return text
}

func exec(t *testing.T, app *apitest.App, query string, args ...any) {
	t.Helper()
	if _, err := app.DB.Exec(app.DB.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// wantFields checks that an error's fields explain each of want, and
// nothing else.
func wantFields(t *testing.T, fields map[string]string, want ...string) {
	t.Helper()
	for _, f := range want {
		if fields[f] == "" {
			t.Fatalf("fields %v, want %q explained", fields, f)
		}
	}
	if len(fields) != len(want) {
		t.Fatalf("fields %v, want only %q", fields, want)
	}
}

// sessionAuthHash is Django's _auth_user_hash for a password hash, under
// the test API's SECRET_KEY.
func sessionAuthHash(passwordHash string) string {
	return password.SessionAuthHash(passwordHash, apitest.SecretKey)
}

func itoa[T int | int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// wantNoKeyChange checks that res neither issues nor forgets a key.
func wantNoKeyChange(t *testing.T, res *apitest.Response) {
	t.Helper()
	res.WantNoCookie(t)
	if v := res.Header.Values(session.HeaderKey); len(v) != 0 {
		t.Fatalf("%s %s: X-Session-Key %q, want none", res.Request.Method, res.Request.URL.Path, v)
	}
}
