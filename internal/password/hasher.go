// Package password hashes and checks passwords the way Django does, so that
// a Go service and a Django project can share one auth_user table: the
// pbkdf2_sha256 hasher (hashers.PBKDF2PasswordHasher), the session auth hash
// that ties a session to the password it was opened with, and Django's
// default password validators.
package password

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultIterations is the PBKDF2 work factor of Django 5.2
// (PBKDF2PasswordHasher.iterations). Django 3.2 used 260000, 4.2 600000,
// 6.0 uses 1200000; hashes made with any of them verify here.
const DefaultIterations = 1_000_000

const (
	algorithm = "pbkdf2_sha256"

	// unusablePrefix starts what Django's set_unusable_password stores: "!"
	// and 40 random characters, which no password can match.
	unusablePrefix = "!"

	// maxIterations bounds the work factor Check accepts from a stored hash,
	// so that a crafted row cannot make one login burn minutes of CPU. It is
	// ten times Django 5.2's default; a Hasher configured above it raises the
	// bound to its own count.
	maxIterations = 10_000_000

	// saltEntropy is Django's BasePasswordHasher.salt_entropy, in bits.
	saltEntropy = 128
	// saltChars is Django's RANDOM_STRING_CHARS.
	saltChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// saltLength is Django's BasePasswordHasher.salt(): enough characters of
// saltChars for saltEntropy bits, ceil(128 / log2(62)) = 22.
var saltLength = int(math.Ceil(saltEntropy / math.Log2(float64(len(saltChars)))))

// Hasher makes and checks Django's pbkdf2_sha256 hashes at one work factor.
// It is immutable and safe for concurrent use.
type Hasher struct {
	iterations int
	// dummy is a well-formed hash at iterations that no password matches
	// (its hash field is random bytes, not derived from any password), which
	// Dummy checks against.
	dummy string
}

// NewHasher returns a Hasher that makes hashes with the given PBKDF2
// iteration count; iterations <= 0 means DefaultIterations. Tests lower it
// to keep fast; production should leave it at the default or raise it.
func NewHasher(iterations int) *Hasher {
	if iterations <= 0 {
		iterations = DefaultIterations
	}
	var key [sha256.Size]byte
	rand.Read(key[:]) // never fails: crypto/rand crashes the program instead
	dummy := algorithm + "$" + strconv.Itoa(iterations) + "$" + newSalt() + "$" + base64.StdEncoding.EncodeToString(key[:])
	return &Hasher{iterations: iterations, dummy: dummy}
}

// Iterations returns the work factor h hashes with.
func (h *Hasher) Iterations() int { return h.iterations }

// Make returns password hashed as Django's make_password does:
// "pbkdf2_sha256$<iterations>$<salt>$<base64 of PBKDF2-HMAC-SHA256>", with a
// fresh salt of 22 random characters of [a-zA-Z0-9] from crypto/rand.
func (h *Hasher) Make(password string) string {
	encoded, err := encode(password, newSalt(), h.iterations)
	if err != nil {
		// Only FIPS 140-only mode refuses PBKDF2 parameters, and only salts
		// or keys shorter than 16 bytes; ours are 22 and 32 bytes.
		panic("password: " + err.Error())
	}
	return encoded
}

// Check reports whether password matches encoded, a pbkdf2_sha256 hash of
// any iteration count, comparing in constant time as Django's verify does.
//
// mustUpdate is Django's must_update, reported only when ok: the hash has
// another iteration count than h, or a salt shorter than 128 bits; the
// caller should then store h.Make(password) in its place.
//
// Check never panics and never errs: an empty, malformed or unusable hash
// ("!..." from Django's set_unusable_password), another algorithm, or an
// iteration count above the bound (10,000,000 or h's count) is simply
// ok=false. Every refusal costs at least h's work factor, as in Django's
// check_password: a malformed or unusable hash runs one dummy hash, and a
// wrong password against a hash weaker than h runs the missing iterations
// (harden_runtime), so that the time of a failure tells nothing about the
// account.
func (h *Hasher) Check(password, encoded string) (ok, mustUpdate bool) {
	ok, mustUpdate, _ = h.check(password, encoded)
	return ok, mustUpdate
}

// check is Check, also returning how many PBKDF2 iterations it ran, which
// is how the tests see that failures cost what successes do.
func (h *Hasher) check(password, encoded string) (ok, mustUpdate bool, spent int) {
	d, valid := decode(encoded, max(maxIterations, h.iterations))
	var again string
	if valid {
		// A salt that FIPS 140-only mode refuses is as unusable as no salt.
		var err error
		again, err = encode(password, d.salt, d.iterations)
		valid = err == nil
	}
	if !valid {
		_, _ = derive(password, newSalt(), h.iterations)
		return false, false, h.iterations
	}
	if subtle.ConstantTimeCompare([]byte(again), []byte(encoded)) != 1 {
		spent = d.iterations
		if extra := h.iterations - d.iterations; extra > 0 {
			_, _ = derive(password, d.salt, extra)
			spent += extra
		}
		return false, false, spent
	}
	return true, d.iterations != h.iterations || saltTooShort(d.salt), d.iterations
}

// Dummy checks password against a hash that nothing matches. Login calls it
// for an unknown username so that an unknown user costs the same time as a
// wrong password (Django's ModelBackend: "run the default password hasher
// once to reduce the timing difference"). It runs the very code a wrong
// password does, not just a hash of the same cost: deriving on its own was
// measured 10% faster than Check inside the API, enough for a client to
// tell the two apart.
func (h *Hasher) Dummy(password string) {
	h.check(password, h.dummy)
}

// decoded is a pbkdf2_sha256 hash split into its fields.
type decoded struct {
	iterations int
	salt       string
}

// decode splits encoded as Django's PBKDF2PasswordHasher.decode does
// (encoded.split("$", 3)). It refuses what Django's check_password would
// refuse or fail on: unusable and foreign hashes, missing fields, an empty
// salt, and an iteration count that is not positive or not written as
// Django writes it ("%d"), since the recomputed hash could never equal it.
// The hash field is left to the comparison.
func decode(encoded string, limit int) (decoded, bool) {
	if strings.HasPrefix(encoded, unusablePrefix) {
		return decoded{}, false
	}
	fields := strings.SplitN(encoded, "$", 4)
	if len(fields) != 4 || fields[0] != algorithm || fields[2] == "" {
		return decoded{}, false
	}
	n, err := strconv.Atoi(fields[1])
	if err != nil || n <= 0 || n > limit || strconv.Itoa(n) != fields[1] {
		return decoded{}, false
	}
	return decoded{iterations: n, salt: fields[2]}, true
}

// encode is Django's PBKDF2PasswordHasher.encode.
func encode(password, salt string, iterations int) (string, error) {
	key, err := derive(password, salt, iterations)
	if err != nil {
		return "", err
	}
	hash := base64.StdEncoding.EncodeToString(key)
	return algorithm + "$" + strconv.Itoa(iterations) + "$" + salt + "$" + hash, nil
}

// derive is Django's crypto.pbkdf2 with SHA-256 and its 32-byte key: the
// password and salt as UTF-8 bytes, which Go strings already are.
func derive(password, salt string, iterations int) ([]byte, error) {
	return pbkdf2.Key(sha256.New, password, []byte(salt), iterations, sha256.Size)
}

// saltTooShort is Django's must_update_salt: a salt whose characters carry
// fewer than saltEntropy bits, as those of Django before 3.1 (12 characters).
func saltTooShort(salt string) bool {
	return float64(utf8.RuneCountInString(salt))*math.Log2(float64(len(saltChars))) < saltEntropy
}

// newSalt is Django's get_random_string(22): each character drawn uniformly
// from saltChars, rejecting the bytes that would bias the draw.
func newSalt() string {
	const unbiased = 256 - 256%len(saltChars) // 248, a multiple of 62
	salt := make([]byte, 0, saltLength)
	var buf [32]byte
	for len(salt) < saltLength {
		rand.Read(buf[:]) // never fails: crypto/rand crashes the program instead
		for _, b := range buf {
			if int(b) < unbiased && len(salt) < saltLength {
				salt = append(salt, saltChars[int(b)%len(saltChars)])
			}
		}
	}
	return string(salt)
}
