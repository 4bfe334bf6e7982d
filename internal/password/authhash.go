package password

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// sessionAuthHashSalt is the key salt of Django's
// AbstractBaseUser.get_session_auth_hash.
const sessionAuthHashSalt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"

// SessionAuthHash is Django's AbstractBaseUser.get_session_auth_hash for a
// user whose stored hash is encoded: salted_hmac(sessionAuthHashSalt,
// encoded, secret, algorithm="sha256").hexdigest(), that is HMAC-SHA256 of
// encoded keyed by SHA-256(salt + secret). Django keeps it in the session as
// _auth_user_hash; a session whose value no longer matches the user's
// current hash (the password changed) is no longer logged in. Compare two
// of them with hmac.Equal.
func SessionAuthHash(encoded, secret string) string {
	key := sha256.Sum256([]byte(sessionAuthHashSalt + secret))
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte(encoded))
	return hex.EncodeToString(mac.Sum(nil))
}
