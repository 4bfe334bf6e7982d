package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"

	api "github.com/djsessions/api"
	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/auth"
	"github.com/djsessions/api/internal/cart"
	"github.com/djsessions/api/internal/password"
	"github.com/djsessions/api/internal/server"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
	"github.com/djsessions/api/internal/testdb"
	"github.com/djsessions/api/internal/wizard"
)

// contractDoc loads and validates openapi.yaml as the tests and clients do.
func contractDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// contractServer builds the real API on a fresh SQLite database.
func contractServer(t *testing.T) *echo.Echo {
	t.Helper()
	db := testdb.Open(t, testdb.SQLiteURL(t))
	logger := slog.New(slog.DiscardHandler)
	sessions := session.NewManager(dbstore.New(db),
		session.NewSigner(session.SaltStore, apitest.SecretKey), session.Options{Logger: logger})
	return server.New(server.Deps{
		Logger:   logger,
		Sessions: sessions,
		Auth:     auth.NewService(auth.NewRepository(db), auth.Config{Hasher: password.NewHasher(apitest.PasswordIterations)}),
		Wizard:   wizard.NewService(wizard.NewRepository(db), nil),
		Cart:     cart.NewService(cart.NewRepository(db), time.Now),
		Checks:   []server.Check{{Name: "database", Func: db.PingContext}},
		OpenAPI:  api.OpenAPI,
	}).Echo
}

var echoParam = regexp.MustCompile(`:([^/]+)`)

// contractRoutes lists the routes Echo serves as "METHOD /path/{param}",
// leaving out Echo's internal not-found routes.
func contractRoutes(e *echo.Echo) []string {
	var out []string
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound || strings.HasPrefix(r.Method, "echo_") {
			continue
		}
		out = append(out, r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// contractOperations lists the operations of doc as "METHOD /path".
func contractOperations(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

func TestContractMatchesRouter(t *testing.T) {
	doc := contractDoc(t)
	routes := contractRoutes(contractServer(t))
	ops := contractOperations(doc)
	if len(routes) == 0 {
		t.Fatal("Echo registered no routes")
	}
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			t.Errorf("route %s is served but not in openapi.yaml", r)
		}
	}
	for _, op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("openapi.yaml describes %s, which the server does not route", op)
		}
	}
}

// TestContractOperations holds every operation to the rules of the contract:
// an operationId and a summary, the error responses every route can give,
// and those of a route that reads a body.
func TestContractOperations(t *testing.T) {
	doc := contractDoc(t)
	errorSchema := doc.Components.Schemas["Error"]
	if errorSchema == nil {
		t.Fatal("openapi.yaml has no components.schemas.Error")
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s: needs an operationId and a summary", name)
			}
			// Every route is behind the body limit; every /api route is
			// behind the session middleware, which may find the store down.
			want := []string{"413", "500"}
			if strings.HasPrefix(path, "/api/") {
				want = append(want, "503")
			}
			// A state-changing request may be refused as a cross-site forgery.
			if method != http.MethodGet && method != http.MethodHead {
				want = append(want, "403")
				if res := op.Responses.Value("403"); res != nil {
					if mt := res.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil &&
						mt.Schema.Value.VisitJSON(crossOriginForbidden) != nil {
						t.Errorf("%s: the 403 response does not allow cross_origin_forbidden", name)
					}
				}
			}
			if op.RequestBody != nil {
				want = append(want, "400", "415")
				body := op.RequestBody.Value.Content.Get("application/json")
				if body == nil || body.Schema == nil || !closed(body.Schema.Value) {
					t.Errorf("%s: the request body must be application/json with additionalProperties: false", name)
				}
			}
			for _, status := range want {
				if op.Responses.Value(status) == nil {
					t.Errorf("%s: no %s response", name, status)
				}
			}
			for status, res := range op.Responses.Map() {
				if status < "400" {
					continue
				}
				mt := res.Value.Content.Get("application/json")
				if mt == nil || mt.Schema == nil {
					t.Errorf("%s: the %s response has no application/json schema", name, status)
					continue
				}
				envelope := map[string]any{"error": map[string]any{"code": "no_such_code", "message": "m"}}
				if mt.Schema.Value.VisitJSON(envelope) == nil {
					t.Errorf("%s: the %s response accepts an error code the contract does not list", name, status)
				}
				if mt.Schema.Value.VisitJSON(map[string]any{"status": "ok"}) == nil {
					t.Errorf("%s: the %s response is not the error envelope", name, status)
				}
			}
		}
	}
}

// TestContractRoutesLocalServer proves that openapi.yaml's servers (if any)
// let the router of the tests match requests to a test server's address.
func TestContractRoutesLocalServer(t *testing.T) {
	doc := contractDoc(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range contractOperations(doc) {
		method, path, _ := strings.Cut(op, " ")
		req, _ := http.NewRequest(method, "http://127.0.0.1:41234"+path, nil)
		if _, _, err := router.FindRoute(req); err != nil {
			t.Errorf("%s: the contract's router does not match a local server: %v", op, err)
		}
	}
}

// TestContractSmoke sends one plain request to every operation: apitest
// fails the test if the answer is not one openapi.yaml describes.
func TestContractSmoke(t *testing.T) {
	app := apitest.New(t, apitest.Options{})
	doc := contractDoc(t)
	for _, mobile := range []bool{false, true} {
		c := app.Browser()
		if mobile {
			c = app.Mobile()
		}
		for _, op := range contractOperations(doc) {
			method, path, _ := strings.Cut(op, " ")
			var body any
			if doc.Paths.Find(path).GetOperation(method).RequestBody != nil {
				body = map[string]any{}
			}
			if res := c.Do(method, path, body); res.StatusCode >= 500 {
				t.Errorf("%s: %d %s", op, res.StatusCode, res.Body)
			}
		}
	}
}

func TestContractServedAsEmbedded(t *testing.T) {
	app := apitest.New(t, apitest.Options{})
	res := app.Browser().Get("/openapi.yaml").Want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type %q, want application/yaml", ct)
	}
	if !bytes.Equal(res.Body, api.OpenAPI) {
		t.Errorf("GET /openapi.yaml served %d bytes that differ from the embedded openapi.yaml (%d bytes)", len(res.Body), len(api.OpenAPI))
	}
	if _, err := openapi3.NewLoader().LoadFromData(res.Body); err != nil {
		t.Errorf("the served document does not load: %v", err)
	}
}

var crossOriginForbidden = map[string]any{"error": map[string]any{"code": "cross_origin_forbidden", "message": "m"}}

// closed reports whether schema has additionalProperties: false.
func closed(schema *openapi3.Schema) bool {
	has := schema.AdditionalProperties.Has
	return has != nil && !*has
}
