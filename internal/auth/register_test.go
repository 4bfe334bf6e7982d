package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/djsessions/api/internal/apitest"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("201", func(t *testing.T) {
			t.Run("creates an active user and answers its id, username and email", func(t *testing.T) {
				body := map[string]string{"username": "ada", "password": strongPassword, "email": "ada@example.com"}
				res := app.Browser().Post("/api/auth/register", body).Want(t, http.StatusCreated)

				got := decode[registered](t, res)
				if got.ID <= 0 || got.Username != "ada" || got.Email != "ada@example.com" {
					t.Fatalf("got %s, want an id, username ada and email ada@example.com", res.Body)
				}
				if a := accountOf(t, app, got.ID); !a.IsActive || a.LastLogin != nil {
					t.Fatalf("auth_user: is_active %v, last_login %v; want active and never logged in", a.IsActive, a.LastLogin)
				}
				res.WantNoCookie(t) // registering is not logging in
			})

			t.Run("the email is optional", func(t *testing.T) {
				if got := register(t, app, "noemail"); got.Email != "" {
					t.Fatalf("email %q, want empty", got.Email)
				}
			})

			t.Run("the password is stored as a pbkdf2_sha256 hash at the hasher's cost, never in clear", func(t *testing.T) {
				u := register(t, app, "hashed")

				hash := accountOf(t, app, u.ID).Password
				parts := strings.Split(hash, "$")
				if len(parts) != 4 || parts[0] != "pbkdf2_sha256" || parts[1] != itoa(apitest.PasswordIterations) || parts[2] == "" || parts[3] == "" {
					t.Fatalf("password column %q, want pbkdf2_sha256$%d$<salt>$<hash>", hash, apitest.PasswordIterations)
				}
				for column, v := range columnsOf(t, app, u.ID) {
					if strings.Contains(v, strongPassword) {
						t.Fatalf("auth_user.%s holds the password in clear: %q", column, v)
					}
				}
				if other := accountOf(t, app, register(t, app, "hashed2").ID).Password; other == hash {
					t.Fatalf("two users with one password got the same hash %q: no salt", hash)
				}
			})

			t.Run("usernames follow Django's rules", func(t *testing.T) {
				for _, name := range []string{
					strings.Repeat("a", 150),
					strings.Repeat("é", 150), // 150 characters, 300 bytes
					"a.b@c+d-e_f9",
					"Zoë_Ångström",
					"Иван",
					"用户",
					"007",
				} {
					if got := register(t, app, name); got.Username != name {
						t.Fatalf("registered %q as %q", name, got.Username)
					}
				}
			})

			t.Run("usernames are case-sensitive: Alice and alice are two users", func(t *testing.T) {
				upper, lower := register(t, app, "Alice"), register(t, app, "alice")
				if upper.ID == lower.ID {
					t.Fatalf("Alice and alice got one id, %d", upper.ID)
				}
			})

			t.Run("a username is stored in NFKC: a fullwidth name is its plain form", func(t *testing.T) {
				if got := register(t, app, "ｂｏｂ"); got.Username != "bob" {
					t.Fatalf("registered ｂｏｂ as %q, want bob", got.Username)
				}
			})
		})

		t.Run("409", func(t *testing.T) {
			register(t, app, "taken")
			cases := []struct{ name, username string }{
				{"a taken username", "taken"},
				{"a fullwidth form of a taken username (NFKC)", "ｔａｋｅｎ"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					body := map[string]string{"username": tc.username, "password": strongPassword + "!", "email": "other@example.com"}
					fields := app.Browser().Post("/api/auth/register", body).WantError(t, http.StatusConflict, "conflict")

					wantFields(t, fields) // fields are for validation_failed only
				})
			}

			t.Run("the taken account is left as it was", func(t *testing.T) {
				first := register(t, app, "kept")
				before := columnsOf(t, app, first.ID)
				body := map[string]string{"username": "kept", "password": "another-fine-passphrase", "email": "intruder@example.com"}
				app.Browser().Post("/api/auth/register", body).WantError(t, http.StatusConflict, "conflict")

				after := columnsOf(t, app, first.ID)
				for k, v := range before {
					if after[k] != v {
						t.Fatalf("auth_user.%s changed from %q to %q", k, v, after[k])
					}
				}
			})
		})

		t.Run("400", func(t *testing.T) {
			t.Run("a username against Django's rules", func(t *testing.T) {
				for _, name := range []string{
					"",
					strings.Repeat("a", 151),
					strings.Repeat("é", 151),
					"with space",
					"semi;colon",
					"slash/",
					"quote'",
					"smile😀",
				} {
					body := map[string]string{"username": name, "password": strongPassword}
					fields := app.Browser().Post("/api/auth/register", body).WantError(t, http.StatusBadRequest, "validation_failed")
					wantFields(t, fields, "username")
				}
			})

			t.Run("a password against the policy, with every failed rule named", func(t *testing.T) {
				cases := []struct {
					name, username, email, password string
					want                            []string
				}{
					{"shorter than 8 characters", "pw1", "", "k7#qZ", []string{"too short"}},
					{"all digits", "pw2", "", "80417326591", []string{"entirely numeric"}},
					{"a common password", "pw3", "", "password123", []string{"too common"}},
					{"too similar to the username", "jonathan.smith", "", "jonathan.smith9", []string{"too similar"}},
					{"too similar to the email", "pw5", "rosalind.franklin@example.com", "rosalind.franklin", []string{"too similar"}},
					{"short, all digits and common at once", "pw6", "", "1234", []string{"too short", "entirely numeric", "too common"}},
				}
				for _, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						body := map[string]string{"username": tc.username, "password": tc.password}
						if tc.email != "" {
							body["email"] = tc.email
						}
						fields := app.Browser().Post("/api/auth/register", body).WantError(t, http.StatusBadRequest, "validation_failed")

						wantFields(t, fields, "password")
						for _, w := range tc.want {
							if !strings.Contains(fields["password"], w) {
								t.Fatalf("fields.password %q does not say %q", fields["password"], w)
							}
						}
					})
				}
			})

			t.Run("a malformed email", func(t *testing.T) {
				for _, email := range []string{"not-an-email", "two@@example.com", "Ada <ada@example.com>", "ada@example", strings.Repeat("a", 250) + "@example.com"} {
					body := map[string]string{"username": "mailer", "password": strongPassword, "email": email}
					fields := app.Browser().Post("/api/auth/register", body).WantError(t, http.StatusBadRequest, "validation_failed")
					wantFields(t, fields, "email")
				}
			})

			t.Run("a taken username with a weak password: the password is reported, not the conflict", func(t *testing.T) {
				register(t, app, "occupied")
				body := map[string]string{"username": "occupied", "password": "1234"}
				fields := app.Browser().Post("/api/auth/register", body).WantError(t, http.StatusBadRequest, "validation_failed")
				wantFields(t, fields, "password")
			})

			t.Run("missing username and password", func(t *testing.T) {
				fields := app.Browser().Post("/api/auth/register", map[string]string{}).WantError(t, http.StatusBadRequest, "validation_failed")
				wantFields(t, fields, "username", "password")
			})

			t.Run("fields of the wrong type", func(t *testing.T) {
				cases := []struct {
					field string
					body  string
				}{
					{"username", `{"username":42,"password":"quartz-lantern-meadow"}`},
					{"password", `{"username":"typed","password":true}`},
					{"email", `{"username":"typed","password":"quartz-lantern-meadow","email":["a@example.com"]}`},
				}
				for _, tc := range cases {
					fields := app.Browser().Post("/api/auth/register", tc.body).WantError(t, http.StatusBadRequest, "validation_failed")
					wantFields(t, fields, tc.field)
				}
			})

			t.Run("a field the API does not take, such as is_superuser", func(t *testing.T) {
				body := map[string]any{"username": "mallory", "password": strongPassword, "is_superuser": true}
				fields := app.Browser().Post("/api/auth/register", body).WantError(t, http.StatusBadRequest, "validation_failed")
				wantFields(t, fields, "is_superuser")
			})

			t.Run("a body that is not JSON", func(t *testing.T) {
				app.Browser().Post("/api/auth/register", `{"username":`).WantError(t, http.StatusBadRequest, "invalid_json")
			})

			t.Run("nothing is stored for a rejected registration", func(t *testing.T) {
				var n int
				if err := app.DB.Get(&n, app.DB.Rebind("SELECT count(*) FROM auth_user WHERE username IN (?, ?, ?)"), "mailer", "typed", "mallory"); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Fatalf("%d rejected registrations are in auth_user", n)
				}
			})
		})
	})
}
