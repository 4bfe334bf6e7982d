package password

import (
	"testing"

	"github.com/djsessions/api/internal/timingtest"
)

// A password hash is compared with subtle.ConstantTimeCompare, and with
// nothing else (checked on the type-checked source of Hasher.check), as
// Django's constant_time_compare does.
func TestPasswordHashesAreComparedInConstantTime(t *testing.T) {
	timingtest.ConstantTime(t, "Hasher.check")
}
