package wizard

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The longest values a step accepts, in characters; the profiles table has
// the same limits.
const (
	maxName       = 100
	maxEmail      = 254 // as Django's EmailField
	maxPhone      = 32
	maxStreet     = 200
	maxCity       = 100
	maxPostalCode = 10
)

// A phone number holds 7 to 15 digits (E.164's most), however spaced.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
)

const msgRequired = "This field is required."

// fieldErrors collects a message per offending request field.
type fieldErrors map[string]string

// text trims *v in place and checks it as a required, single-line value of
// at most max characters, recording what is wrong under field. It reports
// whether *v passed, for the checks of shape that follow.
func (fe fieldErrors) text(field string, v *string, max int) bool {
	*v = strings.TrimSpace(*v)
	n := utf8.RuneCountInString(*v)
	switch {
	case n == 0:
		fe[field] = msgRequired
	case n > max:
		fe[field] = fmt.Sprintf("Ensure this value has at most %d characters (it has %d).", max, n)
	case strings.ContainsFunc(*v, unicode.IsControl):
		// NUL in particular, which PostgreSQL refuses in text: the insert
		// at submit would fail long after the step was accepted.
		fe[field] = "Must be a single line without control characters."
	default:
		return true
	}
	return false
}

// email checks the shape of an address already through text: one mailbox,
// without a display name, with a dot in its domain, as auth's check.
func (fe fieldErrors) email(field, v string) {
	addr, err := mail.ParseAddress(v)
	if err != nil || addr.Address != v || !strings.Contains(v[strings.LastIndexByte(v, '@'):], ".") {
		fe[field] = "Enter a valid email address."
	}
}

// phone checks a number already through text: digits and spaces, with an
// optional leading +, and a plausible count of digits.
func (fe fieldErrors) phone(field, v string) {
	digits := 0
	for i, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ', r == '+' && i == 0:
		default:
			fe[field] = "Enter a valid phone number: digits and spaces, optionally starting with +."
			return
		}
	}
	if digits < minPhoneDigits || digits > maxPhoneDigits {
		fe[field] = fmt.Sprintf("Enter a valid phone number: it must have %d to %d digits.", minPhoneDigits, maxPhoneDigits)
	}
}

// postalCode checks a code already through text: ASCII letters and digits,
// in groups split by single spaces or hyphens (75001, SW1A 1AA, 1234 AB,
// 00-950), with at least one digit, as every national format has.
func (fe fieldErrors) postalCode(field, v string) {
	const msg = "Enter a valid postal code: letters and digits, possibly split by a space or a hyphen."
	hasDigit, prevSep := false, true // a separator may not lead
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			hasDigit, prevSep = true, false
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
			prevSep = false
		case (r == ' ' || r == '-') && !prevSep:
			prevSep = true
		default:
			fe[field] = msg
			return
		}
	}
	if prevSep || !hasDigit || len(v) < 2 {
		fe[field] = msg
	}
}

// err returns the collected messages as one validation error, or nil.
func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	return invalid(fe)
}
