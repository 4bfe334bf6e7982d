package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	api "github.com/djsessions/api"
)

// contract holds responses to openapi.yaml.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var loaded struct {
	once sync.Once
	c    *contract
	err  error
}

// loadContract parses openapi.yaml once per test binary and fails the test
// if it is not a valid OpenAPI document.
func loadContract(t testing.TB) *contract {
	t.Helper()
	loaded.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
		if err != nil {
			loaded.err = err
			return
		}
		if err = doc.Validate(context.Background()); err != nil {
			loaded.err = err
			return
		}
		r, err := gorillamux.NewRouter(doc)
		loaded.c, loaded.err = &contract{doc: doc, router: r}, err
	})
	if loaded.err != nil {
		t.Fatalf("apitest: openapi.yaml: %v", loaded.err)
	}
	return loaded.c
}

// check fails the test if the response is not one openapi.yaml describes,
// or lacks a header its conventions promise on every response.
// A request to a route that openapi.yaml lacks must get the error envelope
// with 404 or 405; any other answer means the contract misses a route.
func (c *contract) check(t testing.TB, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	if res.Header.Get("X-Request-ID") == "" {
		t.Errorf("contract: %s %s → %d has no X-Request-ID", req.Method, req.URL.Path, res.StatusCode)
	}
	if strings.HasPrefix(req.URL.Path, "/api/") && res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("contract: %s %s → %d has Cache-Control %q, want no-store", req.Method, req.URL.Path, res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if req.Method == http.MethodOptions && c.listed(req) {
		c.checkOptions(t, req, res, body)
		return
	}
	ctx := context.Background()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("contract: %s %s answered %d but is not in openapi.yaml", req.Method, req.URL.Path, res.StatusCode)
			return
		}
		c.checkEnvelope(t, req, res, body)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: res.StatusCode,
		Header: res.Header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true, // a status openapi.yaml does not list is an error
		},
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		t.Errorf("contract: %s %s → %d does not match openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, res.StatusCode, err, body)
	}
}

// listed reports whether openapi.yaml has an operation on the request's path,
// whatever its method.
func (c *contract) listed(req *http.Request) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		r := req.Clone(req.Context())
		r.Method = m
		if _, _, err := c.router.FindRoute(r); err == nil {
			return true
		}
	}
	return false
}

// checkOptions checks an OPTIONS request to a listed path (a CORS preflight,
// or a client asking what the path allows) against the conventions of
// openapi.yaml, which describe OPTIONS once rather than as an operation of
// every path: 204, no body, and Allow.
func (c *contract) checkOptions(t testing.TB, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	if res.StatusCode != http.StatusNoContent || len(body) != 0 || res.Header.Get("Allow") == "" {
		t.Errorf("contract: OPTIONS %s → %d with Allow %q and %d bytes of body; want 204, Allow and no body",
			req.URL.Path, res.StatusCode, res.Header.Get("Allow"), len(body))
	}
}

// checkEnvelope checks a response to an undocumented route against the
// Error schema.
func (c *contract) checkEnvelope(t testing.TB, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	var ref *openapi3.SchemaRef
	if c.doc.Components != nil {
		ref = c.doc.Components.Schemas["Error"]
	}
	if ref == nil {
		t.Errorf("contract: openapi.yaml has no components.schemas.Error")
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("contract: %s %s → %d: body is not JSON: %s", req.Method, req.URL.Path, res.StatusCode, body)
		return
	}
	if err := ref.Value.VisitJSON(v); err != nil {
		t.Errorf("contract: %s %s → %d: body is not the error envelope: %v", req.Method, req.URL.Path, res.StatusCode, err)
	}
}
