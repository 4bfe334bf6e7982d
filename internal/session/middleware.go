package session

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderKey is the request header in which clients without a cookie jar send
// their session key, and the response header in which they receive a new one.
const HeaderKey = "X-Session-Key"

const contextKey = "session.handle"

// errNoMiddleware is a programming error: a handler asked for the session on
// a route the middleware does not cover.
var errNoMiddleware = errors.New("session: middleware not installed on this route")

// From returns the session of the request, loading it from the store on first
// use, so that a request that never asks for its session never reaches the
// store. The error wraps ErrUnavailable when the store failed.
func From(c echo.Context) (*Session, error) {
	h, ok := c.Get(contextKey).(*handle)
	if !ok {
		return nil, errNoMiddleware
	}
	return h.session()
}

// handle is the per-request state of the middleware.
type handle struct {
	m         *Manager
	ctx       context.Context
	presented string // the key the client sent, "" if none
	viaHeader bool   // the client uses X-Session-Key rather than a cookie
	s         *Session
	err       error
}

func (h *handle) session() (*Session, error) {
	if h.s == nil && h.err == nil {
		h.s, h.err = h.m.Load(h.ctx, h.presented)
	}
	return h.s, h.err
}

// Middleware returns the Echo middleware that gives each request its session
// (see From) and commits it before the response is sent: the handler's
// response is held back until the session is saved, so that a failed save
// (ErrInterrupted, ErrUnavailable) is answered as an error instead, and a
// handler that streams gets its session committed at its first Flush.
//
// As in Django, the session is saved only when modified (or on every request
// with SaveEveryRequest), never with a 5xx response, and never when empty.
func (m *Manager) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			h := &handle{m: m, ctx: req.Context()}
			if v, ok := req.Header[HeaderKey]; ok {
				h.viaHeader, h.presented = true, strings.TrimSpace(v[0])
			} else if ck, err := req.Cookie(m.opts.CookieName); err == nil {
				h.presented = ck.Value
			}
			c.Set(contextKey, h)

			res := c.Response()
			header := res.Header()
			before := header.Clone()
			w := &deferredWriter{ResponseWriter: res.Writer}
			w.commit = func(status int) error { return h.commit(header, status) }
			w.onFlushErr = func(err error) {
				m.opts.Logger.Error("session not saved before a streamed response", "err", err)
			}
			res.Writer = w
			discard := func() {
				res.Writer = w.ResponseWriter
				for k := range header {
					delete(header, k)
				}
				for k, v := range before {
					header[k] = v
				}
				res.Committed, res.Status, res.Size = false, http.StatusOK, 0
			}
			defer func() {
				if p := recover(); p != nil {
					// What the handler wrote must not go out with the panic's
					// 500; but a stream already flushed is out, and the
					// response must stay committed so that no error body is
					// appended to it.
					if !w.sent {
						discard()
					}
					panic(p)
				}
			}()

			if err := next(c); err != nil {
				c.Error(err) // written into w, so the status is known at commit
			}
			if w.sent && !w.failed && h.s != nil && h.s.modified {
				// Committed at the first Flush; the headers that would carry
				// a new key are gone, so a later change cannot be saved.
				m.opts.Logger.Warn("session changed after the response began streaming; the change is not saved",
					"path", req.URL.Path)
			}
			if err := w.finish(); err != nil {
				discard()
				return err
			}
			res.Writer = w.ResponseWriter
			return nil
		}
	}
}

// commit is Django's SessionMiddleware.process_response.
func (h *handle) commit(header http.Header, status int) error {
	m := h.m
	s := h.s
	if s == nil {
		if !m.opts.SaveEveryRequest || h.presented == "" {
			return nil
		}
		var err error
		if s, err = h.session(); err != nil {
			return err
		}
	}
	if h.presented != "" && s.IsEmpty() {
		// Flushed, or a key the store did not know: the client forgets it.
		addVary(header)
		h.forget(header)
		return nil
	}
	if s.accessed {
		addVary(header)
	}
	dirty := s.modified || s.metaDirty || m.opts.SaveEveryRequest
	if dirty && !s.IsEmpty() && status < 500 {
		// The save is not abandoned because the client went away: the
		// handler has done its work, and the session must say so.
		if err := m.Save(context.WithoutCancel(h.ctx), s); err != nil {
			return err
		}
	}
	if s.saved {
		// Saved now, or during the request (Update, CycleKey): the key
		// exists in the store, so the client gets it, whatever the status.
		h.issue(header, s)
	}
	return nil
}

// issue gives the client its (possibly new) key.
func (h *handle) issue(header http.Header, s *Session) {
	if h.viaHeader {
		if s.key != h.presented {
			header.Set(HeaderKey, s.key)
		}
		return
	}
	ck := h.m.cookie(s.key)
	if !s.ExpireAtBrowserClose() {
		age := s.ExpiryAge()
		ck.MaxAge = age
		if age <= 0 {
			ck.MaxAge = -1 // net/http writes Max-Age=0 for a negative MaxAge
		}
		ck.Expires = h.m.now().Add(time.Duration(age) * time.Second)
	}
	header.Add("Set-Cookie", ck.String())
}

// forget tells the client to drop its key.
func (h *handle) forget(header http.Header) {
	if h.viaHeader {
		header.Set(HeaderKey, "")
		return
	}
	ck := h.m.cookie("")
	ck.MaxAge = -1
	ck.Expires = time.Unix(0, 0)
	header.Add("Set-Cookie", ck.String())
}

func (m *Manager) cookie(value string) *http.Cookie {
	o := m.opts
	return &http.Cookie{
		Name: o.CookieName, Value: value, Path: o.CookiePath, Domain: o.CookieDomain,
		Secure: o.CookieSecure, HttpOnly: !o.CookieScriptReadable, SameSite: o.CookieSameSite,
	}
}

// addVary marks the response as depending on the headers that carry the key.
func addVary(header http.Header) {
	for _, name := range []string{"Cookie", HeaderKey} {
		present := false
		for _, v := range header.Values("Vary") {
			for _, f := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(f), name) {
					present = true
				}
			}
		}
		if !present {
			header.Add("Vary", name)
		}
	}
}
