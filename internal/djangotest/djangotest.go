// Package djangotest runs real Django (Debian's python3-django) from Go
// tests, so that this project's formats are checked against Django's own
// code rather than against a reading of it.
package djangotest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Python is Debian's interpreter, where python3-django is installed; the
// python3 first on PATH may be another one without it.
const Python = "/usr/bin/python3"

var available = sync.OnceValues(func() (string, error) {
	out, err := exec.Command(Python, "-I", "-c", "import django; print(django.get_version())").CombinedOutput()
	return strings.TrimSpace(string(out)), err
})

// Require fails the test when Django cannot run: the cross-check is part of
// the specification, not an optional extra. SKIP_DJANGO_TESTS=1 is the
// deliberate way out.
func Require(t *testing.T) {
	t.Helper()
	if os.Getenv("SKIP_DJANGO_TESTS") == "1" {
		t.Skip("SKIP_DJANGO_TESTS=1: not cross-checking with Django")
	}
	version, err := available()
	if err != nil {
		t.Fatalf("this test cross-checks with real Django, but %s cannot import it (%v):\n%s\n"+
			"Install it with:  apt-get install python3-django\n"+
			"or set SKIP_DJANGO_TESTS=1 to skip the Django cross-checks.", Python, err, version)
	}
	t.Logf("cross-checking with Django %s", version)
}

// Run runs script (a path relative to the test's package) once for a batch
// of requests, sent as JSON lines on its stdin, and returns its replies, one
// JSON line per request: one Python process per batch keeps it fast.
func Run[Reply, Request any](t *testing.T, script string, args []string, requests []Request) []Reply {
	t.Helper()
	Require(t)

	var stdin bytes.Buffer
	enc := json.NewEncoder(&stdin)
	for _, r := range requests {
		if err := enc.Encode(r); err != nil {
			t.Fatalf("encoding request %+v: %v", r, err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// -I: neither PYTHON* variables nor user site-packages may change
	// which Django runs.
	cmd := exec.CommandContext(ctx, Python, append([]string{"-I", script}, args...)...)
	cmd.Stdin = &stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, strings.Join(args, " "), err, stderr.Bytes())
	}

	var replies []Reply
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var r Reply
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("reading %s's reply %d: %v", script, len(replies), err)
		}
		replies = append(replies, r)
	}
	if len(replies) != len(requests) {
		t.Fatalf("%s replied %d times to %d requests\n%s", script, len(replies), len(requests), stderr.Bytes())
	}
	return replies
}
