package djangointerop

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/sessionapi"
)

// defaultAge is SESSION_COOKIE_AGE on both sides: Django's default.
const defaultAge = 1209600

// apiSession is GET /api/session's SessionInfo.
func (b *browser) APISession(t *testing.T) sessionapi.Info {
	t.Helper()
	var got struct {
		Session sessionapi.Info `json:"session"`
	}
	b.API.Get("/api/session").Want(t, http.StatusOK).JSON(t, &got)
	return got.Session
}

// wantRowExpiry fails the test unless the expire_date of the browser's
// session row is age after a moment between from and now: what the side
// that saved it computed, within a second of rounding.
func wantRowExpiry(t *testing.T, s *side, b *browser, from time.Time, age int) {
	t.Helper()
	row, found := s.API.Stored(t, b.Key())
	if !found {
		t.Fatal("no row for the session")
	}
	d := time.Duration(age) * time.Second
	lo, hi := from.Add(d-time.Second), time.Now().Add(d+time.Second)
	if row.Expire.Before(lo) || row.Expire.After(hi) {
		t.Errorf("expire_date %s; want between %s and %s (saved at age %d)", row.Expire, lo, hi, age)
	}
}

// cookieOf returns the session cookie a response set, "" if none.
func cookieOf(res *http.Response) string {
	for _, v := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "sessionid=") {
			return v
		}
	}
	return ""
}

// wantBrowserSessionCookie fails the test unless cookie is a session
// cookie that lasts until the browser closes: neither Max-Age nor expires.
func wantBrowserSessionCookie(t *testing.T, side, cookie string) {
	t.Helper()
	lower := strings.ToLower(cookie)
	if cookie == "" || strings.Contains(lower, "max-age") || strings.Contains(lower, "expires") {
		t.Errorf("%s's Set-Cookie %q; want a cookie with neither Max-Age nor expires", side, cookie)
	}
}

func TestAnExpiryInSecondsIsReadAlikeOnBothSides(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")

	t.Run("set here", func(t *testing.T) {
		b := s.Browser()
		from := time.Now()
		b.API.Put("/api/session/expiry", map[string]int{"seconds": 3600}).Want(t, http.StatusOK)
		got := b.DjangoSession(t)
		if got.Data["_session_expiry"] != 3600.0 || got.ExpiryAge != 3600.0 || got.ExpireAtBrowserClose {
			t.Fatalf("Django reads _session_expiry %v, get_expiry_age %v, at browser close %v; want 3600, 3600, false",
				got.Data["_session_expiry"], got.ExpiryAge, got.ExpireAtBrowserClose)
		}
		wantRowExpiry(t, s, b, from, 3600)
	})
	t.Run("set on Django", func(t *testing.T) {
		b := s.Browser()
		from := time.Now()
		res := b.DjangoWrite(t, map[string]any{"a": 1}, 600)
		if c := cookieOf(res.Response); !strings.Contains(c, "Max-Age=600") {
			t.Fatalf("Django's Set-Cookie %q", c)
		}
		if got := b.APISession(t); got.ExpiryAge != 600 || got.ExpireAtBrowserClose {
			t.Fatalf("the API reads %+v; want expiry_age 600, not at browser close", got)
		}
		wantRowExpiry(t, s, b, from, 600)
	})
	t.Run("back to the default on Django", func(t *testing.T) {
		b := s.Browser()
		b.API.Put("/api/session/expiry", map[string]int{"seconds": 3600}).Want(t, http.StatusOK)
		from := time.Now()
		b.DjangoWrite(t, nil, nil) // set_expiry(None)
		if got := b.APISession(t); got.ExpiryAge != defaultAge || got.ExpireAtBrowserClose {
			t.Fatalf("the API reads %+v; want the default age", got)
		}
		wantRowExpiry(t, s, b, from, defaultAge)
	})
}

func TestABrowserCloseSessionIsOneOnBothSides(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	s.Register(t, "closer", pw)

	t.Run("a login here without remember_me", func(t *testing.T) {
		b := s.Browser()
		from := time.Now()
		b.APILogin(t, "closer", pw, false)
		got := b.DjangoSession(t)
		if got.Data["_session_expiry"] != 0.0 || !got.ExpireAtBrowserClose || got.ExpiryAge != float64(defaultAge) {
			t.Fatalf("Django reads _session_expiry %v, at browser close %v, age %v; want 0, true and the default age",
				got.Data["_session_expiry"], got.ExpireAtBrowserClose, got.ExpiryAge)
		}
		// The row still expires, at the default age, on both sides.
		wantRowExpiry(t, s, b, from, defaultAge)
		res := b.DjangoWrite(t, map[string]any{"seen_by": "django"})
		wantBrowserSessionCookie(t, "Django", cookieOf(res.Response))
		wantRowExpiry(t, s, b, from, defaultAge)
	})
	t.Run("set_expiry(0) on Django", func(t *testing.T) {
		b := s.Browser()
		from := time.Now()
		res := b.DjangoWrite(t, map[string]any{"a": 1}, 0)
		wantBrowserSessionCookie(t, "Django", cookieOf(res.Response))
		if got := b.APISession(t); !got.ExpireAtBrowserClose || got.ExpiryAge != defaultAge {
			t.Fatalf("the API reads %+v; want at browser close, with the default age", got)
		}
		res2 := b.API.Post("/api/session/visit", nil).Want(t, http.StatusOK)
		wantBrowserSessionCookie(t, "the API", res2.SetCookie("sessionid"))
		wantRowExpiry(t, s, b, from, defaultAge)
	})
}

// Django stores a date expiry as an ISO-8601 string since 4.1 (before, the
// JSON serializer could not store one at all). Django 3.2, here, cannot
// write such a session, so only the API → Django way can be run; the
// Django → API way is the codec's "expiry as an ISO-8601 date" case in
// internal/session, against Django's own signing.
func TestADateExpirySetHereIsTheDateDjango41Reads(t *testing.T) {
	t.Parallel()
	s := beside(t, "db")
	s.Register(t, "dated", pw)
	b := s.Browser()
	b.APILogin(t, "dated", pw, true)
	at := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)

	b.API.Put("/api/session/expiry", map[string]string{"at": at.Format(time.RFC3339)}).Want(t, http.StatusOK)

	if row, _ := s.API.Stored(t, b.Key()); !row.Expire.Equal(at) {
		t.Errorf("expire_date %s; want %s", row.Expire, at)
	}
	got := b.DjangoSession(t)
	if iso, err := time.Parse(time.RFC3339Nano, got.ExpiryISO); err != nil || !iso.Equal(at) {
		t.Fatalf("datetime.fromisoformat(_session_expiry %v) = %q (%v); want %s", got.Data["_session_expiry"], got.ExpiryISO, err, at)
	}
	if got.ExpiryError == "" { // Django 4.1+ computes with it
		if d, err := time.Parse(time.RFC3339Nano, got.ExpiryDate); err != nil || !d.Equal(at) {
			t.Errorf("Django's get_expiry_date %q; want %s", got.ExpiryDate, at)
		}
	}
	// Django of any version reads the login in it.
	if !b.DjangoUser(t).Authenticated {
		t.Error("Django does not read the login of a session with a date expiry")
	}
}
