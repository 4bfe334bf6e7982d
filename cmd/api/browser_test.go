package main

// The browser test: headless Chromium, driven by playwright-core from
// e2e/demo.mjs, uses the demo app (internal/demo) served from an origin of
// its own against the real program on PostgreSQL, as a user would, and pages
// of two other origins try to post forms to the API with the user's cookie.
//
// The origins, all on this machine's loopback:
//
//	the API                http://127.0.0.1:A   CORS_ALLOWED_ORIGINS lists the SPA
//	the SPA                http://127.0.0.1:S   same site as the API, another origin
//	a sibling page         http://127.0.0.1:F   same site, not listed
//	another site           http://localhost:F   cross-site
//
// Ports do not make sites: the SPA and the sibling page are same-site with
// the API, as app.example.com and blog.example.com are with api.example.com,
// so the SameSite=Lax session cookie goes with their requests. localhost is
// another site than 127.0.0.1, and the browser keeps a Lax cookie off its
// form posts. So each layer of the defence is seen on its own: a sibling's
// post carries the cookie and is refused 403 cross_origin_forbidden; another
// site's post comes without the cookie and, being no JSON, is refused 415.
// A second API, with SESSION_COOKIE_SAMESITE=None and Secure (which Chromium
// honours on http://127.0.0.1, a secure context), shows the 403 for a
// cross-site post that does carry the cookie.

import (
	"context"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/demo"
)

const (
	browserScript   = "../../e2e/demo.mjs"
	playwrightCore  = "../../.ci/e2e/node_modules/playwright-core/package.json"
	skipBrowserTest = "SKIP_BROWSER_TESTS"
)

func TestDemoInABrowser(t *testing.T) {
	chromium, node := browserTools(t)

	spa := httptest.NewUnstartedServer(nil) // its address is the APIs' allowed origin
	t.Cleanup(spa.Close)
	spaOrigin := "http://" + spa.Listener.Addr().String()
	api := liveServer(t, map[string]string{"CORS_ALLOWED_ORIGINS": spaOrigin})
	apiNone := liveServer(t, map[string]string{
		"CORS_ALLOWED_ORIGINS":    spaOrigin,
		"SESSION_COOKIE_SAMESITE": "None",
		"SESSION_COOKIE_SECURE":   "true",
	})
	e := echo.New()
	demo.NewHandler(api, apiNone).Register(e)
	spa.Config.Handler = e
	spa.Start()

	forger := httptest.NewServer(http.HandlerFunc(forgeries))
	t.Cleanup(forger.Close)
	_, port, _ := net.SplitHostPort(forger.Listener.Addr().String())

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, browserScript)
	// On a timeout, end Chromium with node: they share a process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Env = append(os.Environ(),
		"CHROMIUM="+chromium,
		"SPA="+spaOrigin+"/demo/",
		"API="+api,
		"API_NONE="+apiNone,
		"SIBLING=http://127.0.0.1:"+port,
		"OTHER_SITE=http://localhost:"+port,
		"FORCE_COLOR=0", // playwright's messages, plain in the test's log
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("e2e/demo.mjs: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("%s", out)
	}
}

// browserTools finds Chromium and Node.js with playwright-core, or skips the
// test when SKIP_BROWSER_TESTS=1. Anything missing otherwise fails the test:
// .ci/setup installs all three.
func browserTools(t *testing.T) (chromium, node string) {
	t.Helper()
	if os.Getenv(skipBrowserTest) == "1" {
		t.Skip(skipBrowserTest + "=1: the browser test is skipped")
	}
	const hint = "; run .ci/setup, which installs it, or set " + skipBrowserTest + "=1 to skip the browser test"
	var errs []error
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		errs = append(errs, errors.New("Chromium (Debian's chromium package) is not on PATH"+hint))
	}
	node, err = exec.LookPath("node")
	if err != nil {
		errs = append(errs, errors.New("Node.js is not on PATH"+hint))
	}
	if _, err := os.Stat(playwrightCore); err != nil {
		abs, _ := filepath.Abs(filepath.Dir(playwrightCore))
		errs = append(errs, errors.New("playwright-core is not in "+abs+hint))
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return chromium, node
}

// forgery is a page of another origin that posts a form to the API as soon
// as it loads, as a cross-site request forgery would: what a browser sends
// without asking the API first.
var forgery = template.Must(template.New("forgery").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>You won a prize</title></head>
<body>
<form method="post" action="{{.Action}}" enctype="{{.Enctype}}">
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
</form>
<script>document.forms[0].submit()</script>
</body></html>
`))

// forgeries serves the forged forms for the API at ?api=: /cart adds ten
// of product 1 to the cart, in a text/plain body that reads as JSON (a form
// sends name=value: the name opens the object, the value closes it);
// /logout logs the user out, a post whose body nobody reads.
func forgeries(w http.ResponseWriter, r *http.Request) {
	api := r.URL.Query().Get("api")
	var page struct{ Action, Enctype, Name, Value string }
	switch r.URL.Path {
	case "/cart":
		page.Action, page.Enctype = api+"/api/cart/items", "text/plain"
		page.Name, page.Value = `{"product_id": 1, "quantity": 10, "padding": "`, `"}`
	case "/logout":
		page.Action, page.Enctype = api+"/api/auth/logout", "application/x-www-form-urlencoded"
		page.Name, page.Value = "bye", "1"
	default:
		http.NotFound(w, r)
		return
	}
	if !strings.HasPrefix(api, "http://127.0.0.1:") {
		http.Error(w, "?api= names the API under test", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := forgery.Execute(w, page); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
