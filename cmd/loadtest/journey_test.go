package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testdb"
)

// deployment starts three APIs on one database, as three processes of one
// deployment, each behind a proxy that counts its requests and lets intercept
// answer some itself. The second is addressed as localhost, the others as
// 127.0.0.1, so that only a jar shared across targets keeps a user logged in.
func deployment(t *testing.T, intercept func(w http.ResponseWriter, r *http.Request) bool) (targets []string, served []*atomic.Int64) {
	t.Helper()
	db := testdb.PostgresURL(t)
	for i := range 3 {
		app := apitest.New(t, apitest.Options{DatabaseURL: db})
		u, _ := url.Parse(app.URL)
		proxy := httputil.NewSingleHostReverseProxy(u)
		var n atomic.Int64
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			if i == 1 && intercept != nil && intercept(w, r) {
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(front.Close)
		target := front.URL
		if i == 1 {
			target = strings.Replace(target, "127.0.0.1", "localhost", 1)
		}
		targets, served = append(targets, target), append(served, &n)
	}
	return targets, served
}

// journeyRun runs the journey against targets for a second and returns the
// error and lost update counts of its summary, and run's error.
func journeyRun(t *testing.T, targets []string) (errors, lost int, out string, err error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{
		"-targets", strings.Join(targets, ","), "-scenarios", journeyScenario,
		"-runs", "1", "-duration", "1s", "-workers", "3", "-journey-adds", "3",
	}, &stdout, &stderr)
	out = stdout.String() + stderr.String()
	m := regexp.MustCompile(`in all 1 run\(s\): (\d+) error\(s\), (\d+) lost update\(s\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no journey summary in the output (%v):\n%s", err, out)
	}
	errors, _ = strconv.Atoi(m[1])
	lost, _ = strconv.Atoi(m[2])
	if !regexp.MustCompile(`journey, median run: [1-9]\d* journeys`).MatchString(out) {
		t.Fatalf("no journey completed:\n%s", out)
	}
	return errors, lost, out, err
}

func TestJourneysRoundThreeProcessesOnOneDatabaseHaveNoErrorsAndLoseNoCartAddition(t *testing.T) {
	targets, served := deployment(t, nil)
	errors, lost, out, err := journeyRun(t, targets)
	if err != nil || errors != 0 || lost != 0 {
		t.Fatalf("err %v, %d errors, %d lost updates:\n%s", err, errors, lost, out)
	}
	t.Log(out)
	for i, n := range served {
		if n.Load() < 10 {
			t.Errorf("target %d served %d requests: the journey does not go round the targets", i+1, n.Load())
		}
	}
}

func TestTheJourneyFailsOnWhatAProcessGetsWrong(t *testing.T) {
	for _, tc := range []struct {
		name               string
		intercept          func(w http.ResponseWriter, r *http.Request) bool
		wantErrs, wantLost bool
	}{
		{
			name: "a cart addition answered 200 but dropped is a lost update",
			intercept: func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodPost || r.URL.Path != "/api/cart/items" {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"items":[],"total_items":0,"total_price":"0.00"}`))
				return true
			},
			wantLost: true,
		},
		{
			name: "a logout answered 204 that leaves the session logged in is an error",
			intercept: func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/api/auth/logout" {
					return false
				}
				w.WriteHeader(http.StatusNoContent)
				return true
			},
			wantErrs: true,
		},
		{
			name: "an unexpected status is an error",
			intercept: func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/api/session/preferences" {
					return false
				}
				http.Error(w, `{"error":{"code":"unavailable","message":"down"}}`, http.StatusServiceUnavailable)
				return true
			},
			wantErrs: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			targets, _ := deployment(t, tc.intercept)
			errors, lost, out, err := journeyRun(t, targets)
			if err == nil {
				t.Fatalf("the run succeeded:\n%s", out)
			}
			if (errors > 0) != tc.wantErrs || (lost > 0) != tc.wantLost {
				t.Fatalf("%d errors, %d lost updates; want errors %v, lost updates %v:\n%s", errors, lost, tc.wantErrs, tc.wantLost, out)
			}
		})
	}
}

func TestTheSiteJarSendsEveryTargetTheCookiesAnySet(t *testing.T) {
	site, _ := url.Parse("http://127.0.0.1:8001")
	jar := newSiteJar(site)
	set, _ := url.Parse("http://10.0.0.2:8000/api/auth/login")
	jar.SetCookies(set, []*http.Cookie{{Name: "sessionid", Value: "abc", Path: "/"}})
	for _, to := range []string{"http://127.0.0.1:8002/api/cart", "http://localhost:8003/api/cart", "http://10.0.0.2:8000/"} {
		u, _ := url.Parse(to)
		if got := jar.Cookies(u); len(got) != 1 || got[0].Value != "abc" {
			t.Errorf("cookies for %s: %v, want sessionid=abc", to, got)
		}
	}
}
