package cart

import (
	"encoding/json"
	"testing"
)

func TestParseMoneyReadsDecimalsExactly(t *testing.T) {
	for in, want := range map[string]Money{
		"299.99":             29999,
		"0.10":               10, // 0.1 has no exact float; here it is ten cents
		"5.00":               500,
		"5":                  500,
		"5.5":                550,
		"0":                  0,
		"00042.07":           4207,
		"99999999.99":        9999999999,
		"999999999999999.99": 99999999999999999,
	} {
		got, err := ParseMoney(in)
		if err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestParseMoneyRefusesWhatIsNotADecimal(t *testing.T) {
	for _, in := range []string{"", ".", ".5", "5.", "5.001", "-1.00", "+1.00", "1e3", "1,00", " 1.00", "1.00 ",
		"1.2.3", "0x10", "NaN", "Inf", "1000000000000000.00"} {
		if got, err := ParseMoney(in); err == nil {
			t.Errorf("ParseMoney(%q) = %d, want an error", in, got)
		}
	}
}

func TestMoneyIsADecimalStringInJSON(t *testing.T) {
	for m, want := range map[Money]string{0: `"0.00"`, 5: `"0.05"`, 10: `"0.10"`, 29999: `"299.99"`, 299990001: `"2999900.01"`} {
		got, err := json.Marshal(m)
		if err != nil || string(got) != want {
			t.Errorf("json.Marshal(Money(%d)) = %s, %v; want %s", int64(m), got, err, want)
		}
	}
}

func TestMoneyScansTheTextOfEachDriverAndRefusesFloats(t *testing.T) {
	for _, src := range []any{[]byte("299.99"), "299.99"} {
		var m Money
		if err := m.Scan(src); err != nil || m != 29999 {
			t.Errorf("Scan(%#v) = %d, %v; want 29999", src, m, err)
		}
	}
	for _, src := range []any{299.99, int64(299), nil, "abc"} {
		var m Money
		if err := m.Scan(src); err == nil {
			t.Errorf("Scan(%#v) = %d, want an error", src, m)
		}
	}
}

func TestMoneyTimes(t *testing.T) {
	if got := Money(29999).Times(999); got.String() != "299690.01" {
		t.Fatalf("299.99 × 999 = %s, want 299690.01", got)
	}
}
