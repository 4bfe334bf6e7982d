package session

import "crypto/rand"

// Keys are Django's: 32 characters of [a-z0-9], about 165 bits of entropy.
const (
	keyLength   = 32
	keyAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	minKeyLen   = 8  // Django's _validate_session_key
	maxKeyLen   = 40 // django_session.session_key is varchar(40)
)

// newKey returns a fresh random session key.
func newKey() string {
	out := make([]byte, 0, keyLength)
	var buf [64]byte
	for len(out) < keyLength {
		rand.Read(buf[:]) // crypto/rand.Read never fails
		for _, b := range buf {
			// 252 is the largest multiple of 36 below 256: rejecting the
			// rest keeps every character equally likely.
			if b < 252 && len(out) < keyLength {
				out = append(out, keyAlphabet[b%36])
			}
		}
	}
	return string(out)
}

// ValidKey reports whether key could have been issued by this package (or
// by Django), so that junk never reaches a store.
func ValidKey(key string) bool {
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
