package cart

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Money is a non-negative amount in cents. It never passes through a float:
// it is read from the decimal text the database sends and written to JSON
// as a decimal string, "299.99", which a client cannot take for a float.
//
// int64 cents hold any numeric(10,2) price times the largest quantity times
// the most lines of a cart with room to spare (about 10^15 of 9.2×10^18).
type Money int64

var _ sql.Scanner = (*Money)(nil)

// maxMoneyDigits bounds the whole part ParseMoney accepts, well inside int64.
const maxMoneyDigits = 15

var errMoney = errors.New("cart: not a decimal amount of money")

// ParseMoney reads a non-negative decimal with at most two fraction digits,
// as numeric(10,2) prints it ("299.99", "5.00") or as it may be written by
// hand ("5", "5.5").
func ParseMoney(s string) (Money, error) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxMoneyDigits || !digits(whole) ||
		(hasPoint && (frac == "" || len(frac) > 2 || !digits(frac))) {
		return 0, fmt.Errorf("%w: %q", errMoney, s)
	}
	units, _ := strconv.ParseInt(whole, 10, 64) // digits only, and few enough
	cents := int64(0)
	if frac != "" {
		cents, _ = strconv.ParseInt((frac + "0")[:2], 10, 64)
	}
	return Money(units*100 + cents), nil
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// String returns m with exactly two fraction digits, "299.99".
func (m Money) String() string {
	return fmt.Sprintf("%d.%02d", int64(m)/100, int64(m)%100)
}

// Times returns m multiplied by n.
func (m Money) Times(n int) Money { return m * Money(n) }

// MarshalJSON writes m as a JSON string, "299.99".
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(`"` + m.String() + `"`), nil
}

// Scan implements sql.Scanner for the text the drivers return for a price:
// []byte from PostgreSQL's numeric, string from SQLite's TEXT column. A
// float is refused rather than rounded: it would mean the column lost the
// exact value already.
func (m *Money) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case []byte:
		s = string(v)
	case string:
		s = v
	default:
		return fmt.Errorf("%w: a %T, want decimal text", errMoney, src)
	}
	parsed, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}
