package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Fuzz targets of what a session is read from: stored data, a signed
// cookie, a key, an expiry. Their seed corpora are in testdata/fuzz; make
// test runs each for a few seconds. Arbitrary input almost never carries a
// valid signature, so each target also re-signs (and, where it applies,
// seals) what it is given with the right key: the fuzzer then reaches the
// base62, base64, zlib and JSON decoding behind the signature check.

const fuzzSecret = "fuzz-secret"

var fuzzNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// forged returns signed with its signature replaced by the right one for
// s's first key, as if the server had signed whatever signed holds.
func forged(s *Signer, signed string) string {
	value := signed
	if i := strings.LastIndexByte(signed, ':'); i >= 0 {
		value = signed[:i]
	}
	return value + ":" + b64(s.mac(s.keys[0], value))
}

func fuzzManagers(t testing.TB, salt string, inCookie bool) []*Manager {
	sealer, err := NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var out []*Manager
	for _, sl := range []*Sealer{nil, sealer} {
		opts := Options{Sealer: sl, Now: func() time.Time { return fuzzNow }}
		signer := NewSigner(salt, fuzzSecret, "old-secret")
		if inCookie {
			out = append(out, NewCookieManager(signer, opts))
		} else {
			out = append(out, NewManager(nil, signer, opts))
		}
	}
	return out
}

// The inputs a stored session comes as: what Django and Sign write, and the
// shapes around them.
var storedSeeds = []string{
	"eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc",
	".eJyrVkpUslKqoANQqgUAPCcw_A:1r31eq:4aC2gnsMbIuCqjnbrMXyDSt9jlRAGCOoC4j7z60oJEc",
	"e30:1r31eq:x", "e30:-zzzzzzzzzz:x", "e30::x", ":1r31eq:x", ".:0:x", "bnVsbA:0:x", "WzFd:0:x",
	"", ":", "::", "gcm1:", "gcm1:00000000:", "gcm1::AAAA",
}

// Whatever a store hands back, decoding it never panics: it is a map, or an
// error. A payload that verifies signs again to the same payload and time.
func FuzzDecodeStored(f *testing.F) {
	for _, s := range storedSeeds {
		f.Add(s)
	}
	managers := fuzzManagers(f, SaltStore, false)
	f.Fuzz(func(t *testing.T, stored string) {
		for _, m := range managers {
			for _, v := range []string{stored, forged(m.signer, stored), m.seal(forged(m.signer, stored))} {
				if data, err := m.decode(v); err == nil && data == nil {
					t.Fatalf("decode(%q) gave no data and no error", v)
				}
			}
		}
		s := managers[0].signer
		payload, at, err := s.Unsign(forged(s, stored))
		if err != nil {
			return
		}
		again, at2, err := s.Unsign(s.Sign(payload, at))
		if err != nil || !bytes.Equal(again, payload) || !at2.Equal(at) {
			t.Fatalf("Sign then Unsign of %q at %v: %q at %v, %v", payload, at, again, at2, err)
		}
	})
}

// Any serialised session decodes to a map or an error, and what decodes
// encodes back, in pure ASCII as Django writes it, to the same data.
func FuzzDecodeData(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"é\u00e9\ud83d\ude00"}`, `{"_session_expiry":"2026-01-01T00:00:00+00:00"}`,
		`{"a":{"b":[1,2,{"c":null}]}}`, `null`, `[]`, `{"a":1,"a":2}`, "{\"\xff\":\"\x7f\"}", `{"a":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		data, err := decodeData(payload)
		if err != nil {
			return
		}
		encoded := encodeData(data)
		for _, b := range encoded {
			if b >= del {
				t.Fatalf("encodeData wrote a byte %#x that is not plain ASCII: %q", b, encoded)
			}
		}
		again, err := decodeData(encoded)
		if err != nil {
			t.Fatalf("decodeData(encodeData(%q)) = %v", payload, err)
		}
		if !reflect.DeepEqual(asValues(t, data), asValues(t, again)) {
			t.Fatalf("%q encoded as %q, which decodes to other data", payload, encoded)
		}
	})
}

// asValues decodes each value of data, numbers as written (1e400 is JSON,
// though no float64 holds it).
func asValues(t *testing.T, data map[string]json.RawMessage) map[string]any {
	out := map[string]any{}
	for k, raw := range data {
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("value of %q, %q: %v", k, raw, err)
		}
		out[k] = v
	}
	return out
}

// Any cookie value the signed_cookies engine is sent loads as a session,
// empty unless it verifies; a loaded session tells its expiry and saves
// again (or is too large to).
func FuzzCookieLoad(f *testing.F) {
	for _, s := range storedSeeds {
		f.Add(s)
	}
	f.Add("eyJhIjoxfQ:1r31eq:Gb_Ybvd4qTBVUsN0RqKgkacjLhnCF5apbN3zDS4AX_k")
	managers := fuzzManagers(f, SaltSignedCookies, true)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, value string) {
		for _, m := range managers {
			for _, v := range []string{value, forged(m.signer, value), m.seal(forged(m.signer, value))} {
				s, err := m.Load(ctx, v)
				if err != nil || s == nil {
					t.Fatalf("Load(%q) = %v, %v; want a session and no error", v, s, err)
				}
				if s.Key() != "" && s.Key() != v {
					t.Fatalf("Load(%q) gave the key %q", v, s.Key())
				}
				s.ExpiryAge()
				s.ExpiryDate()
				s.ExpireAtBrowserClose()
				s.modified = true
				if err := m.Save(ctx, s); err != nil && !errors.Is(err, ErrTooLarge) {
					t.Fatalf("Save of the session loaded from %q: %v", v, err)
				}
			}
		}
	})
}

// ValidKey accepts exactly what Django's keys are made of.
func FuzzValidKey(f *testing.F) {
	for _, s := range []string{"w6m1ry5wsdu7lh4q0rw2nxo03t5yqdoy", "abcdefgh", "abcdefg", strings.Repeat("a", 40), strings.Repeat("a", 41),
		"ABCDEFGH", "abcd-efgh", "abcdéfgh", "../../etc", "abcdefgh\x00"} {
		f.Add(s)
	}
	spec := regexp.MustCompile(`\A[a-z0-9]{8,40}\z`)
	f.Fuzz(func(t *testing.T, key string) {
		if got, want := ValidKey(key), spec.MatchString(key); got != want {
			t.Fatalf("ValidKey(%q) = %v, want %v", key, got, want)
		}
	})
}

// parseISO reads any string without panicking, into a UTC time that
// isoformat writes back to the same instant (to the microsecond, as Python
// keeps it).
func FuzzParseISO(f *testing.F) {
	for _, s := range []string{"2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05.123456+00:00", "2026-01-02T03:04:05.123456789Z",
		"2026-01-02 03:04:05", "2026-01-02T03:04:05-05:30", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-02-30T00:00:00Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parsed, err := parseISO(s)
		if err != nil {
			return
		}
		if parsed.Location() != time.UTC {
			t.Fatalf("parseISO(%q) = %v, not in UTC", s, parsed)
		}
		again, err := parseISO(isoformat(parsed))
		if err != nil || !again.Equal(parsed.Truncate(time.Microsecond)) {
			t.Fatalf("parseISO(%q) = %v, written as %q, read back as %v, %v", s, parsed, isoformat(parsed), again, err)
		}
	})
}

// Whatever _session_expiry holds (Django writes a number of seconds or an
// ISO date; anything may be there), the session tells an expiry that is
// consistent (a positive age is a date to come) and can be shown as JSON.
func FuzzExpiry(f *testing.F) {
	for _, s := range []string{`0`, `3600`, `-1`, `1.5`, `1e300`, `-1e300`, `9223372036854775807`, `"2026-06-01T13:00:00+00:00"`,
		`"9999-12-31T23:59:59-01:00"`, `"0001-01-01T00:00:00+01:00"`, `"nonsense"`, `null`, `true`, `[]`, `{}`} {
		f.Add(s)
	}
	m := NewManager(nil, NewSigner(SaltStore, fuzzSecret), Options{Now: func() time.Time { return fuzzNow }})
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		s := &Session{m: m, data: map[string]json.RawMessage{expiryKey: json.RawMessage(raw)}}
		age, date := s.ExpiryAge(), s.ExpiryDate()
		s.ExpireAtBrowserClose()
		// age is the whole seconds to date, rounded down.
		if age > 0 && !date.After(fuzzNow) || age <= 0 && !date.Before(fuzzNow.Add(time.Second)) {
			t.Fatalf("_session_expiry %s: age %d but date %v (now %v)", raw, age, date, fuzzNow)
		}
		if _, err := json.Marshal(date); err != nil {
			t.Fatalf("_session_expiry %s: the date %v cannot be shown: %v", raw, date, err)
		}
		if _, err := m.record(s); err != nil {
			t.Fatalf("_session_expiry %s: %v", raw, err)
		}
	})
}
