package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// sealPrefix marks sealed data. Django's signed data never starts with it:
// its payload is URL-safe base64 of a JSON object ("ey…") or "." for zlib.
const sealPrefix = "gcm1:"

// ErrUnsealable is returned for sealed data that no key opens.
var ErrUnsealable = errors.New("session: sealed with a key this server does not have, or altered")

// Sealer encrypts session data at rest with AES-256-GCM, beyond what Django
// does (SESSION_ENCRYPTION_KEYS): a dump of the store then shows nothing of
// it. The first key seals; every key opens, so that keys can be rotated.
// Sealing comes after Django's signing, so that a store's data is opaque
// to a Django app sharing it: turn it on only when nothing else reads the
// sessions.
type Sealer struct {
	keys []sealKey
}

type sealKey struct {
	id   string // names the key in sealed data, so that opening tries one
	aead cipher.AEAD
}

// NewSealer returns a Sealer with keys, each 32 bytes, the first used to seal.
func NewSealer(keys ...[]byte) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("session: a Sealer needs at least one key")
	}
	s := &Sealer{}
	for i, k := range keys {
		if len(k) != 32 {
			return nil, fmt.Errorf("session: encryption key %d is %d bytes, want 32 (AES-256)", i+1, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(k)
		s.keys = append(s.keys, sealKey{id: hex.EncodeToString(sum[:4]), aead: aead})
	}
	return s, nil
}

// Seal encrypts data under the first key, with a fresh random nonce, in a
// form that fits a cookie: gcm1:<key id>:<base64url(nonce|ciphertext)>.
func (s *Sealer) Seal(data string) string {
	k := s.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce) // never fails (crypto/rand panics rather than return an error)
	sealed := k.aead.Seal(nonce, nonce, []byte(data), []byte(sealPrefix))
	return sealPrefix + k.id + ":" + base64.RawURLEncoding.EncodeToString(sealed)
}

// Open returns the data that Seal sealed. Data that is not sealed is
// returned as it is: sessions saved before encryption was turned on still
// load (they are signed, as every session is).
func (s *Sealer) Open(stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, sealPrefix)
	if !ok {
		return stored, nil
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return "", ErrUnsealable
	}
	sealed, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return "", ErrUnsealable
	}
	for _, k := range s.keys {
		if k.id != id || len(sealed) < k.aead.NonceSize() {
			continue
		}
		n := k.aead.NonceSize()
		plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(sealPrefix))
		if err == nil {
			return string(plain), nil
		}
	}
	return "", ErrUnsealable
}
