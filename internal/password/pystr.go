package password

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Django's validators are written against Python's str methods, whose
// Unicode rules differ from Go's in a few places. These helpers reproduce
// the ones the validators use; django_test.go compares them with Python
// over every assigned code point.

// pyLower is Python's str.lower(): full case mapping, so "İ" becomes "i̇"
// (two code points) and a word-final "Σ" becomes "ς", which
// strings.ToLower does not do.
func pyLower(s string) string {
	return cases.Lower(language.Und).String(s)
}

// pyIsSpace is Python's str.isspace() for one character: Go's white space
// plus the four ASCII information separators U+001C..U+001F.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// pyStrip is Python's str.strip() with no argument.
func pyStrip(s string) string {
	return strings.TrimFunc(s, pyIsSpace)
}

// pyIsDigits is Python's str.isdigit(): s is not empty and every character
// has Numeric_Type Decimal (category Nd, unicode.IsDigit) or Digit, such
// as superscripts and circled digits, which Go's tables do not single out.
func pyIsDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsDigit(r) && !unicode.Is(digitNotDecimal, r) {
			return false
		}
	}
	return true
}

// digitNotDecimal lists the characters of Numeric_Type Digit, taken from
// Python 3.11 (Unicode 14): [c for c in all chars if c.isdigit() and not
// c.isdecimal()].
var digitNotDecimal = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x00b2, 0x00b3, 1}, {0x00b9, 0x00b9, 1}, {0x1369, 0x1371, 1},
		{0x19da, 0x19da, 1}, {0x2070, 0x2070, 1}, {0x2074, 0x2079, 1},
		{0x2080, 0x2089, 1}, {0x2460, 0x2468, 1}, {0x2474, 0x247c, 1},
		{0x2488, 0x2490, 1}, {0x24ea, 0x24ea, 1}, {0x24f5, 0x24fd, 1},
		{0x24ff, 0x24ff, 1}, {0x2776, 0x277e, 1}, {0x2780, 0x2788, 1},
		{0x278a, 0x2792, 1},
	},
	R32: []unicode.Range32{
		{0x10a40, 0x10a43, 1}, {0x10e60, 0x10e68, 1}, {0x11052, 0x1105a, 1},
		{0x1f100, 0x1f10a, 1},
	},
	LatinOffset: 3,
}

// pyIsWord is a character that Python's re matches with \w in a str
// pattern: a letter, a number (str.isalnum) or the underscore. Go's
// regexp \w is ASCII only.
func pyIsWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// pySplitNonWord is Python's re.split(r"\W+", s): the runs of word
// characters, with an empty string first or last when s starts or ends
// with a separator.
func pySplitNonWord(s string) []string {
	var parts []string
	start, inSeparator := 0, false
	for i, r := range s {
		switch word := pyIsWord(r); {
		case !word && !inSeparator:
			parts = append(parts, s[start:i])
			inSeparator = true
		case word && inSeparator:
			start, inSeparator = i, false
		}
	}
	if inSeparator {
		return append(parts, "")
	}
	return append(parts, s[start:])
}
