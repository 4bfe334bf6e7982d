package timingtest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/djsessions/api/internal/timingtest"
)

// recorder keeps the errors a check reports instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestConstantTimeAcceptsConstantTimeComparisons(t *testing.T) {
	t.Chdir("testdata/compare")
	r := &recorder{TB: t}
	timingtest.ConstantTime(r, "Good", "Checker.Check")
	if len(r.errs) != 0 {
		t.Fatalf("errors %q, want none", r.errs)
	}
}

func TestConstantTimeFindsEveryVariableTimeComparison(t *testing.T) {
	t.Chdir("testdata/compare")
	for fn, want := range map[string]string{
		"Equals":     "== a == b",
		"NamedType":  "!= a != b",
		"BytesEqual": "bytes.Equal",
		"Switch":     "switch on a",
		"InALiteral": "== a == b",
		"Nothing":    "calls neither",
		"Missing":    "no function Missing",
	} {
		t.Run(fn, func(t *testing.T) {
			r := &recorder{TB: t}
			timingtest.ConstantTime(r, fn)
			if len(r.errs) != 1 || !strings.Contains(r.errs[0], want) {
				t.Fatalf("errors %q, want one saying %q", r.errs, want)
			}
		})
	}
}
