package wizard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

func TestWizardSubmit(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("201", func(t *testing.T) {
			t.Run("anonymous: the profile has no user, and the wizard is cleared", func(t *testing.T) {
				clearProfiles(t, app)
				b := app.Browser()
				complete(t, b, ada, adaHome)
				res := b.Post(submitPath, nil).Want(t, http.StatusCreated)
				p := decode[created](t, res).Profile
				wantProfile(t, p, ada, adaHome, nil, clk.Now())
				wantOneRowLike(t, app, p)
				wantState(t, b.Get(wizardPath), state{CurrentStep: 1})
			})

			t.Run("logged in: the profile is the user's", func(t *testing.T) {
				clearProfiles(t, app)
				b := app.Browser()
				id := loggedIn(t, app, b, "ada")
				complete(t, b, ada, adaHome)
				p := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
				wantProfile(t, p, ada, adaHome, &id, clk.Now())
				wantOneRowLike(t, app, p)
				// Logged in still: the submit cleared the wizard, not the login.
				b.Get("/api/auth/me").Want(t, http.StatusOK)
			})

			t.Run("a wizard begun anonymously and submitted after a login is the user's", func(t *testing.T) {
				clearProfiles(t, app)
				m := app.Mobile()
				complete(t, m, grace, graceHome)
				id := loggedIn(t, app, m, "grace")
				wantState(t, m.Get(wizardPath), stateOf(&grace, &graceHome))
				p := decode[created](t, m.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
				wantProfile(t, p, grace, graceHome, &id, clk.Now())
			})

			t.Run("deleting the user keeps the profile, without its user", func(t *testing.T) {
				clearProfiles(t, app)
				b := app.Browser()
				id := loggedIn(t, app, b, "temporary")
				complete(t, b, ada, adaHome)
				p := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
				if _, err := app.DB.Exec(app.DB.Rebind("DELETE FROM auth_user WHERE id = ?"), id); err != nil {
					t.Fatal(err)
				}
				p.UserID = nil
				wantOneRowLike(t, app, p)
			})

			t.Run("the next wizard makes a new profile", func(t *testing.T) {
				clearProfiles(t, app)
				b := app.Browser()
				complete(t, b, ada, adaHome)
				first := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
				complete(t, b, ada, adaHome)
				second := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
				if second.ID == first.ID {
					t.Fatalf("the second wizard answered the first's profile %d", first.ID)
				}
				if n := len(profileRows(t, app)); n != 2 {
					t.Fatalf("%d profiles, want 2", n)
				}
			})
		})

		t.Run("409", func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				steps func(*testing.T, *apitest.Client)
			}{
				{"no wizard", func(*testing.T, *apitest.Client) {}},
				{"step 1 only", func(t *testing.T, b *apitest.Client) { b.Put(step1Path, ada).Want(t, http.StatusOK) }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					clearProfiles(t, app)
					b := app.Browser()
					tc.steps(t, b)
					res := b.Post(submitPath, nil)
					res.WantError(t, http.StatusConflict, "step_out_of_order")
					if n := len(profileRows(t, app)); n != 0 {
						t.Fatalf("%d profiles, want none", n)
					}
				})
			}

			t.Run("a submit sent again after it succeeded makes no second profile", func(t *testing.T) {
				clearProfiles(t, app)
				b := app.Browser()
				complete(t, b, ada, adaHome)
				p := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
				b.Post(submitPath, nil).WantError(t, http.StatusConflict, "step_out_of_order")
				wantOneRowLike(t, app, p)
			})
		})

		t.Run("a failed insert leaves the wizard to be submitted again", func(t *testing.T) {
			clearProfiles(t, app)
			b := app.Browser()
			complete(t, b, ada, adaHome)
			before, _ := app.Stored(t, b.SessionKey())
			exec(t, app, "ALTER TABLE profiles RENAME TO profiles_away")
			res := b.Post(submitPath, nil)
			exec(t, app, "ALTER TABLE profiles_away RENAME TO profiles")
			res.WantError(t, http.StatusServiceUnavailable, "unavailable")
			app.WantStoredUnchanged(t, b.SessionKey(), before)
			wantState(t, b.Get(wizardPath), stateOf(&ada, &adaHome))
			p := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
			wantOneRowLike(t, app, p)
		})

		t.Run("a retry after a crash between the insert and the session update finds the profile made", func(t *testing.T) {
			clearProfiles(t, app)
			b := app.Browser()
			complete(t, b, ada, adaHome)
			// What the crashed submit left: its row, under the wizard's
			// submission id, and the wizard still in the session.
			made := clk.Now().Add(-time.Minute)
			exec(t, app, `INSERT INTO profiles (name, email, phone, address, city, postal_code, submission_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ada.Name, ada.Email, ada.Phone, adaHome.Address, adaHome.City, adaHome.PostalCode,
				submissionID(t, app, b.SessionKey()), made)
			first := profileRows(t, app)[0]

			p := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
			if p.ID != first.ID || !p.CreatedAt.Equal(made) {
				t.Fatalf("profile %+v, want the one made before the crash, %d created at %v", p, first.ID, made)
			}
			wantOneRowLike(t, app, p)
			wantState(t, b.Get(wizardPath), state{CurrentStep: 1})
		})

		t.Run("a step sent again unchanged after a submit failed is the same submission", func(t *testing.T) {
			clearProfiles(t, app)
			b := app.Browser()
			complete(t, b, ada, adaHome)
			exec(t, app, `INSERT INTO profiles (name, email, phone, address, city, postal_code, submission_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ada.Name, ada.Email, ada.Phone, adaHome.Address, adaHome.City, adaHome.PostalCode,
				submissionID(t, app, b.SessionKey()), clk.Now())
			first := profileRows(t, app)[0]
			wantState(t, b.Put(step1Path, ada), stateOf(&ada, &adaHome))
			wantState(t, b.Put(step2Path, adaHome), stateOf(&ada, &adaHome))
			p := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
			if p.ID != first.ID {
				t.Fatalf("profile %d, want the one already made, %d", p.ID, first.ID)
			}
			wantOneRowLike(t, app, p)
		})

		t.Run("a wizard edited after a submit failed is a new submission", func(t *testing.T) {
			clearProfiles(t, app)
			b := app.Browser()
			complete(t, b, ada, adaHome)
			stale := submissionID(t, app, b.SessionKey())
			exec(t, app, `INSERT INTO profiles (name, email, phone, address, city, postal_code, submission_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ada.Name, ada.Email, ada.Phone, adaHome.Address, adaHome.City, adaHome.PostalCode,
				stale, clk.Now())
			b.Put(step1Path, grace).Want(t, http.StatusOK)
			p := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
			wantProfile(t, p, grace, adaHome, nil, clk.Now())
			if n := len(profileRows(t, app)); n != 2 {
				t.Fatalf("%d profiles, want the one submitted before the edit and the one after", n)
			}
		})
	})
}

// Two submits of one wizard at the same time, on two API processes, make
// one profile, and every submit that answers 201 answers that one.
func TestWizardConcurrentSubmitsMakeOneProfile(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name   string
		newURL func(testing.TB) string
	}{{"postgres", testdb.PostgresURL}, {"sqlite", testdb.SQLiteURL}} {
		t.Run(db.name, func(t *testing.T) {
			url := db.newURL(t)
			apps := []*apitest.App{apitest.New(t, apitest.Options{DatabaseURL: url}), apitest.New(t, apitest.Options{DatabaseURL: url})}
			for round := range 10 {
				clearProfiles(t, apps[0])
				first := apps[0].Mobile()
				complete(t, first, ada, adaHome)
				const submits = 4
				clients := make([]*apitest.Client, submits)
				for i := range clients {
					clients[i] = mobileWithKey(apps[i%2], first.SessionKey())
				}
				res := make([]*apitest.Response, submits)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i, cl := range clients {
					wg.Go(func() {
						<-start
						res[i] = cl.Post(submitPath, nil)
					})
				}
				close(start)
				wg.Wait()

				var made *profile
				for _, r := range res {
					switch r.StatusCode {
					case http.StatusCreated:
						p := decode[created](t, r).Profile
						if made != nil && p.ID != made.ID {
							t.Fatalf("round %d: two profiles answered, %d and %d", round, made.ID, p.ID)
						}
						made = &p
					case http.StatusConflict:
						r.WantError(t, http.StatusConflict, "step_out_of_order")
					default:
						t.Fatalf("round %d: a submit answered %d %s", round, r.StatusCode, r.Body)
					}
				}
				if made == nil {
					t.Fatalf("round %d: no submit answered 201", round)
				}
				wantOneRowLike(t, apps[0], *made)
				wantState(t, first.Get(wizardPath), state{CurrentStep: 1})
			}
		})
	}
}

// submissionID is the id of the wizard stored in the session under key: the
// format of the session data is the API's, read here only to stage what a
// crash would leave behind.
func submissionID(t *testing.T, app *apitest.App, key string) string {
	t.Helper()
	s, err := app.Sessions.Load(context.Background(), key)
	if err != nil || s.Key() == "" {
		t.Fatalf("loading session %q: %v", key, err)
	}
	var w struct {
		SubmissionID string `json:"submission_id"`
	}
	if found, err := s.Get("wizard", &w); !found || err != nil || w.SubmissionID == "" {
		raw, _ := json.Marshal(s.Keys())
		t.Fatalf("no wizard with a submission id in the session (keys %s): %v", raw, err)
	}
	return w.SubmissionID
}

func clearProfiles(t *testing.T, app *apitest.App) {
	t.Helper()
	exec(t, app, "DELETE FROM profiles")
}

func exec(t *testing.T, app *apitest.App, query string, args ...any) {
	t.Helper()
	if _, err := app.DB.Exec(app.DB.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// A submit whose session update fails after the profile is inserted (the
// session's lock held by another past StoreTimeout: a store that stalls,
// or a process that dies, between the two) leaves the wizard in place;
// submitting again answers the profile already made.
func TestWizardSubmitRetriedAfterTheSessionUpdateFailedMakesOneProfile(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{Session: session.Options{StoreTimeout: 300 * time.Millisecond}})
	b := app.Browser()
	complete(t, b, ada, adaHome)
	before, _ := app.Stored(t, b.SessionKey())

	lock := app.LockSession(t, b.SessionKey())
	b.Post(submitPath, nil).WantError(t, http.StatusServiceUnavailable, "unavailable")
	lock.Release(t)

	rows := profileRows(t, app)
	if len(rows) != 1 {
		t.Fatalf("%d profiles after the failed submit, want the 1 inserted before the session update", len(rows))
	}
	app.WantStoredUnchanged(t, b.SessionKey(), before)
	wantState(t, b.Get(wizardPath), stateOf(&ada, &adaHome))

	p := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
	if p.ID != rows[0].ID {
		t.Fatalf("the retry answered profile %d, want the one already made, %d", p.ID, rows[0].ID)
	}
	wantOneRowLike(t, app, p)
	wantState(t, b.Get(wizardPath), state{CurrentStep: 1})
}
