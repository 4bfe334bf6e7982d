package password

import (
	"slices"
	"testing"
)

const (
	tooShort  = "This password is too short. It must contain at least 8 characters."
	tooCommon = "This password is too common."
	allDigits = "This password is entirely numeric."
	likeUser  = "The password is too similar to the username."
	likeFirst = "The password is too similar to the first name."
	likeLast  = "The password is too similar to the last name."
	likeEmail = "The password is too similar to the email address."
)

var alice = Attributes{Username: "alice", FirstName: "Alice", LastName: "Liddell", Email: "alice@example.com"}

func TestValidateGivesOneMessagePerBrokenRuleInDjangosOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		user     Attributes
		want     []string
	}{
		{"a long unrelated passphrase", "correct horse battery staple", alice, nil},
		{"eight characters are enough", "x7#kQ!p2", alice, nil},
		{"seven are not", "x7#kQ!p", alice, []string{tooShort}},
		{"length counts characters, not bytes", "ñandú🦤é", Attributes{}, []string{tooShort}},
		{"the username with a year", "alice2024", alice, []string{likeUser}},
		{"the username shuffled: similarity ignores order", "ecila2024", alice, []string{likeUser}},
		{"the username, upper case", "ALICE2024", alice, []string{likeUser}},
		{"the username diluted enough", "alice2024x", alice, nil},
		{"the last name", "liddell99", alice, []string{likeLast}},
		{"the first name alone is also the username", "Alice!!!", Attributes{FirstName: "Alice"}, []string{likeFirst}},
		{"a part of the email address", "example.com", alice, []string{likeEmail}},
		{"similar to no one when there is no one", "alice2024", Attributes{}, nil},
		{"a common password", "password1", alice, []string{tooCommon}},
		{"a common password in capitals, spaced", "  PASSWORD1\t", alice, []string{tooCommon}},
		{"Python's white space includes U+001C..U+001F", "\x1cpassword1\x1f", alice, []string{tooCommon}},
		{"digits only, and common", "12345678", alice, []string{tooCommon, allDigits}},
		{"digits only", "73914682051", alice, []string{allDigits}},
		{"Arabic-Indic digits are digits", "٧٣٩١٤٦٨٢٠٥", alice, []string{allDigits}},
		{"superscripts are digits to Python", "²³¹²³¹²³¹", alice, []string{allDigits}},
		{"fractions are not", "½½½½½½½½", alice, nil},
		{"short, common and numeric", "1234", alice, []string{tooShort, tooCommon, allDigits}},
		{"empty", "", alice, []string{tooShort}},
		{"empty against an email ending in a separator: Django's quirk", "", Attributes{Email: "carol@"}, []string{likeEmail, tooShort}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Validate(tt.password, tt.user); !slices.Equal(got, tt.want) {
				t.Errorf("Validate(%q, %+v) = %q, want %q", tt.password, tt.user, got, tt.want)
			}
		})
	}
}

func TestQuickRatioIsDifflibs(t *testing.T) {
	t.Parallel()
	// Values from Python: SequenceMatcher(a=a, b=b).quick_ratio().
	tests := []struct {
		a, b string
		want float64
	}{
		{"", "", 1},
		{"", "alice", 0},
		{"alice", "alice", 1},
		{"alice2024", "alice", 10.0 / 14},
		{"alice2024x", "alice", 10.0 / 15},
		{"aaab", "ab", 4.0 / 6},
		{"ab", "aaab", 4.0 / 6},
		{"a", "aaaaaaaaaa", 2.0 / 11},
	}
	for _, tt := range tests {
		if got := quickRatio([]rune(tt.a), []rune(tt.b)); got != tt.want {
			t.Errorf("quickRatio(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestExceedsMaximumLengthRatioSkipsOnlyValuesFarShorter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		passwordLen, valueLen int
		skip                  bool
	}{
		{10, 1, true},
		{9, 1, false}, // not ten times longer
		{100, 10, true},
		{20, 2, true},
		{0, 0, false}, // 0 < 0.35*0 is false: Django compares, and "" is 1.0 like ""
		{5, 0, true},
	}
	for _, tt := range tests {
		if got := exceedsMaximumLengthRatio(tt.passwordLen, tt.valueLen); got != tt.skip {
			t.Errorf("exceedsMaximumLengthRatio(%d, %d) = %v, want %v", tt.passwordLen, tt.valueLen, got, tt.skip)
		}
	}
}

func TestCommonPasswordListIsDjangos(t *testing.T) {
	t.Parallel()
	list := commonPasswords()
	if len(list) < 19_000 || len(list) > 20_000 {
		t.Errorf("the common password list has %d entries, want Django's 20,000 less duplicates", len(list))
	}
	for _, p := range []string{"password", "123456", "qwerty", "bigpimpin1", "welcome"} {
		if _, ok := list[p]; !ok {
			t.Errorf("%q is missing from the common password list", p)
		}
	}
	if _, ok := list[""]; ok {
		t.Error("the common password list holds the empty string")
	}
}
