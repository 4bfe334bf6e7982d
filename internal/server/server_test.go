package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/testdb"
)

// internals are words that would tell a client what runs behind the API.
var internals = []string{"sql", "pq", "sqlite", "closed", "goroutine", "panic"}

func TestHealth(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		t.Run("200", func(t *testing.T) {
			app := apitest.New(t, apitest.Options{DatabaseURL: newURL(t)})
			c := app.Browser()

			t.Run("healthz says the process is up", func(t *testing.T) {
				res := c.Get("/healthz").Want(t, http.StatusOK)
				var got map[string]any
				res.JSON(t, &got)
				if len(got) != 1 || got["status"] != "ok" {
					t.Fatalf(`body %s, want {"status":"ok"}`, res.Body)
				}
				wantJSON(t, res)
			})

			t.Run("readyz says the database answers", func(t *testing.T) {
				res := c.Get("/readyz").Want(t, http.StatusOK)
				var got struct {
					Status string            `json:"status"`
					Checks map[string]string `json:"checks"`
				}
				res.JSON(t, &got)
				if got.Status != "ok" || got.Checks["database"] != "ok" {
					t.Fatalf("body %s, want status ok and the database check ok", res.Body)
				}
			})
		})

		t.Run("503", func(t *testing.T) {
			t.Run("readyz is unavailable when the database is, and healthz still up", func(t *testing.T) {
				app := apitest.New(t, apitest.Options{DatabaseURL: newURL(t)})
				c := app.Browser()
				app.DB.Close()

				wantUnavailable(t, c.Get("/readyz"))
				c.Get("/healthz").Want(t, http.StatusOK)
			})
		})
	})
}

func TestSessionStoreDown(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		t.Run("503", func(t *testing.T) {
			app := apitest.New(t, apitest.Options{DatabaseURL: newURL(t)})
			browser, mobile := app.Browser(), app.Mobile()
			browser.Post("/api/session/visit", nil).Want(t, http.StatusOK)
			mobile.Post("/api/session/visit", nil).Want(t, http.StatusOK)
			key := mobile.SessionKey()
			app.StopSessionStore(t)

			cases := []struct {
				name   string
				client *apitest.Client
				method string
				path   string
				body   any
			}{
				{"a cookie client reading its session", browser, http.MethodGet, "/api/session", nil},
				{"a cookie client writing its session", browser, http.MethodPost, "/api/session/visit", nil},
				{"a cookie client setting its expiry", browser, http.MethodPut, "/api/session/expiry", map[string]int{"seconds": 60}},
				{"a cookie client cycling its key", browser, http.MethodPost, "/api/session/cycle", nil},
				{"a cookie client flushing its session", browser, http.MethodDelete, "/api/session", nil},
				{"a cookie client reading preferences", browser, http.MethodGet, "/api/session/preferences", nil},
				{"a cookie client writing preferences", browser, http.MethodPut, "/api/session/preferences", map[string]string{"theme": "dark"}},
				{"a new client's first write", app.Browser(), http.MethodPost, "/api/session/visit", nil},
				{"a mobile client reading its session", mobile, http.MethodGet, "/api/session", nil},
				{"a mobile client writing its session", mobile, http.MethodPost, "/api/session/visit", nil},
				{"a mobile client flushing its session", mobile, http.MethodDelete, "/api/session", nil},
			}
			for _, tc := range cases {
				t.Run(tc.name+" is told to try again, and keeps its key", func(t *testing.T) {
					res := tc.client.Do(tc.method, tc.path, tc.body)
					wantUnavailable(t, res)
					if v := res.Header.Values("Set-Cookie"); len(v) != 0 {
						t.Fatalf("Set-Cookie %q with a 503", v)
					}
					if v := res.Header.Values(session.HeaderKey); len(v) != 0 {
						t.Fatalf("X-Session-Key %q with a 503", v)
					}
				})
			}
			if mobile.SessionKey() != key {
				t.Fatalf("the mobile client's key went from %q to %q", key, mobile.SessionKey())
			}

			t.Run("healthz stays up", func(t *testing.T) {
				app.Browser().Get("/healthz").Want(t, http.StatusOK)
			})
		})
	})
}

func TestErrorsAreTheEnvelope(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		app := apitest.New(t, apitest.Options{DatabaseURL: newURL(t)})
		overLimit := `{"theme":"` + strings.Repeat("a", 1<<20) + `"}`
		cases := []struct {
			status       int
			name         string
			method, path string
			body         any
			contentType  string
			code         string
			allow        []string // for 405, the methods Allow must list
		}{
			{400, "malformed JSON", http.MethodPut, "/api/session/preferences", `{"theme":`, "", "invalid_json", nil},
			{404, "an unknown path", http.MethodGet, "/nope", nil, "", "not_found", nil},
			{404, "an unknown path under /api", http.MethodGet, "/api/nope", nil, "", "not_found", nil},
			{404, "the bare /api", http.MethodGet, "/api", nil, "", "not_found", nil},
			{404, "a path below an endpoint", http.MethodPost, "/api/session/visit/again", nil, "", "not_found", nil},
			{404, "an unknown path with a body", http.MethodPost, "/api/nope", `{"a":1}`, "", "not_found", nil},
			{405, "PATCH on the session", http.MethodPatch, "/api/session", `{}`, "", "method_not_allowed", []string{"GET", "DELETE"}},
			{405, "GET on the visit counter", http.MethodGet, "/api/session/visit", nil, "", "method_not_allowed", []string{"POST"}},
			{405, "DELETE on the expiry", http.MethodDelete, "/api/session/expiry", nil, "", "method_not_allowed", []string{"PUT"}},
			{405, "DELETE on preferences", http.MethodDelete, "/api/session/preferences", nil, "", "method_not_allowed", []string{"GET", "PUT"}},
			{405, "POST on healthz", http.MethodPost, "/healthz", nil, "", "method_not_allowed", []string{"GET"}},
			{413, "a body over 1 MiB to a route that reads it", http.MethodPut, "/api/session/preferences", overLimit, "", "body_too_large", nil},
			{413, "a body over 1 MiB to a route that ignores it", http.MethodPost, "/api/session/visit", overLimit, "", "body_too_large", nil},
			{413, "a body over 1 MiB to healthz", http.MethodGet, "/healthz", overLimit, "", "body_too_large", nil},
			{415, "a body that is not JSON", http.MethodPut, "/api/session/expiry", `seconds=60`, "text/plain", "unsupported_media_type", nil},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%d/%s", tc.status, tc.name), func(t *testing.T) {
				c := app.Browser()
				if tc.contentType != "" {
					c.Header.Set("Content-Type", tc.contentType)
				}
				res := c.Do(tc.method, tc.path, tc.body)
				res.WantError(t, tc.status, tc.code)
				wantJSON(t, res)
				for _, m := range tc.allow {
					if !strings.Contains(res.Header.Get("Allow"), m) {
						t.Fatalf("Allow %q, want %s in it", res.Header.Get("Allow"), m)
					}
				}
				if v := res.Header.Values("Set-Cookie"); len(v) != 0 {
					t.Fatalf("Set-Cookie %q on an error", v)
				}
			})
		}
	})
}

// The apitest client always sends Content-Length; these requests stream
// their body, so that the limit is found while reading.
func TestBodyOverLimitWithoutLength(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})
	for _, tc := range []struct{ path, field string }{
		{"/api/session/preferences", "theme"},
		{"/api/session/expiry", "at"},
	} {
		t.Run("413/"+tc.field, func(t *testing.T) {
			body := io.MultiReader( // a reader of unknown length: sent chunked
				strings.NewReader(`{"`+tc.field+`":"`),
				strings.NewReader(strings.Repeat("a", 2<<20)),
				strings.NewReader(`"}`),
			)
			req, err := http.NewRequest(http.MethodPut, app.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var env struct {
				Error struct{ Code string } `json:"error"`
			}
			if err := json.NewDecoder(res.Body).Decode(&env); err != nil || res.StatusCode != http.StatusRequestEntityTooLarge || env.Error.Code != "body_too_large" {
				t.Fatalf("status %d, code %q (%v), want 413 body_too_large", res.StatusCode, env.Error.Code, err)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type %q, want application/json", ct)
			}
		})
	}
}

// HEAD is answered as GET would be, without the body (RFC 9110). It is sent
// without apitest's client: its contract check reads a body.
func TestHeadRequestsAreAnsweredAsGetWithoutABody(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{DatabaseURL: testdb.SQLiteURL(t)})
	b := app.Browser()
	b.Post("/api/session/visit", nil).Want(t, http.StatusOK)
	cookie := "sessionid=" + b.SessionKey()

	for path, want := range map[string]int{
		"/healthz": 200, "/readyz": 200, "/openapi.yaml": 200, "/api/session": 200,
		"/api/session/preferences": 200, "/api/session/visit": 405, "/nope": 404,
	} {
		t.Run(path, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodHead, app.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Cookie", cookie)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("HEAD %s: %v", path, err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != want || len(body) != 0 {
				t.Fatalf("HEAD %s: status %d, body %q; want %d and no body", path, res.StatusCode, body, want)
			}
			if v := res.Header.Values("Set-Cookie"); len(v) != 0 {
				t.Fatalf("HEAD %s: Set-Cookie %q", path, v)
			}
		})
	}
	b.Get("/healthz").Want(t, http.StatusOK)
	b.Get("/api/session").Want(t, http.StatusOK)
}

// wantUnavailable checks for 503 unavailable, with nothing in the body that
// tells of the failure's internals.
func wantUnavailable(t *testing.T, res *apitest.Response) {
	t.Helper()
	res.WantError(t, http.StatusServiceUnavailable, "unavailable")
	wantJSON(t, res)
	body := strings.ToLower(string(res.Body))
	for _, word := range internals {
		if strings.Contains(body, word) {
			t.Fatalf("%s %s: the 503 body tells %q: %s", res.Request.Method, res.Request.URL.Path, word, res.Body)
		}
	}
}

func wantJSON(t *testing.T, res *apitest.Response) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want application/json", res.Request.Method, res.Request.URL.Path, ct)
	}
}

// A query stuck behind a lock that another program holds (here a
// migration's, on the catalog) must not hold its request, and a pooled
// connection, until the lock goes: every request's store calls share a
// deadline.
func TestARequestBlockedByALockedTableAnswers503AtItsDeadline(t *testing.T) {
	t.Parallel()
	app := apitest.New(t, apitest.Options{RequestTimeout: 500 * time.Millisecond})
	c := app.Browser()
	tx := app.DB.MustBegin()
	defer tx.Rollback()
	tx.MustExec(`LOCK TABLE products IN ACCESS EXCLUSIVE MODE`)

	wantUnavailable(t, c.Get("/api/products"))
	wantUnavailable(t, c.Post("/api/cart/items", map[string]int{"product_id": 1, "quantity": 1}))
	c.Get("/api/session").Want(t, http.StatusOK) // what does not need the table is served

	tx.Rollback()
	c.Get("/api/products").Want(t, http.StatusOK)
}
