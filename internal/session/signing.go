package session

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Salts Django uses when it signs session data. A Django project with the
// same SECRET_KEY reads what a Signer with the matching salt writes.
const (
	SaltStore         = "django.contrib.sessions.SessionStore"
	SaltSignedCookies = "django.contrib.sessions.backends.signed_cookies"
)

// ErrBadSignature reports data whose signature does not verify with any key,
// or that is not in Django's signed format at all.
var ErrBadSignature = errors.New("session: bad signature")

// maxDecompressed bounds what a compressed payload may inflate to, so that a
// small forged value cannot make the process allocate without limit. Only a
// payload with a valid signature is ever inflated; this guards against our
// own keys having leaked, not against every client.
const maxDecompressed = 4 << 20

// Signer produces and verifies Django's signing.dumps/loads format for one
// salt: base64(payload) ":" base62(unix time) ":" base64(HMAC-SHA256), where
// a leading "." marks a zlib-compressed payload.
type Signer struct {
	salt string
	keys [][]byte // HMAC keys; the first signs, all verify (SECRET_KEY_FALLBACKS)
}

// NewSigner returns a Signer for salt that signs with secret and also accepts
// signatures made with any of fallbacks, as Django does during key rotation.
func NewSigner(salt, secret string, fallbacks ...string) *Signer {
	s := &Signer{salt: salt}
	for _, k := range append([]string{secret}, fallbacks...) {
		// Django's salted_hmac: the HMAC key is SHA-256(salt + "signer" + secret).
		sum := sha256.Sum256([]byte(salt + "signer" + k))
		s.keys = append(s.keys, sum[:])
	}
	return s
}

// Sign returns payload signed at time at, compressed with zlib when that
// makes it more than one byte shorter (Django's rule in sign_object).
func (s *Signer) Sign(payload []byte, at time.Time) string {
	encoded := b64(payload)
	if z := deflate(payload); len(z) < len(payload)-1 {
		encoded = "." + b64(z)
	}
	value := encoded + ":" + base62(at.Unix())
	return value + ":" + b64(s.mac(s.keys[0], value))
}

// Unsign verifies signed in constant time against every key and returns the
// payload and the time it was signed.
func (s *Signer) Unsign(signed string) (payload []byte, signedAt time.Time, err error) {
	i := strings.LastIndexByte(signed, ':')
	if i < 0 {
		return nil, time.Time{}, ErrBadSignature
	}
	value, sig := signed[:i], signed[i+1:]
	if !s.verify(value, sig) {
		return nil, time.Time{}, ErrBadSignature
	}
	j := strings.LastIndexByte(value, ':')
	if j < 0 {
		return nil, time.Time{}, ErrBadSignature
	}
	encoded, ts := value[:j], value[j+1:]
	unix, err := unbase62(ts)
	if err != nil {
		return nil, time.Time{}, ErrBadSignature
	}
	compressed := strings.HasPrefix(encoded, ".")
	payload, err = base64.RawURLEncoding.DecodeString(strings.TrimPrefix(encoded, "."))
	if err != nil {
		return nil, time.Time{}, ErrBadSignature
	}
	if compressed {
		if payload, err = inflate(payload); err != nil {
			return nil, time.Time{}, ErrBadSignature
		}
	}
	return payload, time.Unix(unix, 0).UTC(), nil
}

func (s *Signer) mac(key []byte, value string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(value))
	return h.Sum(nil)
}

// verify compares encoded signatures, as Django does: decoding sig first
// would also accept variants of it (non-zero padding bits, line breaks) that
// Django rejects.
func (s *Signer) verify(value, sig string) bool {
	ok := false
	for _, k := range s.keys {
		// Every key is tried, so timing does not tell which one matched.
		if hmac.Equal([]byte(b64(s.mac(k, value))), []byte(sig)) {
			ok = true
		}
	}
	return ok
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Compressors are pooled: a zlib writer allocates most of a megabyte of
// tables, which would otherwise be paid on every session save.
var (
	writers = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}
	readers sync.Pool // of io.ReadCloser that are also zlib.Resetter
)

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w := writers.Get().(*zlib.Writer)
	defer writers.Put(w)
	w.Reset(&buf)
	w.Write(b) // writes to a bytes.Buffer cannot fail
	w.Close()
	return buf.Bytes()
}

func inflate(b []byte) ([]byte, error) {
	var r io.ReadCloser
	var err error
	if pooled, ok := readers.Get().(io.ReadCloser); ok {
		r, err = pooled, pooled.(zlib.Resetter).Reset(bytes.NewReader(b), nil)
	} else {
		r, err = zlib.NewReader(bytes.NewReader(b))
	}
	if err != nil {
		return nil, err
	}
	defer func() { r.Close(); readers.Put(r) }()
	out, err := io.ReadAll(io.LimitReader(r, maxDecompressed+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxDecompressed {
		return nil, errors.New("session: payload too large")
	}
	return out, nil
}

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62 is Django's signing.b62_encode.
func base62(n int64) string {
	if n == 0 {
		return "0"
	}
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	var out []byte
	for n > 0 {
		out = append(out, base62Alphabet[n%62])
		n /= 62
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return sign + string(out)
}

func unbase62(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 10 {
		return 0, strconv.ErrSyntax
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base62Alphabet, s[i])
		if d < 0 {
			return 0, strconv.ErrSyntax
		}
		n = n*62 + int64(d)
	}
	if neg {
		n = -n
	}
	return n, nil
}
