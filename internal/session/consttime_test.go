package session_test

import (
	"testing"

	"github.com/djsessions/api/internal/timingtest"
)

// A forged signature must not learn, from how long its refusal takes, how
// many of its first bytes were right: Signer.verify compares with
// hmac.Equal, and with nothing else (checked on its type-checked source).
func TestSignaturesAreComparedInConstantTime(t *testing.T) {
	timingtest.ConstantTime(t, "Signer.verify")
}
