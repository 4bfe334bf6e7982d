package session

// These tests cross-check the codec with real Django, through
// testdata/django_signing.py run by Debian's python3-django. Each test starts
// one Python process for a whole batch of cases, one JSON line per case.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/djangotest"
)

// djangoCase is session data that both sides must encode and decode alike.
type djangoCase struct {
	name string
	data map[string]any
	// differs says why Python's JSON for data is not byte for byte what
	// encodeData writes, though it decodes to the same values.
	differs string
}

func djangoCases() []djangoCase {
	type address struct {
		Street string `json:"street"`
		City   string `json:"city,omitempty"`
		Zip    string `json:"-"`
	}
	items := make([]map[string]any, 2000)
	for i := range items {
		items[i] = map[string]any{"sku": fmt.Sprintf("SKU-%05d", i), "qty": i%9 + 1, "note": "emballage cadeau 🎁"}
	}
	deep := map[string]any{"leaf": "fond ✓"}
	for range 60 {
		deep = map[string]any{"d": deep, "n": len(deep)}
	}
	many := map[string]any{}
	for i := range 500 {
		many[fmt.Sprintf("k%03d", i)] = i
	}

	return []djangoCase{
		{name: "empty session", data: map[string]any{}},
		{name: "logged-in user", data: map[string]any{
			"_auth_user_id":      "1",
			"_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
			"_auth_user_hash":    "52dfe90cf24e174eecd8e8e1c2d140c43606e55c4452a9f1db6239ede0ee4883",
			"_session_expiry":    1209600,
		}},
		{name: "expiry as an ISO-8601 date", data: map[string]any{"_session_expiry": "2030-01-02T03:04:05.123456+00:00"}},
		{name: "accents", data: map[string]any{"greeting": "Grüße aus Köln", "dish": "crème brûlée", "name": "Ñandú", "latin1_max": "ÿ"}},
		{name: "emoji, skin tones, flags and ZWJ sequences", data: map[string]any{"e": "😀👍🏽🇫🇷👨‍👩‍👧", "alone": "🎉"}},
		{name: "other scripts and combining marks", data: map[string]any{"ja": "東京", "ru": "Москва", "ar": "مرحبا", "combining": "e\u0301", "math": "𝔸"}},
		{name: "code point extremes", data: map[string]any{"bmp": "\uffff", "bom": "\ufeff", "max": "\U0010ffff", "nul": "\x00", "replacement": "\ufffd"}},
		{name: "unusual keys", data: map[string]any{"clé": 1, "": "empty key", `a"b`: 2, "tab\tkey": 3, "😀": true, "<k>": "&"}},
		{name: "HTML-sensitive characters", data: map[string]any{"html": "<script>alert('x')</script> & &amp; </p>"}},
		{name: "quotes and backslashes", data: map[string]any{"q": `say "hi" \ C:\path\n \u0041`}},
		{name: "control characters", data: map[string]any{"c": "\x01\x02\x1f\n\r\t\b\f\x1b[0m"}},
		{name: "DEL", data: map[string]any{"del": "a\x7fb"}},
		{name: "line and paragraph separators", data: map[string]any{"ls": "a\u2028b\u2029c"}},
		{name: "integers", data: map[string]any{
			"zero": 0, "negative": -1, "max_safe": int64(1) << 53, "beyond_float64": int64(1)<<53 + 1,
			"max_int64": int64(math.MaxInt64), "min_int64": int64(math.MinInt64), "max_uint64": uint64(math.MaxUint64),
		}},
		{name: "floats", data: map[string]any{
			"tenth": 0.1, "half": -2.5, "pi": math.Pi, "whole": 2.0, "big": 1e300,
			"max": math.MaxFloat64, "smallest": math.SmallestNonzeroFloat64, "e21": 1e21,
		}},
		{name: "floats Python writes in exponent form", data: map[string]any{"tiny": 1e-7, "e16": 1e16, "e-5": 0.00001},
			differs: "Python writes 1e-07, 1e+16 and 1e-05 where Go writes 1e-7, 10000000000000000 and 0.00001"},
		{name: "booleans and null", data: map[string]any{"t": true, "f": false, "n": nil}},
		{name: "nested objects and arrays", data: map[string]any{
			"cart":       map[string]any{"items": []any{map[string]any{"sku": "A-1", "qty": 2, "tags": []string{"gift", "fragile"}}}, "coupon": nil},
			"empty_list": []any{}, "empty_object": map[string]any{}, "matrix": [][]float64{{1, 0.5}, {-0.25, 1e3}},
		}},
		{name: "deep nesting", data: map[string]any{"deep": deep}},
		{name: "values of Go types that Session.Set accepts", data: map[string]any{
			"struct": address{Street: "1 Rue de l'Église", Zip: "hidden"},
			"time":   time.Date(2024, 2, 29, 23, 59, 59, 500, time.UTC),
			"bytes":  []byte{0, 1, 2, 0xfe, 0xff},
			"by_int": map[int]string{2: "b", 10: "a"},
			"ptr":    (*int)(nil),
		}},
		{name: "large text, compressed", data: map[string]any{"essay": strings.Repeat("Lorem ipsum dolor sit amet, café ☕ <b>&</b>. ", 3000)}},
		{name: "large cart, compressed", data: map[string]any{"cart": items}},
		{name: "many keys", data: many},
	}
}

// TestDjangoReadsWhatGoWrites signs each case in Go and has Django's
// signing.loads decode it: Django must get back exactly the values encoded.
func TestDjangoReadsWhatGoWrites(t *testing.T) {
	t.Parallel()
	type request struct {
		Salt   string          `json:"salt"`
		Signed string          `json:"signed"`
		Want   json.RawMessage `json:"want"`
	}
	var requests []request
	var names []string
	compressed := map[bool]int{}
	for _, salt := range []string{SaltStore, SaltSignedCookies} {
		s := NewSigner(salt, djangoVectorSecret)
		for _, c := range djangoCases() {
			signed := s.Sign(encodeData(marshalEach(t, c.data)), time.Now())
			compressed[strings.HasPrefix(signed, ".")]++
			requests = append(requests, request{Salt: salt, Signed: signed, Want: plainJSON(t, c.data)})
			names = append(names, salt+"/"+c.name)
		}
	}
	if compressed[true] == 0 || compressed[false] == 0 {
		t.Fatalf("cases compressed: %d, uncompressed: %d; want both kinds", compressed[true], compressed[false])
	}

	replies := runDjango(t, []string{"loads", "--secret", djangoVectorSecret}, requests)
	for i, r := range replies {
		switch {
		case r.Error != "":
			t.Errorf("%s: Django could not load %.80q: %s", names[i], requests[i].Signed, r.Error)
		case r.Got != r.Want:
			t.Errorf("%s: Django decoded\n  %.300s\nwant\n  %.300s", names[i], r.Got, r.Want)
		}
	}
}

// TestGoReadsWhatDjangoWrites has Django's signing.dumps sign each case and
// checks that Unsign and decodeData give back the values Django was given.
func TestGoReadsWhatDjangoWrites(t *testing.T) {
	t.Parallel()
	type request struct {
		Salt string          `json:"salt"`
		Obj  json.RawMessage `json:"obj"`
	}
	cases := djangoCases()
	salts := []string{SaltStore, SaltSignedCookies}
	var requests []request
	for _, salt := range salts {
		for _, c := range cases {
			requests = append(requests, request{Salt: salt, Obj: plainJSON(t, c.data)})
		}
	}
	replies := runDjango(t, []string{"dumps", "--secret", djangoVectorSecret, "--time", fmt.Sprint(djangoVectorUnix)}, requests)

	compressed := map[bool]int{}
	for i, r := range replies {
		salt, c := salts[i/len(cases)], cases[i%len(cases)]
		name := salt + "/" + c.name
		compressed[strings.HasPrefix(r.Signed, ".")]++

		payload, at, err := NewSigner(salt, djangoVectorSecret).Unsign(r.Signed)
		if err != nil {
			t.Errorf("%s: Unsign(Django's %.80q): %v", name, r.Signed, err)
			continue
		}
		if !at.Equal(djangoVectorTime) {
			t.Errorf("%s: signed at %v, want %v", name, at, djangoVectorTime)
		}
		data, err := decodeData(payload)
		if err != nil {
			t.Errorf("%s: decodeData(%.200s): %v", name, payload, err)
			continue
		}
		got := map[string]any{}
		for k, raw := range data {
			got[k] = comparableJSON(t, raw)
		}
		if want := comparableJSON(t, plainJSON(t, c.data)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Go decoded\n  %.300v\nwant\n  %.300v", name, got, want)
		}
	}
	if compressed[true] == 0 || compressed[false] == 0 {
		t.Errorf("Django compressed %d cases and not %d; want both kinds", compressed[true], compressed[false])
	}
}

// TestEncodeDataMatchesDjangoByteForByte compares the JSON itself: apart from
// the documented exceptions, Go writes the very bytes Django writes, so the
// signed value is identical whenever neither side compresses (zlib output
// may differ between implementations).
func TestEncodeDataMatchesDjangoByteForByte(t *testing.T) {
	t.Parallel()
	type request struct {
		Salt string          `json:"salt"`
		Obj  json.RawMessage `json:"obj"`
	}
	var cases []djangoCase
	var requests []request
	for _, c := range djangoCases() {
		if c.differs == "" {
			cases = append(cases, c)
			requests = append(requests, request{Salt: SaltStore, Obj: plainJSON(t, c.data)})
		}
	}
	replies := runDjango(t, []string{"dumps", "--secret", djangoVectorSecret, "--time", fmt.Sprint(djangoVectorUnix)}, requests)

	s := NewSigner(SaltStore, djangoVectorSecret)
	identical := 0
	for i, r := range replies {
		c := cases[i]
		want, _, err := s.Unsign(r.Signed)
		if err != nil {
			t.Errorf("%s: Unsign(Django's %.80q): %v", c.name, r.Signed, err)
			continue
		}
		encoded := encodeData(marshalEach(t, c.data))
		if !bytes.Equal(encoded, want) {
			t.Errorf("%s: encodeData wrote\n  %.300s\nDjango wrote\n  %.300s", c.name, encoded, want)
			continue
		}
		signed := s.Sign(encoded, djangoVectorTime)
		if !strings.HasPrefix(signed, ".") && !strings.HasPrefix(r.Signed, ".") {
			identical++
			if signed != r.Signed {
				t.Errorf("%s: Sign = %q, Django's is %q", c.name, signed, r.Signed)
			}
		}
	}
	if identical == 0 {
		t.Errorf("no case was left uncompressed by both sides; nothing compared whole")
	}
}

// TestDjangoAndGoAgreeOnWhichValuesVerify gives both sides the same signed
// values, under the same current and fallback keys: each must accept the
// valid ones and refuse the others.
func TestDjangoAndGoAgreeOnWhichValuesVerify(t *testing.T) {
	t.Parallel()
	const oldSecret = "django-insecure-old-key-before-rotation"
	payload := []byte(`{"user":"1","name":"Zo\u00eb"}`)
	current := NewSigner(SaltStore, djangoVectorSecret).Sign(payload, djangoVectorTime)
	big := NewSigner(SaltStore, djangoVectorSecret).Sign(largeSessionPayload(), djangoVectorTime)
	forge := func(value string) string { return djangoSignValue(t, SaltStore, djangoVectorSecret, value) }

	tests := []struct {
		name   string
		signed string
		valid  bool
	}{
		{"signed with the current key", current, true},
		{"signed with the fallback key", NewSigner(SaltStore, oldSecret).Sign(payload, djangoVectorTime), true},
		{"compressed, signed with the current key", big, true},
		{"Django's compressed vector", ".eJyrVkpUslKqoANQqgUAPCcw_A:1r31eq:4aC2gnsMbIuCqjnbrMXyDSt9jlRAGCOoC4j7z60oJEc", true},
		{"signed with an unknown key", NewSigner(SaltStore, "some-other-key").Sign(payload, djangoVectorTime), false},
		{"signed with the other salt", NewSigner(SaltSignedCookies, djangoVectorSecret).Sign(payload, djangoVectorTime), false},
		{"tampered payload", "X" + current[1:], false},
		{"tampered timestamp", strings.Replace(current, ":"+djangoVectorBase62+":", ":1r31er:", 1), false},
		{"signature with non-zero padding bits", flipPaddingBit(t, current), false},
		{"signature with a line break", current[:len(current)-2] + "\n" + current[len(current)-2:], false},
		{"signature with base64 padding", current + "=", false},
		{"truncated signature", current[:len(current)-1], false},
		{"truncated compressed payload", big[:20] + big[strings.Index(big, ":"):], false},
		{"no colon", strings.ReplaceAll(current, ":", ""), false},
		{"empty string", "", false},
		{"validly signed but corrupt zlib", forge(".eJyrVkpUslKqoANQqgUAPDcw_A:1r31eq"), false},
	}
	type request struct {
		Salt   string `json:"salt"`
		Signed string `json:"signed"`
	}
	requests := make([]request, len(tests))
	for i, tt := range tests {
		requests[i] = request{Salt: SaltStore, Signed: tt.signed}
	}
	replies := runDjango(t, []string{"loads", "--secret", djangoVectorSecret, "--fallback", oldSecret}, requests)

	s := NewSigner(SaltStore, djangoVectorSecret, oldSecret)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if djangoValid := replies[i].Error == ""; djangoValid != tt.valid {
				t.Errorf("Django accepted = %v (%s), want %v", djangoValid, replies[i].Error, tt.valid)
			}
			_, _, err := s.Unsign(tt.signed)
			if goValid := err == nil; goValid != tt.valid {
				t.Errorf("Go accepted = %v (%v), want %v", goValid, err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrBadSignature) {
				t.Errorf("Go error = %v, want ErrBadSignature", err)
			}
		})
	}
}

// flipPaddingBit changes the last base64 character of signed so that it
// still decodes to the same signature bytes: of the 258 bits that 43
// characters carry, the last 2 are padding.
func flipPaddingBit(t *testing.T, signed string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	sig := signed[strings.LastIndexByte(signed, ':')+1:]
	if len(sig) != 43 {
		t.Fatalf("signature %q is %d characters, want 43", sig, len(sig))
	}
	last := strings.IndexByte(alphabet, sig[42])
	return signed[:len(signed)-1] + string(alphabet[last^1])
}

// djangoReply is one line of django_signing.py's output.
type djangoReply struct {
	Signed string `json:"signed"` // dumps
	Got    string `json:"got"`    // loads: what Django decoded, canonical JSON
	Want   string `json:"want"`   // loads: the expected value, canonical JSON
	Error  string `json:"error"`  // loads: why Django refused the value
}

// runDjango runs testdata/django_signing.py once for a batch of requests and
// returns its replies, one per request.
func runDjango[R any](t *testing.T, args []string, requests []R) []djangoReply {
	t.Helper()
	return djangotest.Run[djangoReply](t, "testdata/django_signing.py", args, requests)
}

// plainJSON is v as ordinary JSON (raw UTF-8, Go's standard encoder), written
// independently of encodeData, for Django to compare against.
func plainJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%v): %v", v, err)
	}
	return b
}

// comparableJSON decodes raw for reflect.DeepEqual, keeping integers exact
// (as their decimal text) and reading other numbers as float64, so that
// Python's 1e-07 equals Go's 1e-7 but 2^53+1 does not equal 2^53.
func comparableJSON(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %.200s: %v", raw, err)
	}
	return normalizeNumbers(t, v)
}

func normalizeNumbers(t *testing.T, v any) any {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalizeNumbers(t, e)
		}
	case []any:
		for i, e := range v {
			v[i] = normalizeNumbers(t, e)
		}
	case json.Number:
		if !strings.ContainsAny(string(v), ".eE") {
			return v
		}
		f, err := v.Float64()
		if err != nil {
			t.Fatalf("number %s: %v", v, err)
		}
		return f
	}
	return v
}
