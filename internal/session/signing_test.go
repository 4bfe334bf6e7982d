package session

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The reference values of /work/shared/DJANGO-VECTORS.md, produced by Django 3.2.
const (
	djangoVectorSecret = "django-insecure-test-key-0123456789"
	djangoVectorUnix   = 1700000000
	djangoVectorBase62 = "1r31eq"
)

var djangoVectorTime = time.Unix(djangoVectorUnix, 0).UTC()

func TestSignReproducesDjangoVectors(t *testing.T) {
	tests := []struct {
		name    string
		salt    string
		payload string
		want    string
	}{
		{"small object, store salt", SaltStore, `{"a":1}`,
			"eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"},
		{"empty object, store salt", SaltStore, `{}`,
			"e30:1r31eq:evntJUO7iAw7b0tKkAw7aqBBFiMHqnqR55Cgyigzv04"},
		{"small object, signed_cookies salt", SaltSignedCookies, `{"a":1}`,
			"eyJhIjoxfQ:1r31eq:Gb_Ybvd4qTBVUsN0RqKgkacjLhnCF5apbN3zDS4AX_k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewSigner(tt.salt, djangoVectorSecret).Sign([]byte(tt.payload), djangoVectorTime)
			if got != tt.want {
				t.Errorf("Sign(%s) = %q, want Django's %q", tt.payload, got, tt.want)
			}
		})
	}
}

func TestSignEncodesSessionDataAsDjangoDoes(t *testing.T) {
	data := map[string]json.RawMessage{"a": json.RawMessage(`1`)}
	got := NewSigner(SaltStore, djangoVectorSecret).Sign(encodeData(data), djangoVectorTime)
	if want := "eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"; got != want {
		t.Errorf("Sign(encodeData({a: 1})) = %q, want Django's %q", got, want)
	}
}

func TestUnsignReadsDjangoCompressedVector(t *testing.T) {
	const signed = ".eJyrVkpUslKqoANQqgUAPCcw_A:1r31eq:4aC2gnsMbIuCqjnbrMXyDSt9jlRAGCOoC4j7z60oJEc"
	payload, at, err := NewSigner(SaltStore, djangoVectorSecret).Unsign(signed)
	if err != nil {
		t.Fatalf("Unsign(Django's compressed vector): %v", err)
	}
	if want := `{"a":"` + strings.Repeat("x", 100) + `"}`; string(payload) != want {
		t.Errorf("payload = %s, want %s", payload, want)
	}
	if !at.Equal(djangoVectorTime) {
		t.Errorf("signed at %v, want %v", at, djangoVectorTime)
	}
}

func TestSignerKeyIsSHA256OfSaltSignerSecret(t *testing.T) {
	const want = "d5c909543b9ec10d86d965c7c75ea6f7687e8dbbf57f83d152976af759199f75"
	s := NewSigner(SaltStore, djangoVectorSecret)
	if got := hex.EncodeToString(s.keys[0]); got != want {
		t.Errorf("HMAC key = %s, want Django's %s", got, want)
	}
}

func TestSignCompressesOnlyWhenZlibSavesMoreThanOneByte(t *testing.T) {
	s := NewSigner(SaltStore, djangoVectorSecret)
	sawBoth := map[bool]bool{}
	// Runs of one byte compress to a nearly constant size, so around that
	// size the rule's boundary (zlib output < len-1) is crossed.
	for n := 0; n <= 40; n++ {
		payload := bytes.Repeat([]byte("x"), n)
		wantCompressed := len(zlibReference(t, payload)) < n-1
		sawBoth[wantCompressed] = true

		signed := s.Sign(payload, djangoVectorTime)
		if got := strings.HasPrefix(signed, "."); got != wantCompressed {
			t.Errorf("%d bytes: compressed = %v, want %v (zlib gives %d bytes)",
				n, got, wantCompressed, len(zlibReference(t, payload)))
		}
		got, _, err := s.Unsign(signed)
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("%d bytes: Unsign(Sign(p)) = %q, %v; want p back", n, got, err)
		}
	}
	if !sawBoth[true] || !sawBoth[false] {
		t.Fatalf("the cases never crossed the compression boundary; extend them")
	}
}

// zlibReference compresses b at zlib's default level, as Python's
// zlib.compress does.
func zlibReference(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestUnsignReturnsPayloadAndSigningTime(t *testing.T) {
	s := NewSigner(SaltStore, djangoVectorSecret)
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty", []byte{}},
		{"typical session", typicalSessionPayload()},
		{"large, compressed", largeSessionPayload()},
		{"binary, incompressible", incompressible(1000)},
	}
	at := time.Date(2031, 5, 6, 7, 8, 9, 987654321, time.FixedZone("CEST", 2*3600))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, signedAt, err := s.Unsign(s.Sign(tt.payload, at))
			if err != nil {
				t.Fatalf("Unsign(Sign(p)): %v", err)
			}
			if !bytes.Equal(payload, tt.payload) {
				t.Errorf("payload = %q, want %q", payload, tt.payload)
			}
			// Django's timestamps have whole seconds, and are read as UTC.
			if want := at.Truncate(time.Second).UTC(); signedAt != want {
				t.Errorf("signed at %v, want %v", signedAt, want)
			}
		})
	}
}

func TestUnsignAcceptsFallbackKeys(t *testing.T) {
	const oldSecret, newSecret = "old-secret-key", "new-secret-key"
	payload := []byte(`{"a":1}`)
	signedWithOld := NewSigner(SaltStore, oldSecret).Sign(payload, djangoVectorTime)
	signedWithNew := NewSigner(SaltStore, newSecret).Sign(payload, djangoVectorTime)

	tests := []struct {
		name   string
		signer *Signer
		signed string
		ok     bool
	}{
		{"new key with old as fallback reads the old", NewSigner(SaltStore, newSecret, oldSecret), signedWithOld, true},
		{"new key with old as fallback reads the new", NewSigner(SaltStore, newSecret, oldSecret), signedWithNew, true},
		{"any position among fallbacks works", NewSigner(SaltStore, newSecret, "x", "y", oldSecret), signedWithOld, true},
		{"new key alone rejects the old", NewSigner(SaltStore, newSecret), signedWithOld, false},
		{"old key alone rejects the new", NewSigner(SaltStore, oldSecret), signedWithNew, false},
		{"a fallback must also match the salt", NewSigner(SaltSignedCookies, newSecret, oldSecret), signedWithOld, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := tt.signer.Unsign(tt.signed)
			switch {
			case tt.ok && err != nil:
				t.Errorf("Unsign: %v, want the payload", err)
			case tt.ok && !bytes.Equal(got, payload):
				t.Errorf("Unsign = %s, want %s", got, payload)
			case !tt.ok && !errors.Is(err, ErrBadSignature):
				t.Errorf("Unsign = %q, %v; want ErrBadSignature", got, err)
			}
		})
	}
}

func TestSignUsesTheFirstKeyNotTheFallbacks(t *testing.T) {
	payload := []byte(`{"a":1}`)
	rotated := NewSigner(SaltStore, "new-secret-key", "old-secret-key").Sign(payload, djangoVectorTime)
	fresh := NewSigner(SaltStore, "new-secret-key").Sign(payload, djangoVectorTime)
	if rotated != fresh {
		t.Errorf("signer with fallbacks wrote %q, want %q (signed with the new key)", rotated, fresh)
	}
}

func TestUnsignRejectsAnythingButAValidSignature(t *testing.T) {
	s := NewSigner(SaltStore, djangoVectorSecret)
	const valid = "eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"
	// signed gives value a genuine signature, to reach the checks that
	// come after the HMAC: only a holder of the key can make these.
	signed := func(value string) string { return djangoSignValue(t, SaltStore, djangoVectorSecret, value) }

	tests := []struct {
		name   string
		signed string
	}{
		{"empty string", ""},
		{"no colon", "eyJhIjoxfQ"},
		{"only colons", "::"},
		{"signed with another key", NewSigner(SaltStore, "another-secret").Sign([]byte(`{"a":1}`), djangoVectorTime)},
		{"signed with another salt", NewSigner(SaltSignedCookies, djangoVectorSecret).Sign([]byte(`{"a":1}`), djangoVectorTime)},
		{"tampered payload", "eyJhIjoyfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"},
		{"payload marked compressed", ".eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"},
		{"tampered timestamp", "eyJhIjoxfQ:1r31er:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"},
		{"tampered signature", "eyJhIjoxfQ:1r31eq:c_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"},
		// The last of 43 base64 characters carries two padding bits: "d"
		// decodes to the same bytes as "c" but is not Django's signature.
		{"signature with non-zero padding bits", strings.TrimSuffix(valid, "c") + "d"},
		{"signature with a line break", strings.Replace(valid, "N3oc", "N3\noc", 1)},
		{"signature with base64 padding", valid + "="},
		{"signature in standard base64", "eyJhIjoxfQ:1r31eq:b/2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"},
		{"signature hex-encoded", "eyJhIjoxfQ:1r31eq:" + hex.EncodeToString(djangoMAC(SaltStore, djangoVectorSecret, "eyJhIjoxfQ:1r31eq"))},
		{"truncated signature", valid[:len(valid)-1]},
		{"empty signature", "eyJhIjoxfQ:1r31eq:"},
		{"signature only", ":b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"},
		{"timestamp missing", "eyJhIjoxfQ:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"},
		{"trailing data", valid + ":"},
		{"signed value without timestamp", signed("eyJhIjoxfQ")},
		{"signed value with empty timestamp", signed("eyJhIjoxfQ:")},
		{"signed value with bad base62", signed("eyJhIjoxfQ:1r31e!")},
		{"signed value with a bare minus as timestamp", signed("eyJhIjoxfQ:-")},
		{"signed value with an overlong timestamp", signed("eyJhIjoxfQ:zzzzzzzzzzz")},
		{"signed value with bad base64", signed("eyJhI*oxfQ:1r31eq")},
		{"signed value with impossible base64 length", signed("eyJhIjoxf:1r31eq")},
		{"signed value with corrupt zlib", signed(".eJyrVkpUslKqoANQqgUAPDcw_A:1r31eq")},
		{"signed value with truncated zlib", signed(".eJyrVkpUslKqoANQqgUAPCc:1r31eq")},
		{"signed value with non-zlib data marked compressed", signed(".eyJhIjoxfQ:1r31eq")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, at, err := s.Unsign(tt.signed)
			if !errors.Is(err, ErrBadSignature) {
				t.Errorf("Unsign(%q) = %q, %v, %v; want ErrBadSignature", tt.signed, payload, at, err)
			} else if payload != nil || !at.IsZero() {
				t.Errorf("Unsign(%q) returned data with its error: %q, %v", tt.signed, payload, at)
			}
		})
	}
}

func TestUnsignAcceptsValuesSignedWithDjangosScheme(t *testing.T) {
	// The same helper that forges the malformed values above must produce
	// valid ones, or those cases would prove nothing.
	got := djangoSignValue(t, SaltStore, djangoVectorSecret, "eyJhIjoxfQ:1r31eq")
	if want := "eyJhIjoxfQ:1r31eq:b_2eVBvHSTQrj8DBBfGLiqsHQahYuK7GuElPyQmN3oc"; got != want {
		t.Fatalf("djangoSignValue = %q, want %q", got, want)
	}
	if _, _, err := NewSigner(SaltStore, djangoVectorSecret).Unsign(got); err != nil {
		t.Errorf("Unsign: %v", err)
	}
}

func TestUnsignRefusesPayloadsInflatingBeyondTheLimit(t *testing.T) {
	s := NewSigner(SaltStore, djangoVectorSecret)
	tests := []struct {
		name string
		size int
		ok   bool
	}{
		{"exactly the limit", maxDecompressed, true},
		{"one byte over the limit", maxDecompressed + 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			signed := s.Sign(bytes.Repeat([]byte("0"), tt.size), djangoVectorTime)
			if !strings.HasPrefix(signed, ".") {
				t.Fatalf("test payload was not compressed")
			}
			if len(signed) > 64<<10 {
				t.Fatalf("signed value is %d bytes; the point is a small value that inflates", len(signed))
			}
			payload, _, err := s.Unsign(signed)
			switch {
			case tt.ok && (err != nil || len(payload) != tt.size):
				t.Errorf("Unsign = %d bytes, %v; want %d bytes", len(payload), err, tt.size)
			case !tt.ok && !errors.Is(err, ErrBadSignature):
				t.Errorf("Unsign = %d bytes, %v; want ErrBadSignature", len(payload), err)
			}
		})
	}
}

func TestBase62IsDjangos(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{9, "9"},
		{10, "A"},
		{35, "Z"},
		{36, "a"},
		{61, "z"},
		{62, "10"},
		{3843, "zz"},
		{3844, "100"},
		{-1, "-1"},
		{-62, "-10"},
		{djangoVectorUnix, djangoVectorBase62},
		{4102444800, "4TdRIW"}, // 2100-01-01
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := base62(tt.n); got != tt.want {
				t.Errorf("base62(%d) = %q, want %q", tt.n, got, tt.want)
			}
			got, err := unbase62(tt.want)
			if err != nil || got != tt.n {
				t.Errorf("unbase62(%q) = %d, %v; want %d", tt.want, got, err, tt.n)
			}
		})
	}
}

func TestUnbase62RejectsWhatDjangoNeverWrites(t *testing.T) {
	for _, s := range []string{"", "-", "+1", " 1", "1 ", "1r31e!", "1r3_eq", "1r3-eq", "é", "zzzzzzzzzzz", "-zzzzzzzzzzz"} {
		if n, err := unbase62(s); err == nil {
			t.Errorf("unbase62(%q) = %d, want an error", s, n)
		}
	}
}

// djangoSignValue is Django's Signer.sign, written out independently of the
// code under test: value ":" base64url(HMAC-SHA256(SHA-256(salt+"signer"+secret), value)).
func djangoSignValue(t *testing.T, salt, secret, value string) string {
	t.Helper()
	return value + ":" + base64.RawURLEncoding.EncodeToString(djangoMAC(salt, secret, value))
}

func djangoMAC(salt, secret, value string) []byte {
	key := sha256.Sum256([]byte(salt + "signer" + secret))
	h := hmac.New(sha256.New, key[:])
	h.Write([]byte(value))
	return h.Sum(nil)
}

// typicalSessionPayload is a logged-in user with a small cart: about 300
// bytes of JSON, which zlib shrinks by a quarter, so Sign compresses it.
func typicalSessionPayload() []byte {
	return encodeData(map[string]json.RawMessage{
		"_auth_user_id":      json.RawMessage(`"1"`),
		"_auth_user_backend": json.RawMessage(`"django.contrib.auth.backends.ModelBackend"`),
		"_auth_user_hash":    json.RawMessage(`"52dfe90cf24e174eecd8e8e1c2d140c43606e55c4452a9f1db6239ede0ee4883"`),
		"_session_expiry":    json.RawMessage(`1209600`),
		"cart":               json.RawMessage(`{"items":[{"sku":"A-17","qty":2},{"sku":"Z-9","qty":1}],"coupon":null}`),
		"wizard_step":        json.RawMessage(`3`),
		"theme":              json.RawMessage(`"dark"`),
	})
}

// largeSessionPayload is a session holding a long cart, about 40 KB of
// repetitive JSON that Sign compresses.
func largeSessionPayload() []byte {
	items := make([]string, 600)
	for i := range items {
		items[i] = fmt.Sprintf(`{"sku":"SKU-%05d","qty":%d,"note":"gift wrap, caf\u00e9 d\u00e9cor"}`, i, i%7+1)
	}
	data := map[string]json.RawMessage{}
	json.Unmarshal(typicalSessionPayload(), &data) // valid by construction
	data["cart"] = json.RawMessage(`{"items":[` + strings.Join(items, ",") + `],"coupon":"SPRING"}`)
	return encodeData(data)
}

// incompressible returns n bytes that zlib cannot shrink.
func incompressible(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func BenchmarkSign(b *testing.B) {
	s := NewSigner(SaltStore, djangoVectorSecret)
	for _, bm := range []struct {
		name    string
		payload []byte
	}{
		{"typical", typicalSessionPayload()},
		{"large-compressed", largeSessionPayload()},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.payload)))
			b.ReportAllocs()
			for b.Loop() {
				s.Sign(bm.payload, djangoVectorTime)
			}
		})
	}
}

func BenchmarkUnsign(b *testing.B) {
	s := NewSigner(SaltStore, djangoVectorSecret, "old-secret-key")
	for _, bm := range []struct {
		name    string
		payload []byte
	}{
		{"typical", typicalSessionPayload()},
		{"large-compressed", largeSessionPayload()},
	} {
		b.Run(bm.name, func(b *testing.B) {
			signed := s.Sign(bm.payload, djangoVectorTime)
			b.SetBytes(int64(len(bm.payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.Unsign(signed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
