package preferences_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

const path = "/api/session/preferences"

// prefs is the body of a preferences response.
type prefs struct {
	Theme    string `json:"theme"`
	Language string `json:"language"`
}

var defaults = prefs{Theme: "light", Language: "en"}

func TestPreferences(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		clk := apitest.NewClock()
		app := apitest.New(t, apitest.Options{
			DatabaseURL: newURL(t),
			Now:         clk.Now,
		})

		t.Run("200", func(t *testing.T) {
			t.Run("a client that set none gets the defaults, and nothing is stored", func(t *testing.T) {
				count := app.CountStored(t)
				res := app.Browser().Get(path).Want(t, http.StatusOK)
				wantPrefs(t, res, defaults)
				res.WantNoCookie(t)
				if n := app.CountStored(t); n != count {
					t.Fatalf("%d sessions stored after a read, want %d", n, count)
				}
			})

			t.Run("a partial update keeps the other preference", func(t *testing.T) {
				b := app.Browser()
				res := b.Put(path, map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
				wantPrefs(t, res, prefs{"dark", "en"})
				if res.SetCookie("sessionid") == "" {
					t.Fatalf("the first update set no session cookie")
				}
				wantPrefs(t, b.Put(path, map[string]string{"language": "fr"}).Want(t, http.StatusOK), prefs{"dark", "fr"})
				wantPrefs(t, b.Put(path, map[string]string{"theme": "light"}).Want(t, http.StatusOK), prefs{"light", "fr"})
				wantPrefs(t, b.Get(path).Want(t, http.StatusOK), prefs{"light", "fr"})
			})

			t.Run("a mobile client keeps its preferences under X-Session-Key", func(t *testing.T) {
				m := app.Mobile()
				res := m.Put(path, map[string]string{"theme": "dark", "language": "de"}).Want(t, http.StatusOK)
				if !session.ValidKey(res.Header.Get(session.HeaderKey)) {
					t.Fatalf("X-Session-Key %q, want the new session's key", res.Header.Get(session.HeaderKey))
				}
				res.WantNoCookie(t)
				wantPrefs(t, m.Get(path).Want(t, http.StatusOK), prefs{"dark", "de"})
			})

			t.Run("language tags are canonicalised", func(t *testing.T) {
				for given, want := range map[string]string{
					"en":         "en",
					"pt-br":      "pt-BR",
					"EN-gb":      "en-GB",
					"zh-hant-tw": "zh-Hant-TW",
					"sr-latn-rs": "sr-Latn-RS",
					"es-419":     "es-419",
				} {
					res := app.Browser().Put(path, map[string]string{"language": given}).Want(t, http.StatusOK)
					wantPrefs(t, res, prefs{"light", want})
				}
			})

			t.Run("an empty update changes nothing and writes nothing", func(t *testing.T) {
				fresh := app.Browser()
				count := app.CountStored(t)
				res := fresh.Put(path, map[string]any{}).Want(t, http.StatusOK)
				wantPrefs(t, res, defaults)
				res.WantNoCookie(t)
				if n := app.CountStored(t); n != count {
					t.Fatalf("%d sessions stored after an empty update, want %d", n, count)
				}

				b := app.Browser()
				b.Put(path, map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
				before := mustStored(t, app, b.SessionKey())
				clk.Advance(time.Minute) // a save now would move the stored expiry and re-sign the data
				res = b.Put(path, map[string]any{}).Want(t, http.StatusOK)
				wantPrefs(t, res, prefs{"dark", "en"})
				res.WantNoCookie(t)
				app.WantStoredUnchanged(t, b.SessionKey(), before)
			})

			t.Run("a read writes nothing", func(t *testing.T) {
				b := app.Browser()
				b.Put(path, map[string]string{"language": "it"}).Want(t, http.StatusOK)
				before := mustStored(t, app, b.SessionKey())
				clk.Advance(time.Minute)
				res := b.Get(path).Want(t, http.StatusOK)
				wantPrefs(t, res, prefs{"light", "it"})
				res.WantNoCookie(t)
				app.WantStoredUnchanged(t, b.SessionKey(), before)
			})
		})

		t.Run("4xx", func(t *testing.T) {
			cases := []struct {
				name        string
				body        string
				contentType string // default application/json
				status      int
				code        string
				fields      []string
			}{
				{"a theme that is not light or dark", `{"theme":"blue"}`, "", 400, "validation_failed", []string{"theme"}},
				{"a theme in capitals", `{"theme":"Dark"}`, "", 400, "validation_failed", []string{"theme"}},
				{"an empty theme", `{"theme":""}`, "", 400, "validation_failed", []string{"theme"}},
				{"a language that is no BCP 47 tag", `{"language":"not a language"}`, "", 400, "validation_failed", []string{"language"}},
				{"an empty language", `{"language":""}`, "", 400, "validation_failed", []string{"language"}},
				{"a language with a dangling hyphen", `{"language":"en-"}`, "", 400, "validation_failed", []string{"language"}},
				{"a language over 35 characters", `{"language":"en-Latn-US-x-abcdefgh-abcdefgh-abcdefgh"}`, "", 400, "validation_failed", []string{"language"}},
				{"a very long language", `{"language":"` + strings.Repeat("a", 10000) + `"}`, "", 400, "validation_failed", []string{"language"}},
				{"both invalid, both named", `{"theme":"blue","language":"??"}`, "", 400, "validation_failed", []string{"theme", "language"}},
				{"a valid theme with an invalid language", `{"theme":"light","language":"??"}`, "", 400, "validation_failed", []string{"language"}},
				{"an unknown key", `{"theme":"dark","font":"serif"}`, "", 400, "validation_failed", []string{"font"}},
				{"a theme that is a number", `{"theme":1}`, "", 400, "validation_failed", []string{"theme"}},
				{"a language that is a boolean", `{"language":true}`, "", 400, "validation_failed", []string{"language"}},
				{"a theme that is an array", `{"theme":["dark"]}`, "", 400, "validation_failed", []string{"theme"}},
				{"a JSON array", `[{"theme":"dark"}]`, "", 400, "invalid_json", nil},
				{"malformed JSON", `{"theme":"dark"`, "", 400, "invalid_json", nil},
				{"an empty body", ``, "", 400, "invalid_json", nil},
				{"a body that is not JSON", `theme=dark`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", nil},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					b := app.Browser()
					saved := prefs{"dark", "fr"}
					b.Put(path, saved).Want(t, http.StatusOK)
					before := mustStored(t, app, b.SessionKey())
					clk.Advance(time.Second)
					if tc.contentType != "" {
						b.Header.Set("Content-Type", tc.contentType)
					}

					res := b.Put(path, tc.body)

					fields := res.WantError(t, tc.status, tc.code)
					if len(fields) != len(tc.fields) {
						t.Fatalf("fields %v, want exactly %v", fields, tc.fields)
					}
					for _, f := range tc.fields {
						if fields[f] == "" {
							t.Fatalf("fields %v, want %q explained", fields, f)
						}
					}
					if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
						t.Fatalf("Content-Type %q, want application/json", ct)
					}
					res.WantNoCookie(t)
					app.WantStoredUnchanged(t, b.SessionKey(), before)
					b.Header.Del("Content-Type")
					wantPrefs(t, b.Get(path).Want(t, http.StatusOK), saved)
				})
			}
		})
	})
}

func wantPrefs(t *testing.T, res *apitest.Response, want prefs) {
	t.Helper()
	var got prefs
	res.JSON(t, &got)
	if got != want {
		t.Fatalf("%s %s: preferences %+v, want %+v", res.Request.Method, res.Request.URL.Path, got, want)
	}
}

// mustStored is what the engine stores under key, which must exist.
func mustStored(t *testing.T, app *apitest.App, key string) apitest.Stored {
	t.Helper()
	r, found := app.Stored(t, key)
	if !found {
		t.Fatalf("nothing stored under the client's key %q", key)
	}
	return r
}
