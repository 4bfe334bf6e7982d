package session

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/djsessions/api/internal/djangotest"
)

// TestSignedCookiesAreSharedWithDjango has Django's signed_cookies backend
// load the cookies this engine issues, and this engine load Django's.
func TestSignedCookiesAreSharedWithDjango(t *testing.T) {
	t.Parallel()
	type request struct {
		Load string          `json:"load,omitempty"`
		Save json.RawMessage `json:"save,omitempty"`
	}
	type reply struct {
		Got    string `json:"got"`
		Cookie string `json:"cookie"`
	}
	m := NewCookieManager(NewSigner(SaltSignedCookies, djangoVectorSecret), Options{})
	ctx := context.Background()

	var requests []request
	var cases []djangoCase
	for _, c := range djangoCases() {
		if len(encodeData(marshalEach(t, c.data))) > 3000 {
			continue // would not fit in a cookie
		}
		s := m.New()
		for k, v := range c.data {
			if err := s.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Save(ctx, s); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		cases = append(cases, c)
		requests = append(requests, request{Load: s.Key()}, request{Save: plainJSON(t, c.data)})
	}
	replies := djangotest.Run[reply](t, "testdata/django_signed_cookies.py",
		[]string{"--secret", djangoVectorSecret}, requests)

	for i, c := range cases {
		want := comparableJSON(t, plainJSON(t, c.data))
		if got := comparableJSON(t, json.RawMessage(replies[2*i].Got)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Django loaded our cookie as\n  %.300v\nwant\n  %.300v", c.name, got, want)
		}
		s, err := m.Load(ctx, replies[2*i+1].Cookie)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]any{}
		for k, raw := range s.data {
			got[k] = comparableJSON(t, raw)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Django's cookie loaded here as\n  %.300v\nwant\n  %.300v", c.name, got, want)
		}
	}
	if len(cases) < 15 {
		t.Fatalf("only %d cases fit in a cookie", len(cases))
	}
}
