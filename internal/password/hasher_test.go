package password

import (
	"regexp"
	"strings"
	"testing"
)

// Vectors from ../shared/DJANGO-VECTORS.md and from Django 3.2's
// PBKDF2PasswordHasher().encode, all of the password "s3cret".
const (
	vectorPassword = "s3cret"
	// vectorDjango52 is at Django 5.2's default of 1,000,000 iterations.
	vectorDjango52 = "pbkdf2_sha256$1000000$abcdefghijklmnopqrstuv$EY+7ovJAqxjwt/daUr0DEYhWWQjAKXTKWYRnKapI3ow="
	// vectorDjango32 is at Django 3.2's default of 260,000 iterations.
	vectorDjango32 = "pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$HllDmSMhdY412FStcPlsVqa0YPPMNCYOHqBcwDMu6aI="
	// vectorFast is at 1,000 iterations, for the tests that need many checks.
	vectorFast = "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$q+SlAk8PS4ZnJxYnZfUX7zLjmUl2wdtUOf7V/ADD/a0="
	// vectorShortSalt has a 12-character salt, as Django made before 3.1:
	// 71 bits, under the 128 Django now asks for.
	vectorShortSalt = "pbkdf2_sha256$1000$shortsalt123$ZgGGfjG8K0xvrunztdqQOW1dIW+f4geL9EOL0Q66pn8="

	vectorSecret   = "django-insecure-test-key-0123456789"
	vectorAuthHash = "52dfe90cf24e174eecd8e8e1c2d140c43606e55c4452a9f1db6239ede0ee4883"

	// fastIterations keeps the tests quick where the work factor is not
	// what they are about.
	fastIterations = 1000
)

func TestCheckVerifiesDjangoHashesOfEveryIterationCount(t *testing.T) {
	t.Parallel()
	current, django32, fast := NewHasher(0), NewHasher(260_000), NewHasher(fastIterations)
	tests := []struct {
		name           string
		hasher         *Hasher
		password       string
		encoded        string
		ok, mustUpdate bool
	}{
		{"Django 5.2 hash, right password", current, vectorPassword, vectorDjango52, true, false},
		{"Django 3.2 hash, right password: valid but to be rehashed", current, vectorPassword, vectorDjango32, true, true},
		{"Django 3.2 hash checked at its own count: nothing to update", django32, vectorPassword, vectorDjango32, true, false},
		{"Django 3.2 hash, other case", django32, "S3cret", vectorDjango32, false, false},
		{"Django 3.2 hash, empty password", django32, "", vectorDjango32, false, false},
		// The cases below are at 1,000 iterations to keep the test fast.
		{"right password", fast, vectorPassword, vectorFast, true, false},
		{"trailing space", fast, vectorPassword + " ", vectorFast, false, false},
		{"password truncated", fast, vectorPassword[:5], vectorFast, false, false},
		{"other password", fast, "hunter2", vectorFast, false, false},
		{"short salt, right password: rehash for salt entropy", fast, vectorPassword, vectorShortSalt, true, true},
		{"short salt, wrong password", fast, "S3cret", vectorShortSalt, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, mustUpdate := tt.hasher.Check(tt.password, tt.encoded)
			if ok != tt.ok || mustUpdate != tt.mustUpdate {
				t.Errorf("Check(%q, %q) = %v, %v; want %v, %v", tt.password, tt.encoded, ok, mustUpdate, tt.ok, tt.mustUpdate)
			}
		})
	}
}

func TestSessionAuthHashIsDjangos(t *testing.T) {
	t.Parallel()
	if got := SessionAuthHash(vectorDjango52, vectorSecret); got != vectorAuthHash {
		t.Errorf("SessionAuthHash(vector, secret) = %s, want %s", got, vectorAuthHash)
	}
	if SessionAuthHash(vectorDjango32, vectorSecret) == vectorAuthHash {
		t.Error("SessionAuthHash did not change with the password hash")
	}
	if SessionAuthHash(vectorDjango52, vectorSecret+"x") == vectorAuthHash {
		t.Error("SessionAuthHash did not change with the secret")
	}
}

func TestNewHasherDefaultsToDjango52sIterations(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, -1, -1_000_000} {
		if got := NewHasher(n).Iterations(); got != DefaultIterations {
			t.Errorf("NewHasher(%d).Iterations() = %d, want %d", n, got, DefaultIterations)
		}
	}
	if got := NewHasher(1234).Iterations(); got != 1234 {
		t.Errorf("NewHasher(1234).Iterations() = %d", got)
	}
}

func TestMakeWritesDjangosFormatWithAFreshSalt(t *testing.T) {
	t.Parallel()
	h := NewHasher(fastIterations)
	format := regexp.MustCompile(`^pbkdf2_sha256\$1000\$[a-zA-Z0-9]{22}\$[A-Za-z0-9+/]{43}=$`)
	seen := map[string]bool{}
	for range 50 {
		encoded := h.Make(vectorPassword)
		if !format.MatchString(encoded) {
			t.Fatalf("Make = %q, want %s", encoded, format)
		}
		salt := strings.Split(encoded, "$")[2]
		if seen[salt] {
			t.Fatalf("salt %q drawn twice", salt)
		}
		seen[salt] = true
	}
}

func TestSaltsDrawFromAllOfDjangosAlphabet(t *testing.T) {
	t.Parallel()
	counts := map[rune]int{}
	for range 500 {
		salt := newSalt()
		if len(salt) != 22 {
			t.Fatalf("newSalt() = %q, %d characters, want 22", salt, len(salt))
		}
		for _, r := range salt {
			counts[r]++
		}
	}
	// 11,000 draws, about 177 of each character: a character never drawn,
	// or drawn twice as often as it should be, is a bug, not bad luck.
	for _, r := range saltChars {
		if n := counts[r]; n < 88 || n > 354 {
			t.Errorf("character %q drawn %d times in 11,000, want about 177", r, n)
		}
	}
	if len(counts) != len(saltChars) {
		t.Errorf("salts used %d distinct characters, want %d", len(counts), len(saltChars))
	}
}

func TestMadeHashesCheckAndAskForUpdateAtAnotherCount(t *testing.T) {
	t.Parallel()
	h := NewHasher(fastIterations)
	for _, password := range []string{"s3cret", "", "correct horse battery staple", "pässwörd ✓ 🔐", "$dollar$", strings.Repeat("long", 100)} {
		encoded := h.Make(password)
		if ok, mustUpdate := h.Check(password, encoded); !ok || mustUpdate {
			t.Errorf("same hasher: Check(%q, Make(%[1]q)) = %v, %v; want true, false", password, ok, mustUpdate)
		}
		if ok, mustUpdate := NewHasher(2*fastIterations).Check(password, encoded); !ok || !mustUpdate {
			t.Errorf("stronger hasher: Check(%q, Make(%[1]q)) = %v, %v; want true, true", password, ok, mustUpdate)
		}
		if ok, mustUpdate := NewHasher(fastIterations/2).Check(password, encoded); !ok || !mustUpdate {
			t.Errorf("weaker hasher: Check(%q, Make(%[1]q)) = %v, %v; want true, true (Django updates down too)", password, ok, mustUpdate)
		}
		if ok, _ := h.Check(password+"x", encoded); ok {
			t.Errorf("Check(%q, Make(%q)) = true", password+"x", password)
		}
	}
}

// storedHashCase is a value found in a password column, checked with the
// password it would match if it were well formed.
type storedHashCase struct {
	name     string
	encoded  string
	password string
	ok       bool
	// slowInDjango marks the counts Django would grind through.
	slowInDjango bool
}

// storedHashCases are hashes that must not verify, beside two that must.
func storedHashCases() []storedHashCase {
	const salt, hash = "abcdefghijklmnopqrstuv", "q+SlAk8PS4ZnJxYnZfUX7zLjmUl2wdtUOf7V/ADD/a0="
	withIterations := func(n string) string { return "pbkdf2_sha256$" + n + "$" + salt + "$" + hash }
	refused := func(name, encoded string) storedHashCase {
		return storedHashCase{name: name, encoded: encoded, password: vectorPassword}
	}
	cases := []storedHashCase{
		{name: "well formed", encoded: vectorFast, password: vectorPassword, ok: true},
		{name: "well formed, short salt", encoded: vectorShortSalt, password: vectorPassword, ok: true},
		refused("empty", ""),
		refused("algorithm and nothing else", "pbkdf2_sha256$"),
		refused("algorithm without separator", "pbkdf2_sha256"),
		refused("three fields", "pbkdf2_sha256$1000$"+salt),
		refused("two fields", "pbkdf2_sha256$1000"),
		refused("five fields", vectorFast+"$extra"),
		refused("empty iterations", withIterations("")),
		refused("non-numeric iterations", withIterations("many")),
		refused("zero iterations", withIterations("0")),
		refused("negative iterations", withIterations("-1000")),
		refused("iterations with a plus sign", withIterations("+1000")),
		refused("iterations with a leading zero", withIterations("01000")),
		refused("iterations with spaces", withIterations(" 1000 ")),
		refused("iterations with an underscore", withIterations("1_000")),
		refused("iterations in hexadecimal", withIterations("0x3e8")),
		refused("fractional iterations", withIterations("1000.0")),
		{name: "iterations beyond the bound", encoded: withIterations("10000001"), password: vectorPassword, slowInDjango: true},
		{name: "iterations beyond int64", encoded: withIterations("99999999999999999999999"), password: vectorPassword, slowInDjango: true},
		refused("empty salt", "pbkdf2_sha256$1000$$"+hash),
		refused("empty hash", "pbkdf2_sha256$1000$"+salt+"$"),
		refused("hash not base64", "pbkdf2_sha256$1000$"+salt+"$!!not*base64!!"),
		refused("hash truncated", vectorFast[:len(vectorFast)-2]),
		refused("hash without padding", strings.TrimSuffix(vectorFast, "=")),
		refused("hash in URL-safe base64", strings.ReplaceAll(strings.ReplaceAll(vectorFast, "+", "-"), "/", "_")),
		refused("hash with a trailing newline", vectorFast+"\n"),
		refused("hash with a leading space", " "+vectorFast),
		refused("algorithm in capitals", "PBKDF2_SHA256"+strings.TrimPrefix(vectorFast, "pbkdf2_sha256")),
		refused("unusable password", "!Ii3Zc8yBgT2UoGu0hH9Eo4mvwbG16a8YqnlSxV"),
		refused("unusable marker before a valid hash", "!"+vectorFast),
		refused("md5", "md5$abcdefghijkl$6ea4e4c4f7b7e8d2f3e2c1b0a9f8e7d6"),
		refused("unsalted md5", "5ebe2294ecd0e0f08eab7690d2a6ee69"),
		refused("sha1", "sha1$abcdefghijkl$1f5e2d3c4b5a69788796a5b4c3d2e1f001122334"),
		refused("pbkdf2_sha1", "pbkdf2_sha1$1000$"+salt+"$VnHpoJ+bpCs4+kKv5h8KGWQ+Tvs="),
		refused("argon2", "argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$QXJnb24yaGFzaGhhc2hoYXNo"),
		refused("bcrypt_sha256", "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuuJ0Xy7Kq6w8bS2mHq4tU1nVbWcDeFgHi"),
		refused("scrypt", "scrypt$16384$"+salt+"$8$1$aGFzaGhhc2hoYXNoaGFzaA=="),
	}
	return cases
}

func TestCheckRefusesMalformedAndForeignHashesWithoutPanicking(t *testing.T) {
	t.Parallel()
	h := NewHasher(fastIterations)
	for _, tt := range storedHashCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, mustUpdate, spent := h.check(tt.password, tt.encoded)
			if ok != tt.ok {
				t.Errorf("Check(%q, %q) ok = %v, want %v", tt.password, tt.encoded, ok, tt.ok)
			}
			if !ok && mustUpdate {
				t.Errorf("Check(%q, %q) refused yet asked for an update", tt.password, tt.encoded)
			}
			if spent < h.Iterations() {
				t.Errorf("Check(%q, %q) ran %d iterations, want at least the hasher's %d", tt.password, tt.encoded, spent, h.Iterations())
			}
		})
	}
}

// TestFailuresCostTheHashersWorkFactor shows Django's defences against
// timing: a refusal runs at least h's iterations, whatever made it fail,
// so that its time does not tell an unusable or weakly hashed account from
// a wrong password. Only a success at a lower count is cheaper, and the
// caller then rehashes at h's count.
func TestFailuresCostTheHashersWorkFactor(t *testing.T) {
	t.Parallel()
	h := NewHasher(fastIterations)
	weak := NewHasher(fastIterations / 4).Make(vectorPassword)
	strong := NewHasher(fastIterations * 2).Make(vectorPassword)
	tests := []struct {
		name     string
		password string
		encoded  string
		spent    int
	}{
		{"right password at the hasher's count", vectorPassword, vectorFast, fastIterations},
		{"wrong password at the hasher's count", "wrong", vectorFast, fastIterations},
		{"right password at a lower count", vectorPassword, weak, fastIterations / 4},
		{"wrong password at a lower count: hardened", "wrong", weak, fastIterations},
		{"wrong password at a higher count", "wrong", strong, fastIterations * 2},
		{"unusable password: one dummy hash", "wrong", "!Ii3Zc8yBgT2UoGu0hH9Eo4mvwbG16a8YqnlSxV", fastIterations},
		{"unknown algorithm: one dummy hash", "wrong", "md5$abcdefghijkl$6ea4e4c4f7b7e8d2f3e2c1b0a9f8e7d6", fastIterations},
		{"absurd count: one dummy hash, not the count", "wrong", "pbkdf2_sha256$2000000000$abcdefghijklmnopqrstuv$x", fastIterations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, _, spent := h.check(tt.password, tt.encoded); spent != tt.spent {
				t.Errorf("check ran %d iterations, want %d", spent, tt.spent)
			}
		})
	}
}

func TestHasherAboveTheBoundChecksItsOwnHashes(t *testing.T) {
	t.Parallel()
	// Not made with Make: 20 million iterations would take seconds. decode
	// is where the bound applies.
	encoded := "pbkdf2_sha256$20000000$abcdefghijklmnopqrstuv$x"
	if _, ok := decode(encoded, max(maxIterations, 20_000_000)); !ok {
		t.Errorf("a hasher at 20,000,000 iterations refuses its own count")
	}
	if _, ok := decode(encoded, max(maxIterations, DefaultIterations)); ok {
		t.Errorf("a default hasher accepts 20,000,000 iterations")
	}
}

func TestDummyDoesNotPanic(t *testing.T) {
	t.Parallel()
	NewHasher(fastIterations).Dummy("anything")
}

func BenchmarkMake(b *testing.B) {
	h := NewHasher(0)
	for b.Loop() {
		h.Make(vectorPassword)
	}
}

func BenchmarkCheck(b *testing.B) {
	h := NewHasher(0)
	for b.Loop() {
		h.Check(vectorPassword, vectorDjango52)
	}
}

func BenchmarkDummy(b *testing.B) {
	h := NewHasher(0)
	for b.Loop() {
		h.Dummy(vectorPassword)
	}
}
