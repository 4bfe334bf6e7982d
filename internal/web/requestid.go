package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// HeaderRequestID carries a request's id: taken from the request when the
// client (or a proxy in front) sent a usable one, generated otherwise, and
// always sent back in the response, so that a client's report of a failure
// can be found in the log.
const HeaderRequestID = "X-Request-ID"

// maxRequestIDLen bounds an id taken from a request; a longer one is
// replaced, as one with characters outside requestIDChars is.
const maxRequestIDLen = 128

type requestIDKey struct{}

// RequestID returns the id of the request that ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID returns the id a request came with, if usable, or a new one.
// An id goes into log lines and a response header as it is, so only
// characters that need no escaping in either are accepted: those of UUIDs,
// hex, base64 and the trace ids of common proxies.
func requestID(sent string) string {
	if validRequestID(sent) {
		return sent
	}
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':' || c == '=' || c == '+' || c == '/'
		if !ok {
			return false
		}
	}
	return true
}
