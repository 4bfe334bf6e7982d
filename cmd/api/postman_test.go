package main

// docs/postman's collection is kept by hand. These tests hold it to
// openapi.yaml (every request is one the contract accepts, and expects a
// status the contract lists), and run it with newman, as a Postman user
// would, against the real program.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	api "github.com/djsessions/api"
)

const collectionPath = "../../docs/postman/djsessions.postman_collection.json"

type postmanCollection struct {
	Item     []postmanItem `json:"item"`
	Variable []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"variable"`
}

// postmanItem is a folder (Item) or a request (Request).
type postmanItem struct {
	Name    string        `json:"name"`
	Item    []postmanItem `json:"item"`
	Request *struct {
		Method string `json:"method"`
		Header []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"header"`
		URL struct {
			Raw string `json:"raw"`
		} `json:"url"`
		Body *struct {
			Mode string `json:"mode"`
			Raw  string `json:"raw"`
		} `json:"body"`
	} `json:"request"`
	Event []struct {
		Listen string `json:"listen"`
		Script struct {
			Exec []string `json:"exec"`
		} `json:"script"`
	} `json:"event"`
}

func loadCollection(t *testing.T) postmanCollection {
	t.Helper()
	raw, err := os.ReadFile(collectionPath)
	if err != nil {
		t.Fatal(err)
	}
	var c postmanCollection
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("the collection is not JSON: %v", err)
	}
	return c
}

// requests lists the collection's requests in the order they run.
func (c postmanCollection) requests() []postmanItem {
	var out []postmanItem
	var walk func([]postmanItem)
	walk = func(items []postmanItem) {
		for _, it := range items {
			if it.Request != nil {
				out = append(out, it)
			}
			walk(it.Item)
		}
	}
	walk(c.Item)
	return out
}

// tests returns the item's test script.
func (it postmanItem) tests() string {
	for _, e := range it.Event {
		if e.Listen == "test" {
			return strings.Join(e.Script.Exec, "\n")
		}
	}
	return ""
}

var (
	postmanVar    = regexp.MustCompile(`\{\{([^{}]+)\}\}`)
	postmanStatus = regexp.MustCompile(`pm\.response\.to\.have\.status\((\d+)\)`)
)

// postmanSamples stand for the variables the collection sets as it runs.
var postmanSamples = map[string]string{
	"baseUrl": "http://127.0.0.1:8000", "username": "postman_sample", "productId": "1",
}

func TestPostmanCollectionIsInTheContract(t *testing.T) {
	c := loadCollection(t)
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, v := range c.Variable {
		vars[v.Key] = v.Value
	}
	sample := func(name string) (string, error) {
		if _, ok := vars[name]; !ok {
			return "", fmt.Errorf("{{%s}} is not a variable of the collection", name)
		}
		if v, ok := postmanSamples[name]; ok {
			return v, nil
		}
		return vars[name], nil
	}

	var flow []string
	for _, it := range c.requests() {
		req, err := postmanRequest(it, sample)
		if err != nil {
			t.Errorf("%s: %v", it.Name, err)
			continue
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s: %s %s is not in openapi.yaml: %v", it.Name, req.Method, req.URL.Path, err)
			continue
		}
		flow = append(flow, route.Operation.OperationID)
		in := &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s: openapi.yaml refuses the request: %v", it.Name, err)
		}
		statuses := postmanStatus.FindAllStringSubmatch(it.tests(), -1)
		if len(statuses) != 1 {
			t.Errorf("%s: its tests check the status %d times, want once", it.Name, len(statuses))
			continue
		}
		if status, _ := strconv.Atoi(statuses[0][1]); status >= 300 || route.Operation.Responses.Status(status) == nil {
			t.Errorf("%s: expects %d, which is not a success openapi.yaml lists for %s", it.Name, status, route.Operation.OperationID)
		}
	}

	want := []string{
		"register", "login", "checkSession",
		"listProducts", "addToCart", "getCart", "setCartQuantity", "removeFromCart", "clearCart",
		"saveWizardStep1", "saveWizardStep2", "submitWizard",
		"logout", "checkSession",
	}
	if !slices.Equal(flow, want) {
		t.Errorf("the collection runs\n  %v\nwant\n  %v", flow, want)
	}
}

// postmanRequest builds the HTTP request an item sends, its variables
// replaced through value.
func postmanRequest(it postmanItem, value func(string) (string, error)) (*http.Request, error) {
	var errs []error
	expand := func(s string) string {
		return postmanVar.ReplaceAllStringFunc(s, func(m string) string {
			v, err := value(m[2 : len(m)-2])
			errs = append(errs, err)
			return v
		})
	}
	r := it.Request
	if !strings.HasPrefix(r.URL.Raw, "{{baseUrl}}/") {
		return nil, fmt.Errorf("URL %q does not start with {{baseUrl}}/", r.URL.Raw)
	}
	var body []byte
	if r.Body != nil {
		if r.Body.Mode != "raw" {
			return nil, fmt.Errorf("body mode %q, want raw JSON", r.Body.Mode)
		}
		body = []byte(expand(r.Body.Raw))
	}
	req, err := http.NewRequest(r.Method, expand(r.URL.Raw), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for _, h := range r.Header {
		req.Header.Set(h.Key, expand(h.Value))
	}
	if body != nil && req.Header.Get("Content-Type") != "application/json" {
		return nil, errors.New("a body without Content-Type: application/json")
	}
	return req, errors.Join(errs...)
}

// newmanPath is where .ci/setup installs newman.
const newmanPath = "../../.ci/newman/node_modules/.bin/newman"

func TestPostmanCollectionRunsAgainstTheServer(t *testing.T) {
	newman, err := filepath.Abs(newmanPath)
	if err == nil {
		_, err = os.Stat(newman)
	}
	if err != nil {
		t.Fatalf("newman is not installed (%v): run .ci/setup", err)
	}
	base := liveServer(t, nil)
	report := filepath.Join(t.TempDir(), "report.json")

	// Twice, as a user who runs the collection again would: the second run
	// registers another user and logs in again after the first's logout.
	const iterations = 2
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, newman, "run", collectionPath,
		"--env-var", "baseUrl="+base, "--iteration-count", strconv.Itoa(iterations),
		"--reporters", "cli,json", "--reporter-json-export", report,
		"--color", "off", "--disable-unicode", "--timeout-request", "10000")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("newman: %v\n%s", err, out)
	}

	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Run struct {
			Stats map[string]struct{ Total, Failed int } `json:"stats"`
		} `json:"run"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("newman's report: %v", err)
	}
	requests, assertions := r.Run.Stats["requests"], r.Run.Stats["assertions"]
	if want := iterations * len(loadCollection(t).requests()); requests.Total != want || requests.Failed != 0 {
		t.Errorf("newman sent %d requests, %d failed; want %d sent\n%s", requests.Total, requests.Failed, want, out)
	}
	if assertions.Total < requests.Total || assertions.Failed != 0 {
		t.Errorf("newman checked %d assertions, %d failed\n%s", assertions.Total, assertions.Failed, out)
	}
}
