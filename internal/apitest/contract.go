package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
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
