package wizard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

func TestWizardSteps(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			t.Run("a new client is at step 1 with no data, and nothing is stored", func(t *testing.T) {
				count := app.CountStored(t)
				res := app.Browser().Get(wizardPath)
				wantState(t, res, state{CurrentStep: 1})
				if string(res.Body) != `{"current_step":1,"data":{}}`+"\n" {
					t.Fatalf("body %s, want data an empty object", res.Body)
				}
				res.WantNoCookie(t)
				if n := app.CountStored(t); n != count {
					t.Fatalf("%d sessions stored after a read, want %d", n, count)
				}
			})

			t.Run("step 1 then step 2, each answered and kept", func(t *testing.T) {
				b := app.Browser()
				res := b.Put(step1Path, ada)
				wantState(t, res, stateOf(&ada, nil))
				res.SessionCookie(t) // the first step creates the session
				wantState(t, b.Get(wizardPath), stateOf(&ada, nil))
				wantState(t, b.Put(step2Path, adaHome), stateOf(&ada, &adaHome))
				wantState(t, b.Get(wizardPath), stateOf(&ada, &adaHome))
			})

			t.Run("a mobile client keeps its wizard under X-Session-Key", func(t *testing.T) {
				m := app.Mobile()
				res := m.Put(step1Path, ada)
				wantState(t, res, stateOf(&ada, nil))
				res.WantNoCookie(t)
				if !session.ValidKey(res.Header.Get(session.HeaderKey)) {
					t.Fatalf("X-Session-Key %q, want the new session's key", res.Header.Get(session.HeaderKey))
				}
				wantState(t, m.Put(step2Path, adaHome), stateOf(&ada, &adaHome))
				wantState(t, m.Get(wizardPath), stateOf(&ada, &adaHome))
			})

			t.Run("going back to edit step 1 keeps step 2, at step 3", func(t *testing.T) {
				b := app.Browser()
				complete(t, b, ada, adaHome)
				wantState(t, b.Put(step1Path, grace), stateOf(&grace, &adaHome))
				wantState(t, b.Get(wizardPath), stateOf(&grace, &adaHome))
			})

			t.Run("step 2 may be edited too", func(t *testing.T) {
				b := app.Browser()
				complete(t, b, ada, adaHome)
				wantState(t, b.Put(step2Path, graceHome), stateOf(&ada, &graceHome))
				wantState(t, b.Get(wizardPath), stateOf(&ada, &graceHome))
			})

			t.Run("values are trimmed", func(t *testing.T) {
				b := app.Browser()
				res := b.Put(step1Path, contact{Name: "  Ada Lovelace\t", Email: " ada@example.com ", Phone: "\n+44 20 7946 0958 "})
				wantState(t, res, stateOf(&ada, nil))
				res = b.Put(step2Path, address{Address: " 12 St James's Square ", City: " London", PostalCode: "SW1Y 4JH  "})
				wantState(t, res, stateOf(&ada, &adaHome))
			})

			t.Run("values at the limits are accepted", func(t *testing.T) {
				b := app.Browser()
				long := contact{Name: strings.Repeat("é", 100), Email: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", Phone: "+" + strings.Repeat("1", 15)}
				wantState(t, b.Put(step1Path, long), stateOf(&long, nil))
				far := address{Address: strings.Repeat("x", 200), City: strings.Repeat("ü", 100), PostalCode: "12345-6789"}
				wantState(t, b.Put(step2Path, far), stateOf(&long, &far))
				p := decode[created](t, b.Post(submitPath, nil).Want(t, http.StatusCreated)).Profile
				wantProfile(t, p, long, far, nil, clk.Now())
			})

			t.Run("other session data is kept by every wizard route", func(t *testing.T) {
				b := app.Browser()
				b.Put("/api/session/preferences", map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
				complete(t, b, ada, adaHome)
				b.Post(submitPath, nil).Want(t, http.StatusCreated)
				b.Put(step1Path, grace).Want(t, http.StatusOK)
				b.Delete(wizardPath).Want(t, http.StatusNoContent)
				res := b.Get("/api/session/preferences").Want(t, http.StatusOK)
				if got := decode[map[string]string](t, res)["theme"]; got != "dark" {
					t.Fatalf("theme %q after the wizard, want dark", got)
				}
			})
		})

		t.Run("204", func(t *testing.T) {
			t.Run("DELETE starts over", func(t *testing.T) {
				b := app.Browser()
				complete(t, b, ada, adaHome)
				b.Delete(wizardPath).Want(t, http.StatusNoContent)
				wantState(t, b.Get(wizardPath), state{CurrentStep: 1})
				b.Post(submitPath, nil).WantError(t, http.StatusConflict, "step_out_of_order")
				b.Put(step2Path, adaHome).WantError(t, http.StatusConflict, "step_out_of_order")
				wantState(t, b.Put(step1Path, grace), stateOf(&grace, nil))
			})

			t.Run("DELETE without a wizard creates no session", func(t *testing.T) {
				count := app.CountStored(t)
				res := app.Browser().Delete(wizardPath).Want(t, http.StatusNoContent)
				res.WantNoCookie(t)
				if n := app.CountStored(t); n != count {
					t.Fatalf("%d sessions stored, want %d", n, count)
				}
			})
		})

		t.Run("409", func(t *testing.T) {
			t.Run("step 2 before step 1 changes nothing", func(t *testing.T) {
				count := app.CountStored(t)
				b := app.Browser()
				res := b.Put(step2Path, adaHome)
				res.WantError(t, http.StatusConflict, "step_out_of_order")
				res.WantNoCookie(t)
				if n := app.CountStored(t); n != count {
					t.Fatalf("%d sessions stored, want %d", n, count)
				}
				wantState(t, b.Get(wizardPath), state{CurrentStep: 1})
			})

			t.Run("step 2 before step 1, in a session that has other data", func(t *testing.T) {
				b := app.Browser()
				b.Put("/api/session/preferences", map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
				before, _ := app.Stored(t, b.SessionKey())
				b.Put(step2Path, adaHome).WantError(t, http.StatusConflict, "step_out_of_order")
				app.WantStoredUnchanged(t, b.SessionKey(), before)
			})

			t.Run("an invalid step 2 before step 1 is judged on its input first", func(t *testing.T) {
				fields := app.Browser().Put(step2Path, address{City: "London", PostalCode: "SW1Y 4JH"}).
					WantError(t, http.StatusBadRequest, "validation_failed")
				if fields["address"] == "" {
					t.Fatalf("fields %v, want address explained", fields)
				}
			})
		})

		t.Run("400", func(t *testing.T) { testBadInput(t, app) })
	})
}

// testBadInput sends each step bodies it must refuse, after a wizard with
// both steps done, and checks that nothing was written.
func testBadInput(t *testing.T, app *apitest.App) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name        string
		path        string
		body        string
		contentType string // default application/json
		status      int
		code        string
		fields      []string
	}{
		{"step 1: every field missing", step1Path, `{}`, "", 400, "validation_failed", []string{"name", "email", "phone"}},
		{"step 1: empty name", step1Path, `{"name":"","email":"ada@example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"name"}},
		{"step 1: blank name", step1Path, `{"name":"  \t ","email":"ada@example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"name"}},
		{"step 1: null name", step1Path, `{"name":null,"email":"ada@example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"name"}},
		{"step 1: name over 100 characters", step1Path, `{"name":"` + strings.Repeat("é", 101) + `","email":"ada@example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"name"}},
		{"step 1: a huge name", step1Path, `{"name":"` + long(500000) + `","email":"ada@example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"name"}},
		{"step 1: name with a line break", step1Path, `{"name":"Ada\nLovelace","email":"ada@example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"name"}},
		{"step 1: name with NUL", step1Path, `{"name":"Ada\u0000","email":"ada@example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"name"}},
		{"step 1: name a number", step1Path, `{"name":42,"email":"ada@example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"name"}},
		{"step 1: empty email", step1Path, `{"name":"Ada","email":"","phone":"0123456789"}`, "", 400, "validation_failed", []string{"email"}},
		{"step 1: email without @", step1Path, `{"name":"Ada","email":"ada.example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"email"}},
		{"step 1: email without a dot in the domain", step1Path, `{"name":"Ada","email":"ada@localhost","phone":"0123456789"}`, "", 400, "validation_failed", []string{"email"}},
		{"step 1: email with a display name", step1Path, `{"name":"Ada","email":"Ada <ada@example.com>","phone":"0123456789"}`, "", 400, "validation_failed", []string{"email"}},
		{"step 1: two emails", step1Path, `{"name":"Ada","email":"ada@example.com, bob@example.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"email"}},
		{"step 1: email over 254 characters", step1Path, `{"name":"Ada","email":"` + long(64) + "@" + long(186) + `.com","phone":"0123456789"}`, "", 400, "validation_failed", []string{"email"}},
		{"step 1: email an array", step1Path, `{"name":"Ada","email":["ada@example.com"],"phone":"0123456789"}`, "", 400, "validation_failed", []string{"email"}},
		{"step 1: empty phone", step1Path, `{"name":"Ada","email":"ada@example.com","phone":""}`, "", 400, "validation_failed", []string{"phone"}},
		{"step 1: phone with letters", step1Path, `{"name":"Ada","email":"ada@example.com","phone":"call me maybe"}`, "", 400, "validation_failed", []string{"phone"}},
		{"step 1: phone with hyphens", step1Path, `{"name":"Ada","email":"ada@example.com","phone":"555-0100-123"}`, "", 400, "validation_failed", []string{"phone"}},
		{"step 1: phone with + inside", step1Path, `{"name":"Ada","email":"ada@example.com","phone":"44+2079460958"}`, "", 400, "validation_failed", []string{"phone"}},
		{"step 1: phone too short", step1Path, `{"name":"Ada","email":"ada@example.com","phone":"+1 234"}`, "", 400, "validation_failed", []string{"phone"}},
		{"step 1: phone of 16 digits", step1Path, `{"name":"Ada","email":"ada@example.com","phone":"1234567890123456"}`, "", 400, "validation_failed", []string{"phone"}},
		{"step 1: phone over 32 characters", step1Path, `{"name":"Ada","email":"ada@example.com","phone":"1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7"}`, "", 400, "validation_failed", []string{"phone"}},
		{"step 1: phone a number", step1Path, `{"name":"Ada","email":"ada@example.com","phone":442079460958}`, "", 400, "validation_failed", []string{"phone"}},
		{"step 1: all three wrong, all named", step1Path, `{"name":"","email":"nope","phone":"x"}`, "", 400, "validation_failed", []string{"name", "email", "phone"}},
		{"step 1: an unknown field", step1Path, `{"name":"Ada","email":"ada@example.com","phone":"0123456789","age":36}`, "", 400, "validation_failed", []string{"age"}},
		{"step 1: step 2's fields", step1Path, `{"address":"12 St James's Square","city":"London","postal_code":"SW1Y 4JH"}`, "", 400, "validation_failed", []string{"address"}},
		{"step 2: every field missing", step2Path, `{}`, "", 400, "validation_failed", []string{"address", "city", "postal_code"}},
		{"step 2: blank address", step2Path, `{"address":"   ","city":"London","postal_code":"SW1Y 4JH"}`, "", 400, "validation_failed", []string{"address"}},
		{"step 2: address over 200 characters", step2Path, `{"address":"` + long(201) + `","city":"London","postal_code":"SW1Y 4JH"}`, "", 400, "validation_failed", []string{"address"}},
		{"step 2: address with a tab inside", step2Path, `{"address":"12\tSt James's Square","city":"London","postal_code":"SW1Y 4JH"}`, "", 400, "validation_failed", []string{"address"}},
		{"step 2: empty city", step2Path, `{"address":"12 St James's Square","city":"","postal_code":"SW1Y 4JH"}`, "", 400, "validation_failed", []string{"city"}},
		{"step 2: city over 100 characters", step2Path, `{"address":"12 St James's Square","city":"` + long(101) + `","postal_code":"SW1Y 4JH"}`, "", 400, "validation_failed", []string{"city"}},
		{"step 2: city a boolean", step2Path, `{"address":"12 St James's Square","city":true,"postal_code":"SW1Y 4JH"}`, "", 400, "validation_failed", []string{"city"}},
		{"step 2: empty postal code", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":""}`, "", 400, "validation_failed", []string{"postal_code"}},
		{"step 2: postal code without a digit", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":"ABCDE"}`, "", 400, "validation_failed", []string{"postal_code"}},
		{"step 2: postal code of one character", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":"7"}`, "", 400, "validation_failed", []string{"postal_code"}},
		{"step 2: postal code with punctuation", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":"SW1Y/4JH"}`, "", 400, "validation_failed", []string{"postal_code"}},
		{"step 2: postal code with two separators in a row", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":"12 -345"}`, "", 400, "validation_failed", []string{"postal_code"}},
		{"step 2: postal code ending in a hyphen", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":"12345-"}`, "", 400, "validation_failed", []string{"postal_code"}},
		{"step 2: postal code not ASCII", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":"١٢٣٤٥"}`, "", 400, "validation_failed", []string{"postal_code"}},
		{"step 2: postal code over 10 characters", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":"12345 67890"}`, "", 400, "validation_failed", []string{"postal_code"}},
		{"step 2: postal code a number", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":75001}`, "", 400, "validation_failed", []string{"postal_code"}},
		{"step 2: an unknown field", step2Path, `{"address":"12 St James's Square","city":"London","postal_code":"SW1Y 4JH","country":"UK"}`, "", 400, "validation_failed", []string{"country"}},
		{"step 1: a JSON array", step1Path, `[{"name":"Ada"}]`, "", 400, "invalid_json", nil},
		{"step 1: malformed JSON", step1Path, `{"name":"Ada"`, "", 400, "invalid_json", nil},
		{"step 2: an empty body", step2Path, ``, "", 400, "invalid_json", nil},
		{"step 2: two JSON values", step2Path, `{} {}`, "", 400, "invalid_json", nil},
		{"step 1: a form body", step1Path, `name=Ada`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", nil},
		{"step 2: a body over 1 MiB", step2Path, `{"address":"` + long(1<<20) + `"}`, "", 413, "body_too_large", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := app.Browser()
			complete(t, b, ada, adaHome)
			before, _ := app.Stored(t, b.SessionKey())
			if tc.contentType != "" {
				b.Header.Set("Content-Type", tc.contentType)
			}

			res := b.Put(tc.path, tc.body)

			fields := res.WantError(t, tc.status, tc.code)
			if len(fields) != len(tc.fields) {
				t.Fatalf("fields %v, want exactly %v", fields, tc.fields)
			}
			for _, f := range tc.fields {
				if fields[f] == "" {
					t.Fatalf("fields %v, want %q explained", fields, f)
				}
			}
			res.WantNoCookie(t)
			app.WantStoredUnchanged(t, b.SessionKey(), before)
			b.Header.Del("Content-Type")
			wantState(t, b.Get(wizardPath), stateOf(&ada, &adaHome))
		})
	}
}
