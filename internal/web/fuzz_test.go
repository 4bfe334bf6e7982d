package web_test

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/djsessions/api/internal/apperr"
)

// Any body Bind is sent is bound or refused as the client's fault, never a
// panic and never an error that would be a 500; what it binds is one JSON
// object in UTF-8. The seed corpus is in testdata/fuzz/FuzzBind; make test
// runs it for a few seconds.
func FuzzBind(f *testing.F) {
	for _, s := range []string{`{"name":"ann","count":3,"tags":["a"],"flag":true}`, `{}`, `{"name":"ann","name":"bob"}`,
		`{"Name":"x"}`, `{"count":null}`, `{"tags":[{"a":1,"a":2}]}`, `{"count":1e400}`, `[1]`, `null`, `{"name":"\xff"}`,
		`{"tags":[[[[[]]]]]}`, `{} {}`, `{"name":"a"}x`, ``, `{"count":-9223372036854775809}`, "\xef\xbb\xbf{}"} {
		f.Add([]byte(s))
	}
	refusals := map[apperr.Code]bool{apperr.InvalidJSON: true, apperr.ValidationFailed: true, apperr.BodyTooLarge: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := bind(t, "application/json", string(body))
		if err == nil {
			if !json.Valid(body) || !utf8.Valid(body) {
				t.Fatalf("bound %q, which is not valid JSON in UTF-8", body)
			}
			return
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || !refusals[ae.Code] {
			t.Fatalf("Bind(%q) = %v, want a 400 or 413 *apperr.Error", body, err)
		}
		if _, err := json.Marshal(ae.Fields); err != nil {
			t.Fatalf("Bind(%q): fields %v cannot be sent: %v", body, ae.Fields, err)
		}
	})
}
