package password

// These tests cross-check the package with real Django, through
// testdata/django_passwords.py run by Debian's python3-django. Each test
// starts one Python process for a whole batch of cases, one JSON line per
// case.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/djsessions/api/internal/djangotest"
)

// hashPasswords are passwords both sides must hash alike: UTF-8 of every
// width, white space that must not be trimmed, the format's "$" separator,
// and one longer than SHA-256's block, which HMAC hashes into its key.
var hashPasswords = []string{
	"s3cret",
	"",
	" ",
	"  leading and trailing spaces  ",
	"correct horse battery staple",
	"pässwörd",
	"Grüße aus Köln",
	"日本語のパスワード",
	"🔐🗝️👨‍👩‍👧",
	"e\u0301 is not \u00e9",
	"tab\tnew\nline\r",
	`quote" backslash\ `,
	"$dollar$signs$",
	"nul\x00inside",
	strings.Repeat("long password ", 50),
}

func TestDjangoChecksHashesMadeHere(t *testing.T) {
	t.Parallel()
	type request struct {
		Password string `json:"password"`
		Encoded  string `json:"encoded"`
	}
	type want struct {
		name           string
		ok, mustUpdate bool
	}
	fast := NewHasher(fastIterations)
	var requests []request
	var wants []want
	for _, p := range hashPasswords {
		encoded := fast.Make(p)
		requests = append(requests, request{p, encoded}, request{p + "!", encoded})
		wants = append(wants, want{fmt.Sprintf("%.30q", p), true, false}, want{fmt.Sprintf("%.30q, wrong password", p), false, false})
	}
	// One at the real count, which Django (set to 1,000) verifies and wants
	// to bring down to its own.
	requests = append(requests, request{vectorPassword, NewHasher(0).Make(vectorPassword)})
	wants = append(wants, want{"made at DefaultIterations", true, true})

	replies := runDjango[checkReply](t, []string{"check", "--iterations", strconv.Itoa(fastIterations)}, requests)
	for i, r := range replies {
		w := wants[i]
		if r.Error != "" || r.OK != w.ok || r.MustUpdate != w.mustUpdate {
			t.Errorf("%s: Django's check_password(%.30q, %q) = %v, must_update %v, error %q; want %v, %v",
				w.name, requests[i].Password, requests[i].Encoded, r.OK, r.MustUpdate, r.Error, w.ok, w.mustUpdate)
		}
	}
}

func TestHashesMadeByDjangoVerifyHere(t *testing.T) {
	t.Parallel()
	type request struct {
		Password string `json:"password"`
	}
	requests := make([]request, len(hashPasswords))
	for i, p := range hashPasswords {
		requests[i] = request{p}
	}
	replies := runDjango[struct {
		Encoded string `json:"encoded"`
	}](t, []string{"make", "--iterations", strconv.Itoa(fastIterations)}, requests)

	h := NewHasher(fastIterations)
	for i, r := range replies {
		p := hashPasswords[i]
		if ok, mustUpdate := h.Check(p, r.Encoded); !ok || mustUpdate {
			t.Errorf("Check(%.30q, Django's %q) = %v, %v; want true, false", p, r.Encoded, ok, mustUpdate)
		}
		if ok, _ := h.Check(p+"!", r.Encoded); ok {
			t.Errorf("Check(%.30q, Django's hash of %.30q) = true", p+"!", p)
		}
		if salt := strings.Split(r.Encoded, "$")[2]; len(salt) != saltLength {
			t.Errorf("Django's salt %q has %d characters; Make draws %d", salt, len(salt), saltLength)
		}
	}
}

func TestDjangoAndGoAgreeOnWhichStoredHashesVerify(t *testing.T) {
	t.Parallel()
	type request struct {
		Password string `json:"password"`
		Encoded  string `json:"encoded"`
	}
	var cases []storedHashCase
	var requests []request
	for _, c := range storedHashCases() {
		if !c.slowInDjango {
			cases = append(cases, c)
			requests = append(requests, request{c.password, c.encoded})
		}
	}
	replies := runDjango[checkReply](t, []string{"check", "--iterations", strconv.Itoa(fastIterations)}, requests)

	h := NewHasher(fastIterations)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := replies[i]
			if r.OK != c.ok {
				t.Errorf("Django: check_password(%q, %q) = %v (%s), want %v", c.password, c.encoded, r.OK, r.Error, c.ok)
			}
			ok, mustUpdate := h.Check(c.password, c.encoded)
			if ok != r.OK || mustUpdate != r.MustUpdate {
				t.Errorf("Go: Check(%q, %q) = %v, %v; Django: %v, must_update %v", c.password, c.encoded, ok, mustUpdate, r.OK, r.MustUpdate)
			}
		})
	}
}

func TestSessionAuthHashAgreesWithDjango(t *testing.T) {
	t.Parallel()
	const secret = "clé secrète ✓ django-insecure-#%$"
	type request struct {
		Encoded string `json:"encoded"`
	}
	encodings := []string{vectorDjango52, vectorDjango32, vectorFast, NewHasher(fastIterations).Make("pässwörd"), "!unusable", ""}
	requests := make([]request, len(encodings))
	for i, e := range encodings {
		requests[i] = request{e}
	}
	replies := runDjango[struct {
		Hash string `json:"hash"`
	}](t, []string{"authhash", "--secret", secret}, requests)
	for i, r := range replies {
		if got := SessionAuthHash(encodings[i], secret); got != r.Hash {
			t.Errorf("SessionAuthHash(%q) = %s, Django's get_session_auth_hash is %s", encodings[i], got, r.Hash)
		}
	}
}

func TestValidateAgreesWithDjango(t *testing.T) {
	t.Parallel()
	type user struct {
		Username  string `json:"username"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Email     string `json:"email"`
	}
	bob := Attributes{Username: "bob_smith", FirstName: "Bob", LastName: "Smith", Email: "bob.smith@mail.example.org"}
	greek := Attributes{Username: "ΟΔΥΣΣΕΑΣ", Email: "odysseas@ithaca.gr"}
	turkish := Attributes{Username: "İlker", LastName: "Çelik"}
	hyphen := Attributes{Username: "mj", FirstName: "Mary-Jane", LastName: "O'Neil"}
	tests := []struct {
		password string
		user     Attributes
	}{
		{"alice2024x", alice},
		{"alice2024", alice},
		{"Alice1234", alice},
		{"ecila!!!!", alice},
		{"alice", alice},
		{"liddell99", alice},
		{"example.com", alice},
		{"alice@example.com", alice},
		{"alice@example.co", alice},
		{"password1", alice},
		{"PassWord1", alice},
		{" password ", alice},
		{"\x1cpassword\x1f", alice},
		{"\u3000password\u3000", alice},
		{"qwertyuiop", alice},
		{"12345678901", alice},
		{"73914682051", alice},
		{"00000000", alice},
		{"1234", alice},
		{"", alice},
		{"", Attributes{Email: "carol@"}},
		{"        ", alice},
		{"٧٣٩١٤٦٨٢٠٥", alice},
		{"²³¹²³¹²³¹", alice},
		{"½½½½½½½½", alice},
		{"correct horse battery staple", alice},
		{"aliceinwonderlandandthroughthelookingglass", alice},
		{"smithbob1", bob},
		{"bobsmith!", bob},
		{"mail.example", bob},
		{"b", bob},
		{"bbbbbbbbbb", Attributes{Username: "b"}},
		{"bbbbbbbbb", Attributes{Username: "b"}},
		{"οδυσσεας1", greek},
		{"οδυσσεασ12", greek},
		{"ithaca2000", greek},
		{"i̇lker123", turkish},
		{"ilker1234", turkish},
		{"çelik!!!", turkish},
		{"maryjane12", hyphen},
		{"mary-jane", hyphen},
		{"oneil2000", hyphen},
		{"ñandú🦤é", Attributes{}},
		{"alice2024", Attributes{}},
	}
	type request struct {
		Password string `json:"password"`
		User     user   `json:"user"`
	}
	requests := make([]request, len(tests))
	for i, tt := range tests {
		u := tt.user
		requests[i] = request{tt.password, user{u.Username, u.FirstName, u.LastName, u.Email}}
	}
	replies := runDjango[struct {
		Errors []string `json:"errors"`
	}](t, []string{"validate"}, requests)

	failing := 0
	for i, tt := range tests {
		want := replies[i].Errors
		if len(want) > 0 {
			failing++
		}
		if got := Validate(tt.password, tt.user); !slices.Equal(got, want) {
			t.Errorf("Validate(%q, %+v) = %q, Django's validate_password: %q", tt.password, tt.user, got, want)
		}
	}
	if failing < len(tests)/2 || failing == len(tests) {
		t.Errorf("Django refused %d passwords of %d; the table should exercise both outcomes", failing, len(tests))
	}
}

// TestPythonStringMethodsMatchPython compares the helpers that stand for
// str.lower, str.strip, str.isdigit and re.split(r"\W+") on strings where
// context matters (the final sigma) or Go's own functions differ.
func TestPythonStringMethodsMatchPython(t *testing.T) {
	t.Parallel()
	inputs := []string{
		"", "abc", "ABC", "ΟΔΥΣΣΕΑΣ", "ΣΑΣ ΣΑΣ.", "Σ", "ΑΣ1", "ΑΣ.Β", "İstanbul", "ǅungla", "ẞtraße",
		"  x  ", "\x1cx\x1f", "\u3000x\u00a0", "\u200bx\u200b", "\u0085x\u2028", "12", "²³", "½", "١٢٣", "",
		"alice@example.com", "@alice@", "bob_smith", "Mary-Jane O'Neil", "a--b  c", "e\u0301clair", "日本語 テスト", "x٣y",
	}
	type request struct {
		S string `json:"s"`
	}
	requests := make([]request, len(inputs))
	for i, s := range inputs {
		requests[i] = request{s}
	}
	replies := runDjango[struct {
		Lower   string   `json:"lower"`
		Strip   string   `json:"strip"`
		IsDigit bool     `json:"isdigit"`
		Split   []string `json:"split"`
	}](t, []string{"lower"}, requests)
	for i, s := range inputs {
		r := replies[i]
		if got := pyLower(s); got != r.Lower {
			t.Errorf("pyLower(%q) = %q, Python: %q", s, got, r.Lower)
		}
		if got := pyStrip(s); got != r.Strip {
			t.Errorf("pyStrip(%q) = %q, Python: %q", s, got, r.Strip)
		}
		if got := pyIsDigits(s); got != r.IsDigit {
			t.Errorf("pyIsDigits(%q) = %v, Python: %v", s, got, r.IsDigit)
		}
		if got := pySplitNonWord(s); !slices.Equal(got, r.Split) {
			t.Errorf("pySplitNonWord(%q) = %q, Python: %q", s, got, r.Split)
		}
	}
}

// TestPythonCharacterClassesMatchPython compares, for every code point
// assigned in the Python's Unicode edition, isdigit, isspace, \w and lower
// with their Go stand-ins.
func TestPythonCharacterClassesMatchPython(t *testing.T) {
	t.Parallel()
	type ranges [][2]rune
	replies := runDjango[struct {
		UnicodeVersion string            `json:"unicode_version"`
		Unassigned     ranges            `json:"unassigned"`
		Digit          ranges            `json:"digit"`
		Space          ranges            `json:"space"`
		Word           ranges            `json:"word"`
		Lower          map[string]string `json:"lower"`
	}](t, []string{"classes"}, []struct{}{{}})
	py := replies[0]
	t.Logf("Python's Unicode edition: %s", py.UnicodeVersion)

	in := func(rs ranges) func(rune) bool {
		return func(r rune) bool {
			i, found := slices.BinarySearchFunc(rs, r, func(e [2]rune, r rune) int { return int(e[0] - r) })
			return found || i > 0 && rs[i-1][0] <= r && r <= rs[i-1][1]
		}
	}
	unassigned, digit, space, word := in(py.Unassigned), in(py.Digit), in(py.Space), in(py.Word)
	lower := make(map[rune]string, len(py.Lower))
	for k, v := range py.Lower {
		n, err := strconv.Atoi(k)
		if err != nil {
			t.Fatalf("lower key %q: %v", k, err)
		}
		lower[rune(n)] = v
	}

	mismatches := map[string][]string{}
	report := func(what string, r rune, got, want any) {
		if len(mismatches[what]) < 10 {
			mismatches[what] = append(mismatches[what], fmt.Sprintf("U+%04X: Go %#v, Python %#v", r, got, want))
		}
	}
	var assigned []rune
	for r := rune(1); r <= utf8.MaxRune; r++ {
		if utf8.ValidRune(r) && !unassigned(r) { // no surrogates, nothing Python does not know yet
			assigned = append(assigned, r)
		}
	}
	for _, r := range assigned {
		if got := pyIsDigits(string(r)); got != digit(r) {
			report("isdigit", r, got, digit(r))
		}
		if got := pyIsSpace(r); got != space(r) {
			report("isspace", r, got, space(r))
		}
		if got := pyIsWord(r); got != word(r) {
			report(`\w`, r, got, word(r))
		}
	}
	// Lowercased all at once, NUL-separated, which is quicker than one
	// call a character: NUL is caseless and no character lowers to one,
	// and after a NUL even "Σ" is not word-final.
	var all strings.Builder
	for _, r := range assigned {
		all.WriteRune(r)
		all.WriteByte(0)
	}
	lowered := strings.Split(pyLower(all.String()), "\x00")
	for i, r := range assigned {
		want, changes := lower[r]
		if !changes {
			want = string(r)
		}
		if lowered[i] != want {
			report("lower", r, lowered[i], want)
		}
	}
	for what, m := range mismatches {
		t.Errorf("%s differs from Python's:\n  %s", what, strings.Join(m, "\n  "))
	}
}

// checkReply is the check mode's answer.
type checkReply struct {
	OK         bool   `json:"ok"`
	MustUpdate bool   `json:"must_update"`
	Error      string `json:"error"` // an exception check_password let through
}

// runDjango runs testdata/django_passwords.py once for a batch of requests
// and returns its replies, one per request.
func runDjango[Reply, Request any](t *testing.T, args []string, requests []Request) []Reply {
	t.Helper()
	return djangotest.Run[Reply](t, "testdata/django_passwords.py", args, requests)
}
