package sessiontest

import (
	"testing"

	"github.com/djsessions/api/internal/session"
)

// FillTypical fills s as a logged-in shopper's session looks, for the
// benchmarks of every store to measure the same thing: Django's auth keys,
// a cart of a few lines, preferences, the visit counter.
func FillTypical(tb testing.TB, s *session.Session) {
	tb.Helper()
	type line struct {
		ProductID int    `json:"product_id"`
		Quantity  int    `json:"quantity"`
		AddedAt   string `json:"added_at"`
	}
	values := map[string]any{
		"_auth_user_id":      "42",
		"_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash":    "9f4c1a3e0b5d7f2a8c6e4b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a2c4e6b8d0f1a",
		"login_time":         "2026-12-12T10:00:00+00:00",
		"visit_count":        17,
		"preferences":        map[string]string{"theme": "dark", "language": "en-GB"},
		"cart": []line{
			{1, 2, "2026-12-12T10:01:00+00:00"},
			{7, 1, "2026-12-12T10:02:30+00:00"},
			{12, 3, "2026-12-12T10:05:10+00:00"},
		},
	}
	for k, v := range values {
		if err := s.Set(k, v); err != nil {
			tb.Fatal(err)
		}
	}
}
