package wizard_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

// The paths of the wizard.
const (
	wizardPath = "/api/wizard"
	step1Path  = "/api/wizard/steps/1"
	step2Path  = "/api/wizard/steps/2"
	submitPath = "/api/wizard/submit"
)

// The request and response bodies, as the contract spells them.
type (
	contact struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Phone string `json:"phone"`
	}
	address struct {
		Address    string `json:"address"`
		City       string `json:"city"`
		PostalCode string `json:"postal_code"`
	}
	data struct {
		Name       string `json:"name"`
		Email      string `json:"email"`
		Phone      string `json:"phone"`
		Address    string `json:"address"`
		City       string `json:"city"`
		PostalCode string `json:"postal_code"`
	}
	state struct {
		CurrentStep int  `json:"current_step"`
		Data        data `json:"data"`
	}
	profile struct {
		ID         int64     `json:"id"`
		UserID     *int64    `json:"user_id"`
		Name       string    `json:"name"`
		Email      string    `json:"email"`
		Phone      string    `json:"phone"`
		Address    string    `json:"address"`
		City       string    `json:"city"`
		PostalCode string    `json:"postal_code"`
		CreatedAt  time.Time `json:"created_at"`
	}
	created struct {
		Profile profile `json:"profile"`
	}
)

// A valid step 1 and step 2.
var (
	ada       = contact{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+44 20 7946 0958"}
	adaHome   = address{Address: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH"}
	grace     = contact{Name: "Grace Hopper", Email: "grace@example.org", Phone: "212 555 0100"}
	graceHome = address{Address: "1 Navy Way", City: "Arlington", PostalCode: "22202"}
)

// stateOf is the state the API answers for the steps given (nil: not done).
func stateOf(c *contact, a *address) state {
	st := state{CurrentStep: 1}
	if c != nil {
		st.CurrentStep = 2
		st.Data.Name, st.Data.Email, st.Data.Phone = c.Name, c.Email, c.Phone
	}
	if a != nil {
		if c != nil {
			st.CurrentStep = 3
		}
		st.Data.Address, st.Data.City, st.Data.PostalCode = a.Address, a.City, a.PostalCode
	}
	return st
}

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

func decode[T any](t testing.TB, res *apitest.Response) T {
	t.Helper()
	var v T
	res.JSON(t, &v)
	return v
}

// wantState checks that res is 200 with the wizard state want.
func wantState(t testing.TB, res *apitest.Response, want state) {
	t.Helper()
	if got := decode[state](t, res.Want(t, http.StatusOK)); got != want {
		t.Fatalf("%s %s: state %+v, want %+v", res.Request.Method, res.Request.URL.Path, got, want)
	}
}

// complete fills in both steps for cl.
func complete(t testing.TB, cl *apitest.Client, c contact, a address) {
	t.Helper()
	cl.Put(step1Path, c).Want(t, http.StatusOK)
	wantState(t, cl.Put(step2Path, a), stateOf(&c, &a))
}

// wantProfile checks that p holds the steps c and a, for userID (nil:
// anonymous), created at now.
func wantProfile(t testing.TB, p profile, c contact, a address, userID *int64, now time.Time) {
	t.Helper()
	got := p
	got.ID, got.UserID, got.CreatedAt = 0, nil, time.Time{}
	want := profile{Name: c.Name, Email: c.Email, Phone: c.Phone, Address: a.Address, City: a.City, PostalCode: a.PostalCode}
	if got != want || p.ID < 1 || !p.CreatedAt.Equal(now) || !sameUser(p.UserID, userID) {
		t.Fatalf("profile %+v (user %v), want %+v for user %v, created at %v", p, deref(p.UserID), want, deref(userID), now)
	}
}

// profileRow is a row of the profiles table.
type profileRow struct {
	ID           int64     `db:"id"`
	UserID       *int64    `db:"user_id"`
	Name         string    `db:"name"`
	Email        string    `db:"email"`
	Phone        string    `db:"phone"`
	Address      string    `db:"address"`
	City         string    `db:"city"`
	PostalCode   string    `db:"postal_code"`
	CreatedAt    time.Time `db:"created_at"`
	SubmissionID string    `db:"submission_id"`
}

// profileRows returns every row of profiles, by id.
func profileRows(t testing.TB, app *apitest.App) []profileRow {
	t.Helper()
	var rows []profileRow
	if err := app.DB.Select(&rows, "SELECT * FROM profiles ORDER BY id"); err != nil {
		t.Fatalf("reading profiles: %v", err)
	}
	return rows
}

// wantOneRowLike checks that profiles holds exactly the one row of p.
func wantOneRowLike(t testing.TB, app *apitest.App, p profile) {
	t.Helper()
	rows := profileRows(t, app)
	if len(rows) != 1 {
		t.Fatalf("%d rows in profiles, want 1: %+v", len(rows), rows)
	}
	r := rows[0]
	if r.ID != p.ID || !sameUser(r.UserID, p.UserID) || r.Name != p.Name || r.Email != p.Email || r.Phone != p.Phone ||
		r.Address != p.Address || r.City != p.City || r.PostalCode != p.PostalCode || !r.CreatedAt.Equal(p.CreatedAt) {
		t.Fatalf("profiles row %+v, want the profile answered %+v", r, p)
	}
}

func sameUser(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// strongPassword passes the password policy for the usernames of these tests.
const strongPassword = "quartz-lantern-meadow"

// loggedIn registers username and logs cl in as it, returning the user's id.
func loggedIn(t testing.TB, app *apitest.App, cl *apitest.Client, username string) int64 {
	t.Helper()
	cred := map[string]string{"username": username, "password": strongPassword}
	u := decode[struct {
		ID int64 `json:"id"`
	}](t, app.Browser().Post("/api/auth/register", cred).Want(t, http.StatusCreated))
	cl.Post("/api/auth/login", cred).Want(t, http.StatusOK)
	return u.ID
}

// mobileWithKey returns a client of app that presents key in X-Session-Key:
// the same session, through another API process.
func mobileWithKey(app *apitest.App, key string) *apitest.Client {
	cl := app.Mobile()
	cl.Header.Set(session.HeaderKey, key)
	return cl
}
