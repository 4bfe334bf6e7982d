package session

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// The hot paths every request may take, with their allocations.

func BenchmarkEncodeData(b *testing.B) {
	data, err := decodeData(typicalSessionPayload())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		encodeData(data)
	}
}

func BenchmarkDecodeData(b *testing.B) {
	payload := typicalSessionPayload()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeData(payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		newKey()
	}
}

// BenchmarkMiddlewareUntouched is the middleware's cost on a request whose
// handler never asks for its session, with and without a key presented:
// it must not reach the store (this Manager has none, so it would panic).
func BenchmarkMiddlewareUntouched(b *testing.B) {
	m := NewManager(nil, NewSigner(SaltStore, djangoVectorSecret), Options{})
	e := echo.New()
	e.Use(m.Middleware())
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	for _, bm := range []struct {
		name   string
		cookie string
	}{{"no key", ""}, {"key presented", "abcdefghijklmnopqrstuvwxyz012345"}} {
		b.Run(bm.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if bm.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "sessionid", Value: bm.cookie})
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
