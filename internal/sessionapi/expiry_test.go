package sessionapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
)

func TestSetExpiry(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, app *apitest.App, clk *apitest.Clock) {
		t.Run("200", func(t *testing.T) {
			now := clk.Now() // the cases below do not move the clock
			inNinety := now.Add(90 * time.Minute)
			cases := []struct {
				name   string
				before any // an expiry set first, if any
				body   any
				want   info
			}{
				{"seconds expire that long after the last write", nil,
					map[string]int{"seconds": 600}, info{600, now.Add(600 * time.Second), false}},
				{"seconds may be as many as ten years", nil,
					map[string]int{"seconds": 315360000}, info{315360000, now.Add(315360000 * time.Second), false}},
				{"zero seconds expires at browser close", nil,
					map[string]int{"seconds": 0}, info{defaultAge, now.Add(defaultAge * time.Second), true}},
				{"at expires at that date", nil,
					map[string]string{"at": inNinety.Format(time.RFC3339)}, info{5400, inNinety, false}},
				{"at in another zone is answered in UTC", nil,
					map[string]string{"at": inNinety.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)}, info{5400, inNinety, false}},
				{"default returns to SESSION_COOKIE_AGE", map[string]int{"seconds": 600},
					map[string]bool{"default": true}, info{defaultAge, now.Add(defaultAge * time.Second), false}},
				{"default after browser close gets a lasting cookie again", map[string]int{"seconds": 0},
					map[string]bool{"default": true}, info{defaultAge, now.Add(defaultAge * time.Second), false}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					b := app.Browser()
					if tc.before != nil {
						b.Put("/api/session/expiry", tc.before).Want(t, http.StatusOK)
					}
					res := b.Put("/api/session/expiry", tc.body).Want(t, http.StatusOK)

					if got := decode[info](t, res); !sameInfo(got, tc.want) {
						t.Fatalf("got %+v, want %+v", got, tc.want)
					}
					wantCookieAge(t, res, tc.want, now)
					if r, _ := app.Stored(t, b.SessionKey()); !r.Expire.Equal(tc.want.ExpiryDate) {
						t.Fatalf("stored expiry %v, want %v", r.Expire, tc.want.ExpiryDate)
					}
				})
			}

			t.Run("a mobile client sets its expiry without a cookie", func(t *testing.T) {
				m := app.Mobile()
				res := m.Put("/api/session/expiry", map[string]int{"seconds": 600}).Want(t, http.StatusOK)
				wantIssuedKey(t, res)
				res.WantNoCookie(t)
				if got := decode[shown](t, m.Get("/api/session").Want(t, http.StatusOK)); got.Session.ExpiryAge != 600 {
					t.Fatalf("expiry_age %d after setting 600", got.Session.ExpiryAge)
				}
			})
		})

		t.Run("4xx", func(t *testing.T) {
			// Each case moves the clock on by a second for its request, so
			// that a write would show in the row, and back afterwards.
			now := clk.Now().Add(time.Second)
			cases := []struct {
				name        string
				body        any
				contentType string // default application/json
				status      int
				code        string
				field       string // the field named in "fields", if any
			}{
				{"none of seconds, at, default", `{}`, "", 400, "validation_failed", ""},
				{"two of them", `{"seconds":60,"default":true}`, "", 400, "validation_failed", ""},
				{"all three", map[string]any{"seconds": 60, "at": now.Add(time.Hour), "default": true}, "", 400, "validation_failed", ""},
				{"null seconds", `{"seconds":null}`, "", 400, "validation_failed", "seconds"},
				{"negative seconds", `{"seconds":-1}`, "", 400, "validation_failed", "seconds"},
				{"fractional seconds", `{"seconds":1.5}`, "", 400, "validation_failed", "seconds"},
				{"seconds as a string", `{"seconds":"60"}`, "", 400, "validation_failed", "seconds"},
				{"seconds over ten years", `{"seconds":315360001}`, "", 400, "validation_failed", "seconds"},
				{"seconds beyond int64", `{"seconds":1e30}`, "", 400, "validation_failed", "seconds"},
				{"at in the past", map[string]string{"at": now.Add(-time.Second).Format(time.RFC3339)}, "", 400, "validation_failed", "at"},
				{"at now", map[string]string{"at": now.Format(time.RFC3339)}, "", 400, "validation_failed", "at"},
				{"at over ten years away", map[string]string{"at": now.AddDate(11, 0, 0).Format(time.RFC3339)}, "", 400, "validation_failed", "at"},
				{"at not RFC 3339", `{"at":"2030-01-02 15:04:05"}`, "", 400, "validation_failed", "at"},
				{"at as a number", `{"at":1893456000}`, "", 400, "validation_failed", "at"},
				{"default false", `{"default":false}`, "", 400, "validation_failed", "default"},
				{"default as a string", `{"default":"true"}`, "", 400, "validation_failed", "default"},
				{"an unknown field", `{"seconds":60,"minutes":1}`, "", 400, "validation_failed", "minutes"},
				{"malformed JSON", `{"seconds":`, "", 400, "invalid_json", ""},
				{"not JSON at all", `seconds=60`, "", 400, "invalid_json", ""},
				{"an empty body", ``, "", 400, "invalid_json", ""},
				{"a JSON array", `[{"seconds":60}]`, "", 400, "invalid_json", ""},
				{"two JSON values", `{"seconds":60}{"seconds":70}`, "", 400, "invalid_json", ""},
				{"a body that is not JSON", `{"seconds":60}`, "text/plain", 415, "unsupported_media_type", ""},
				{"no Content-Type", `{"seconds":60}`, "-", 415, "unsupported_media_type", ""},
				{"a body over 1 MiB", `{"at":"` + strings.Repeat("9", 1<<20) + `"}`, "", 413, "body_too_large", ""},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					b := app.Browser()
					b.Put("/api/session/expiry", map[string]int{"seconds": 600}).Want(t, http.StatusOK)
					key := b.SessionKey()
					before, _ := app.Stored(t, key)
					count := app.CountStored(t)
					clk.Advance(time.Second)
					defer clk.Advance(-time.Second)
					switch tc.contentType {
					case "":
					case "-":
						b.Header["Content-Type"] = nil
					default:
						b.Header.Set("Content-Type", tc.contentType)
					}

					res := b.Put("/api/session/expiry", tc.body)

					fields := res.WantError(t, tc.status, tc.code)
					wantFields(t, fields, tc.field)
					wantContentTypeJSON(t, res)
					res.WantNoCookie(t)
					app.WantStoredUnchanged(t, key, before)
					if n := app.CountStored(t); n != count {
						t.Fatalf("%d sessions stored after a rejected request, want %d", n, count)
					}
				})
			}
		})
	})
}
