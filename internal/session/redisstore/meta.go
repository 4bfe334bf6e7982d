package redisstore

import (
	"strconv"
	"strings"
	"time"

	"github.com/djsessions/api/internal/session"
)

// The fields of a session's meta hash. Times are RFC 3339 in UTC, readable
// in redis-cli.
const (
	fieldUserID     = "user_id"
	fieldCreatedAt  = "created_at"
	fieldLastActive = "last_active"
	fieldIP         = "ip"
	fieldUserAgent  = "user_agent"
)

// metaFields are the hash fields of m's non-zero fields only, since a zero
// field leaves what is stored as it is.
func metaFields(m session.Meta) map[string]string {
	f := map[string]string{}
	if m.UserID != 0 {
		f[fieldUserID] = strconv.FormatInt(m.UserID, 10)
	}
	if !m.CreatedAt.IsZero() {
		f[fieldCreatedAt] = m.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	if !m.LastActive.IsZero() {
		f[fieldLastActive] = m.LastActive.UTC().Format(time.RFC3339Nano)
	}
	if ip := clean(m.IP, 45); ip != "" {
		f[fieldIP] = ip
	}
	if ua := clean(m.UserAgent, 255); ua != "" {
		f[fieldUserAgent] = ua
	}
	return f
}

// parseMeta is the Meta of a session's hash. A field that does not parse is
// unknown, as a missing one is.
func parseMeta(h map[string]string) session.Meta {
	m := session.Meta{UserID: userID(h), IP: h[fieldIP], UserAgent: h[fieldUserAgent]}
	m.CreatedAt, _ = time.Parse(time.RFC3339Nano, h[fieldCreatedAt])
	m.LastActive, _ = time.Parse(time.RFC3339Nano, h[fieldLastActive])
	return m
}

// userID is the user of a session's hash, 0 if none.
func userID(h map[string]string) int64 {
	id, _ := strconv.ParseInt(h[fieldUserID], 10, 64)
	return id
}

// clean is s as the db engine keeps it, so that both list a session alike:
// valid UTF-8 without NUL, cut to max bytes at a character boundary, which
// also bounds what a client's headers can make the store keep.
func clean(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}
