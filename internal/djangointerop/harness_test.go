package djangointerop

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/djangotest"
	"github.com/djsessions/api/internal/testdb"
)

// project is the Django project the tests run, relative to this package.
const project = "testdata/djangoproject"

// side is the API and the Django site side by side on one database, set up
// as README's "Running beside Django" says.
type side struct {
	API    *apitest.App
	Django *site
	URL    string // DATABASE_URL of both
}

// beside migrates a fresh schema as a Django project would (Django's
// migrate first, then the API's), and starts the Django site and the API on
// it, both with the session engine named (db or signed_cookies). djangoVars
// ("NAME=value") override the Django site's settings.
func beside(t *testing.T, engine string, djangoVars ...string) *side {
	t.Helper()
	return besideWith(t, apitest.Options{Engine: engine}, djangoVars...)
}

// besideWith is beside with the API's options given; its DatabaseURL is
// filled in.
func besideWith(t *testing.T, opts apitest.Options, djangoVars ...string) *side {
	t.Helper()
	djangotest.Require(t)
	if opts.Engine == "" {
		opts.Engine = "db"
	}
	// As cmd/api runs on PostgreSQL: users cached, and dropped from the
	// cache when auth_user's trigger announces a change, Django's included.
	opts.CacheUsers = true
	opts.DatabaseURL = testdb.EmptyPostgresURL(t)
	env := append(djangoEnv(opts.DatabaseURL, opts.Engine), djangoVars...) // the last of a name wins
	manage(t, env, "migrate", "--no-input")
	if err := database.Migrate(opts.DatabaseURL); err != nil {
		t.Fatalf("the API's migrations on Django's tables: %v", err)
	}
	return &side{
		API:    apitest.New(t, opts),
		Django: startDjango(t, env),
		URL:    opts.DatabaseURL,
	}
}

// djangoEnv is the environment of the Django project: the settings that
// must equal the API's, under the API's names (settings.py reads them).
func djangoEnv(databaseURL, engine string) []string {
	return []string{
		"PATH=/usr/bin:/bin",
		"SECRET_KEY=" + apitest.SecretKey,
		"DATABASE_URL=" + databaseURL,
		"SESSION_ENGINE=" + engine,
		"PASSWORD_HASHER_ITERATIONS=" + strconv.Itoa(apitest.PasswordIterations),
		"SESSION_IDLE_TIMEOUT=0", // apitest's default
	}
}

// manage runs Django's manage.py with args and returns its output.
func manage(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// -I: no PYTHON* variable nor user site-packages may change which
	// Django runs (manage.py puts the project on sys.path itself); -B:
	// no __pycache__ left in the source tree.
	cmd := exec.CommandContext(ctx, djangotest.Python, append([]string{"-I", "-B", "manage.py"}, args...)...)
	cmd.Dir, cmd.Env = project, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("manage.py %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// site is the Django project served by serve.py on a local port.
type site struct {
	URL string
}

// startDjango serves the project with env until the test ends, and returns
// once it accepts requests.
func startDjango(t *testing.T, env []string) *site {
	t.Helper()
	cmd := exec.Command(djangotest.Python, "-I", "-B", "serve.py")
	cmd.Dir, cmd.Env = project, env
	var log bytes.Buffer // written by the process until Wait returns
	cmd.Stderr = &log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the Django site: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("the Django site's log:\n%s", log.Bytes())
		}
	})

	// serve.py prints its address once Django is set up and its socket
	// accepts connections.
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimSpace(line)
	}()
	select {
	case line := <-ready:
		url, ok := strings.CutPrefix(line, "listening on ")
		if !ok {
			t.Fatalf("the Django site did not start (printed %q); its log follows", line)
		}
		return &site{URL: url}
	case <-time.After(time.Minute):
		t.Fatal("the Django site did not start within a minute")
	}
	return nil
}
