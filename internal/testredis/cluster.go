package testredis

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Cluster is a Redis Cluster of the test's own, started by
// scripts/redis-cluster.sh: masters on loopback ports, no replicas, nothing
// saved, cluster-require-full-coverage off (with a master down, the others
// serve their slots).
type Cluster struct {
	t      testing.TB
	script string
	dir    string
	url    string
	Ports  []string // of its masters
}

// StartCluster starts a cluster of three masters for the test, stopped when
// it ends. The test is skipped if redis-server or redis-cli is missing.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	for _, cmd := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Skipf("%s is not installed", cmd)
		}
	}
	c := &Cluster{t: t, script: filepath.Join(moduleRoot(t), "scripts", "redis-cluster.sh"), dir: t.TempDir()}
	t.Cleanup(func() { c.run("stop", c.dir) })
	c.url = c.run("start", c.dir, "3")
	for _, addr := range strings.Split(strings.TrimPrefix(c.url, "redis-cluster://"), ",") {
		c.Ports = append(c.Ports, strings.TrimPrefix(addr, "127.0.0.1:"))
	}
	return c
}

// URL is the cluster's redis-cluster:// URL.
func (c *Cluster) URL() string { return c.url }

// Kill kills the master on port, as a crash would.
func (c *Cluster) Kill(port string) { c.run("kill", c.dir, port) }

// Restart starts the master on port again, empty, and waits until the
// cluster has it back.
func (c *Cluster) Restart(port string) { c.run("restart", c.dir, port) }

func (c *Cluster) run(args ...string) string {
	c.t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(c.script, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("testredis: redis-cluster.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// moduleRoot is the directory of go.mod, above the test's package.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testredis: no go.mod above the test's directory")
		}
		dir = parent
	}
}
