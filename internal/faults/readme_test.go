package faults_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's "Reliability" section names the test behind each promise:
// every test and script it cites must exist, so that a rename cannot leave
// a promise that nothing checks.
func TestTheReadmeReliabilitySectionCitesTestsThatExist(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Reliability\n")
	if !ok {
		t.Fatal(`README.md has no "## Reliability" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")

	tests := map[string]bool{}
	testFunc := regexp.MustCompile(`(?m)^func (Test\w+)\(`)
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "../.." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		for _, m := range testFunc.FindAllStringSubmatch(string(src), -1) {
			tests[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	cited := regexp.MustCompile("`(Test\\w+)`").FindAllStringSubmatch(section, -1)
	if len(cited) < 10 {
		t.Fatalf("the section cites %d tests; it should cite one for each promise", len(cited))
	}
	for _, m := range cited {
		if !tests[m[1]] {
			t.Errorf("the README cites %s, which is no test of this repository", m[1])
		}
	}
	for _, m := range regexp.MustCompile("`(scripts/[\\w.-]+)").FindAllStringSubmatch(section, -1) {
		if _, err := os.Stat("../../" + m[1]); err != nil {
			t.Errorf("the README cites %s: %v", m[1], err)
		}
	}
}
