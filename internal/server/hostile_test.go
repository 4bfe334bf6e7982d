package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/session"
)

// sweepPassword is the password of the user the hostile-input sweep is
// logged in as.
const sweepPassword = "quartz-lantern-meadow"

// validBodies holds, for every operation that reads a body, one body it
// accepts in the sweep's state; the hostile bodies are made from it. An
// operation missing here fails the sweep (wantValidBodies).
var validBodies = map[string]map[string]any{
	"POST /api/auth/register":          {"username": "newcomer", "password": "harbour-violet-summit", "email": "new@example.com"},
	"POST /api/auth/login":             {"username": "sweeper", "password": sweepPassword, "remember_me": true},
	"POST /api/auth/password":          {"old_password": sweepPassword, "new_password": "harbour-violet-summit"},
	"PUT /api/session/expiry":          {"seconds": 3600},
	"PUT /api/session/preferences":     {"theme": "light", "language": "pt-BR"},
	"PUT /api/wizard/steps/1":          {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958"},
	"PUT /api/wizard/steps/2":          {"address": "221B Baker Street", "city": "London", "postal_code": "NW1 6XE"},
	"POST /api/cart/items":             {"product_id": 2, "quantity": 2},
	"PUT /api/cart/items/{product_id}": {"quantity": 3},
}

// operation is one operation of openapi.yaml, as the sweep sends it.
type operation struct {
	method, path string
	params       []string         // names of its path parameters
	body         *openapi3.Schema // of its request body; nil if it reads none
}

// operations lists every operation of doc, so that a new endpoint is swept
// as soon as the contract has it.
func operations(doc *openapi3.T) []operation {
	var out []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := operation{method: strings.ToUpper(method), path: path}
			for _, p := range append(item.Parameters, op.Parameters...) {
				if p.Value.In == openapi3.ParameterInPath {
					o.params = append(o.params, p.Value.Name)
				}
			}
			if op.RequestBody != nil {
				o.body = op.RequestBody.Value.Content.Get("application/json").Schema.Value
			}
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b operation) int { return strings.Compare(a.method+a.path, b.method+b.path) })
	return out
}

// Every endpoint, sent what no client should send (broken JSON, other
// types, nulls, empty and huge strings, deep nesting, bytes that are not
// UTF-8, duplicate and unknown fields, other media types, path parameters
// that name nothing), answers with the error envelope and a 4xx status,
// never a 500, and nothing stored changes: not the session, not a user,
// not a product, a profile or a throttle row. The requests come from a
// logged-in user with a cart, a half-filled wizard and preferences, so
// that each reaches as far into its handler as it can.
func TestHostileInputIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	doc := contractDoc(t)
	wantValidBodies(t, doc)
	clock := apitest.NewClock() // stands still: no idle-activity write happens by itself
	app := apitest.New(t, apitest.Options{Engine: "db", Now: clock.Now})
	c := app.Browser()
	c.Post("/api/auth/register", map[string]string{"username": "sweeper", "password": sweepPassword}).Want(t, http.StatusCreated)
	c.Post("/api/auth/login", map[string]string{"username": "sweeper", "password": sweepPassword}).Want(t, http.StatusOK)
	c.Post("/api/cart/items", map[string]int{"product_id": 1}).Want(t, http.StatusOK)
	c.Put("/api/wizard/steps/1", validBodies["PUT /api/wizard/steps/1"]).Want(t, http.StatusOK)
	c.Put("/api/session/preferences", map[string]string{"theme": "dark"}).Want(t, http.StatusOK)
	key := c.SessionKey()
	params := map[string]string{"product_id": "1", "file": "init.js", "id": session.Fingerprint(key)}

	for _, op := range operations(doc) {
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			valid := validBodies[op.method+" "+op.path]
			cases := []hostileBody{{"a body over the limit", "", []byte(`"` + strings.Repeat("a", 1<<20) + `"`)}}
			if op.body != nil {
				cases = append(wholeBodies(valid), fieldBodies(op.body, valid)...)
			}
			for _, hc := range cases {
				t.Run(hc.name, func(t *testing.T) {
					sendHostile(t, app, c, op.method, fill(op.path, params, "", ""), hc)
				})
			}
			for _, name := range op.params {
				for _, p := range hostileParams {
					t.Run(name+" "+p.name, func(t *testing.T) {
						hc := hostileBody{name: p.name}
						if valid != nil {
							hc.body = mustJSON(valid)
						}
						sendHostile(t, app, c, op.method, fill(op.path, params, name, p.value), hc)
					})
				}
			}
		})
	}

	if got := c.SessionKey(); got != key {
		t.Fatalf("the session key changed during the sweep")
	}
	c.Get("/api/auth/me").Want(t, http.StatusOK)
}

// sendHostile sends hc and fails the test unless the answer is the error
// envelope with a 4xx status (apitest checks it against openapi.yaml) and
// nothing stored changed.
func sendHostile(t *testing.T, app *apitest.App, c *apitest.Client, method, path string, hc hostileBody) {
	t.Helper()
	before := app.Snapshot(t)
	var body any
	if hc.body != nil || hc.contentType != "" || method != http.MethodGet {
		body = hc.body
	}
	if hc.contentType != "" {
		c.Header.Set("Content-Type", hc.contentType)
		defer c.Header.Del("Content-Type")
	}
	res := c.Do(method, path, body)
	if res.StatusCode < 400 || res.StatusCode >= 500 {
		t.Fatalf("%s %.80s: %d, want a 4xx; body: %.300s", method, path, res.StatusCode, res.Body)
	}
	var env struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	res.JSON(t, &env)
	if env.Error.Code == "" || env.Error.Message == "" {
		t.Fatalf("%s %.80s: %d with body %.300s, want the error envelope", method, path, res.StatusCode, res.Body)
	}
	app.WantUnchanged(t, before)
}

// fill writes the path parameters into path: param's as value, the others
// as in params.
func fill(path string, params map[string]string, param, value string) string {
	for name, v := range params {
		if name == param {
			v = value
		}
		path = strings.ReplaceAll(path, "{"+name+"}", v)
	}
	return path
}
