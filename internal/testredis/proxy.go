package testredis

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to the test Redis and can cut them: a real
// network fault between the API and a Redis that itself keeps running.
type Proxy struct {
	t      testing.TB
	addr   string // where the proxy listens, kept across Down and Up
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

// NewProxy starts a Proxy to the test Redis, stopped when the test ends.
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	target := strings.TrimPrefix(URL(), "redis://")
	if i := strings.IndexByte(target, '/'); i >= 0 {
		target = target[:i]
	}
	p := &Proxy{t: t, target: target, addr: "127.0.0.1:0"}
	p.Up()
	t.Cleanup(p.Down)
	return p
}

// URL is the proxy's redis:// URL, database 0.
func (p *Proxy) URL() string { return "redis://" + p.addr + "/0" }

// Down closes the listener and every connection: clients get errors, and
// cannot connect, until Up.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Up listens again, on the same address.
func (p *Proxy) Up() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("testredis: proxy: %v", err)
	}
	p.ln, p.addr = ln, ln.Addr().String()
	go p.serve(ln)
}

func (p *Proxy) serve(ln net.Listener) {
	for {
		client, err := ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		if p.ln != ln { // went down meanwhile
			p.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		go pipe(client, server)
		go pipe(server, client)
	}
}

func pipe(dst, src net.Conn) {
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}
