package main

import (
	"encoding/json"
	"net/http"
	"testing"
)

// ASVS V3.4.4: SESSION_COOKIE_NAME=__Host-sessionid, with
// SESSION_COOKIE_SECURE and the default Path=/ and no Domain, works end to
// end: the cookie carries what the prefix demands, and sent back it
// carries the session. (A configuration that breaks the prefix's rules is
// refused at start-up: TestConfigRejectsBadValuesNamingTheVariable.)
func TestServeWithAHostPrefixedCookie(t *testing.T) {
	base := liveServer(t, map[string]string{"SESSION_COOKIE_NAME": "__Host-sessionid", "SESSION_COOKIE_SECURE": "true"})
	visit := func(cookie string) (int, *http.Response) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+"/api/session/visit", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		res := do(t, req)
		var body struct {
			Count int `json:"visit_count"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("%d, %v", res.StatusCode, err)
		}
		return body.Count, res
	}

	_, res := visit("")
	var ck *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "__Host-sessionid" {
			ck = c
		}
	}
	if ck == nil || !ck.Secure || ck.Path != "/" || ck.Domain != "" || !ck.HttpOnly {
		t.Fatalf("Set-Cookie %q, want __Host-sessionid with Secure, Path=/, no Domain, HttpOnly", res.Header.Values("Set-Cookie"))
	}
	if n, _ := visit("__Host-sessionid=" + ck.Value); n != 2 {
		t.Fatalf("visit_count %d with the cookie sent back, want 2", n)
	}
	if n, _ := visit("sessionid=" + ck.Value); n != 1 {
		t.Fatalf("visit_count %d with the key under the unprefixed name, want a new session", n)
	}
}
