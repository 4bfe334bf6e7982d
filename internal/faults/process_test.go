package faults_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the api binary that the tests run as real processes, built
// once by the first that needs it and removed by TestMain.
var binDir string

var build struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// apiBinary returns the path of cmd/api built for this test run.
func apiBinary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		if binDir, build.err = os.MkdirTemp("", "faults-api-"); build.err != nil {
			return
		}
		build.path = filepath.Join(binDir, "api")
		// go test puts its own go first in PATH.
		out, err := exec.Command("go", "build", "-o", build.path, "github.com/djsessions/api/cmd/api").CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// process is the api binary running as its own process.
type process struct {
	t    testing.TB
	cmd  *exec.Cmd
	URL  string // http://127.0.0.1:PORT
	done chan struct{}
	err  error // how it exited, once done is closed

	mu  sync.Mutex
	log []string // its log lines
}

// processEnv is the environment of a test's processes on the database at
// url: cheap password hashes, a small pool each (so that several
// processes leave PostgreSQL's connections to the other tests), and a
// port of its own for each.
func processEnv(url string, vars map[string]string) map[string]string {
	env := map[string]string{
		"DATABASE_URL":               url,
		"DATABASE_MAX_CONNS":         "4",
		"SECRET_KEY":                 "faults-test-secret-key",
		"LISTEN_ADDR":                "127.0.0.1:0",
		"PASSWORD_HASHER_ITERATIONS": "1000",
		"LOG_LEVEL":                  "info",
	}
	maps.Copy(env, vars)
	return env
}

// startProcess runs "api serve" with env and waits until it listens. It is
// killed, if still running, when the test ends; its log goes to the test's
// if the test fails.
func startProcess(t testing.TB, env map[string]string) *process {
	t.Helper()
	p := &process{t: t, done: make(chan struct{})}
	p.cmd = command(t, env, "serve")
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go p.read(stderr, listening)
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Logf("log of api process %d (last lines):\n%s", p.cmd.Process.Pid, strings.Join(p.log[max(0, len(p.log)-40):], "\n"))
		}
	})
	select {
	case addr := <-listening:
		p.URL = "http://" + addr
		return p
	case <-p.done:
		t.Fatalf("the api process exited before listening: %v\n%s", p.err, strings.Join(p.log, "\n"))
	case <-time.After(30 * time.Second):
		t.Fatalf("the api process is not listening after 30 s")
	}
	return nil
}

// command returns the api binary's command args, run in a temporary
// directory with env as its whole environment.
func command(t testing.TB, env map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(apiBinary(t), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// read keeps the process's log lines, sends the address of its "listening"
// line, and closes done when the process has exited.
func (p *process) read(stderr io.Reader, listening chan<- string) {
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.log = append(p.log, line)
		p.mu.Unlock()
		var entry struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "listening" {
			listening <- strings.TrimPrefix(entry.Addr, "http://")
		}
	}
	p.err = p.cmd.Wait()
	close(p.done)
}

// Kill sends SIGKILL and waits until the process is gone.
func (p *process) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Terminate sends SIGTERM, as a deployment does to stop a process.
func (p *process) Terminate() { p.cmd.Process.Signal(syscall.SIGTERM) }

// Exited waits at most d for the process to exit, and returns how it did.
func (p *process) Exited(d time.Duration) error {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.t.Fatalf("the api process is still running %v later", d)
		return nil
	}
}

// Running reports whether the process has not exited yet.
func (p *process) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Answered returns how many requests of method on path the process
// answered, by status, as its request log says.
func (p *process) Answered(method, path string) map[int]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := map[int]int{}
	for _, l := range p.log {
		var entry struct {
			Msg, Method, Path string
			Status            int
		}
		if json.Unmarshal([]byte(l), &entry) == nil && entry.Msg == "request" && entry.Method == method && entry.Path == path {
			n[entry.Status]++
		}
	}
	return n
}
