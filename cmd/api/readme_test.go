package main

// The README's curl walk-through is run as written, so that it never lies.

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// walkthroughHeading is the README section whose sh blocks are run.
const walkthroughHeading = "## Trying it with curl"

// readmeBlocks returns the sh code blocks of the README section that starts
// with heading, up to the next section of the same level.
func readmeBlocks(t *testing.T, heading string) []string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```sh\n(.*?)^```$").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

func TestReadmeCurlCommandsFailOnHTTPErrors(t *testing.T) {
	blocks := readmeBlocks(t, walkthroughHeading)
	if len(blocks) < 3 {
		t.Fatalf("%d sh blocks under %q, want the walk-through", len(blocks), walkthroughHeading)
	}
	curl := regexp.MustCompile(`\bcurl\s+\S+`)
	for _, b := range blocks {
		for _, c := range curl.FindAllString(b, -1) {
			if !strings.HasSuffix(c, " -fsS") {
				t.Errorf("%q: every curl of the walk-through starts with -fsS, so that an HTTP error fails the test", c)
			}
		}
	}
}

func TestReadmeCurlWalkthroughRuns(t *testing.T) {
	blocks := readmeBlocks(t, walkthroughHeading)
	base := liveServer(t, nil)

	// One shell, as a reader pasting the blocks in order: -e stops at the
	// first command that fails, -x shows which.
	script := "set -eux\n" + strings.Join(blocks, "\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.Dir = t.TempDir() // where the cookie jar is written
	cmd.Env = append(os.Environ(), "API="+base)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's walk-through failed: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("%s", out)
	}
}
