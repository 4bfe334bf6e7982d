// Package compare holds comparisons of secrets, good and bad, for the
// tests of timingtest.ConstantTime.
package compare

import (
	"bytes"
	"crypto/hmac"
	"crypto/subtle"
)

// Token is a secret of a named string type.
type Token string

// Good compares in constant time, and compares lengths and counts freely.
func Good(a, b []byte, n int) bool {
	return len(a) == len(b) && n != 0 && hmac.Equal(a, b)
}

// Checker has a method that compares in constant time.
type Checker struct{}

// Check compares in constant time.
func (*Checker) Check(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Equals compares strings with ==.
func Equals(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) && a == b }

// NamedType compares a named string type with !=.
func NamedType(a, b Token) bool { return hmac.Equal([]byte(a), []byte(b)) && a != b }

// BytesEqual calls bytes.Equal.
func BytesEqual(a, b []byte) bool { return hmac.Equal(a, b) || bytes.Equal(a, b) }

// Switch switches on a string.
func Switch(a string) bool {
	switch a {
	case "secret":
		return true
	}
	return hmac.Equal([]byte(a), nil)
}

// InALiteral compares in a function literal.
func InALiteral(a, b [32]byte) bool {
	f := func() bool { return a == b }
	return hmac.Equal(a[:], b[:]) && f()
}

// Nothing does not compare in constant time at all.
func Nothing(a, b []byte) bool { return len(a) == len(b) }
