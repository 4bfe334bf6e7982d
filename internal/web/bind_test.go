package web_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/web"
)

type target struct {
	Name  string   `json:"name"`
	Count *int     `json:"count"`
	Tags  []string `json:"tags"`
	Flag  bool     `json:"flag"`
}

// bind runs web.Bind on a request with body and content type, behind the
// body limit, as every route is.
func bind(t *testing.T, contentType, body string) (target, error) {
	t.Helper()
	return bindStreamed(t, contentType, body, false)
}

// bindStreamed is bind, with the body sent without a Content-Length when
// streamed is true, so that only reading can find it too large.
func bindStreamed(t *testing.T, contentType, body string, streamed bool) (target, error) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	if streamed {
		req.ContentLength = -1
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	var got target
	var err error
	c := echo.New().NewContext(req, httptest.NewRecorder())
	if lerr := web.LimitBody(func(c echo.Context) error {
		err = web.Bind(c, &got)
		return nil
	})(c); lerr != nil {
		return got, lerr
	}
	return got, err
}

func TestBindAcceptsOneJSONObject(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/merge-patch+json"} {
		got, err := bind(t, ct, `{"name":"ann","count":3,"tags":["a"],"flag":true}`)
		if err != nil || got.Name != "ann" || *got.Count != 3 || got.Tags[0] != "a" || !got.Flag {
			t.Fatalf("%s: got %+v, %v", ct, got, err)
		}
	}
}

func TestBindRefusesWhatIsNotExactlyOneJSONObject(t *testing.T) {
	cases := []struct {
		name, contentType, body string
		code                    apperr.Code
		field                   string
	}{
		{"no content type", "", `{}`, apperr.UnsupportedMediaType, ""},
		{"a form", "application/x-www-form-urlencoded", `name=ann`, apperr.UnsupportedMediaType, ""},
		{"plain text", "text/plain", `{}`, apperr.UnsupportedMediaType, ""},
		{"an empty body", "application/json", ``, apperr.InvalidJSON, ""},
		{"malformed", "application/json", `{"name":`, apperr.InvalidJSON, ""},
		{"not JSON at all", "application/json", `hello`, apperr.InvalidJSON, ""},
		{"two values", "application/json", `{} {}`, apperr.InvalidJSON, ""},
		{"trailing garbage", "application/json", `{}x`, apperr.InvalidJSON, ""},
		{"null", "application/json", `null`, apperr.InvalidJSON, ""},
		{"an array", "application/json", `[1]`, apperr.InvalidJSON, ""},
		{"a string", "application/json", `"x"`, apperr.InvalidJSON, ""},
		{"an unknown field", "application/json", `{"nmae":"ann"}`, apperr.ValidationFailed, "nmae"},
		{"a number for a string", "application/json", `{"name":5}`, apperr.ValidationFailed, "name"},
		{"a fraction for an integer", "application/json", `{"count":1.5}`, apperr.ValidationFailed, "count"},
		{"an integer too large", "application/json", `{"count":1e40}`, apperr.ValidationFailed, "count"},
		{"a string for a boolean", "application/json", `{"flag":"yes"}`, apperr.ValidationFailed, "flag"},
		{"an object for an array", "application/json", `{"tags":{}}`, apperr.ValidationFailed, "tags"},
		{"invalid UTF-8 in a value", "application/json", "{\"name\":\"\xff\"}", apperr.InvalidJSON, ""},
		{"invalid UTF-8 in a key", "application/json", "{\"\xc3\x28\":1}", apperr.InvalidJSON, ""},
		{"a field twice", "application/json", `{"name":"ann","name":"bob"}`, apperr.ValidationFailed, "name"},
		{"a member twice in a nested object", "application/json", `{"tags":[{"a":1,"a":2}]}`, apperr.ValidationFailed, "tags"},
		{"a field in another case", "application/json", `{"Name":"ann"}`, apperr.ValidationFailed, "Name"},
		{"a field twice, once in another case", "application/json", `{"name":"ann","NAME":"bob"}`, apperr.ValidationFailed, "NAME"},
		{"a null field", "application/json", `{"count":null}`, apperr.ValidationFailed, "count"},
		{"a null in an array", "application/json", `{"tags":["a",null]}`, apperr.ValidationFailed, "tags"},
		{"too large", "application/json", `{"name":"` + strings.Repeat("a", web.MaxBodyBytes) + `"}`, apperr.BodyTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bind(t, tc.contentType, tc.body)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			if tc.field != "" && ae.Fields[tc.field] == "" {
				t.Fatalf("fields %v do not name %q", ae.Fields, tc.field)
			}
			if _, err := json.Marshal(ae.Fields); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// What checkMembers looks at inside nested values must not make it refuse
// what is fine: the same name in two objects, empty objects and arrays.
func TestBindAcceptsTheSameNameInDifferentObjects(t *testing.T) {
	type nested struct {
		A []any          `json:"a"`
		B map[string]any `json:"b"`
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"a":[{"x":1},{"x":2},{},[]],"b":{"x":{"x":[]}}}`))
	req.Header.Set("Content-Type", "application/json")
	var got nested
	if err := web.Bind(echo.New().NewContext(req, httptest.NewRecorder()), &got); err != nil {
		t.Fatalf("Bind: %v", err)
	}
}

func TestBindRefusesAStreamedBodyOverTheLimit(t *testing.T) {
	body := `{"name":"` + strings.Repeat("a", web.MaxBodyBytes) + `"}`
	_, err := bindStreamed(t, "application/json", body, true)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.BodyTooLarge {
		t.Fatalf("got %v, want body_too_large", err)
	}
}
