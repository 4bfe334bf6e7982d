package testredis

import (
	"strings"
	"testing"

	"github.com/djsessions/api/internal/testnet"
)

// Proxy forwards TCP connections to the test Redis and can cut them: a real
// network fault between the API and a Redis that itself keeps running.
type Proxy struct {
	*testnet.Proxy
}

// NewProxy starts a Proxy to the test Redis, stopped when the test ends.
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	if IsCluster() {
		t.Skip("the test Redis is a cluster: no one proxy stands in front of its masters")
	}
	target := strings.TrimPrefix(URL(), "redis://")
	if i := strings.IndexByte(target, '/'); i >= 0 {
		target = target[:i]
	}
	return &Proxy{testnet.NewProxy(t, target)}
}

// URL is the proxy's redis:// URL, database 0.
func (p *Proxy) URL() string { return "redis://" + p.Addr() + "/0" }
