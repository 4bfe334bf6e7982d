package session

import (
	"bytes"
	"net/http"
)

// deferredWriter holds a response back until the session is committed.
type deferredWriter struct {
	http.ResponseWriter
	commit     func(status int) error
	onFlushErr func(error)
	status     int
	buf        bytes.Buffer
	sent       bool // the session is committed; writes go straight through
	failed     bool // the commit at a Flush failed, and the stream went out anyway
}

func (w *deferredWriter) WriteHeader(code int) {
	if w.sent {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.status == 0 {
		w.status = code
	}
}

func (w *deferredWriter) Write(b []byte) (int, error) {
	if w.sent {
		return w.ResponseWriter.Write(b)
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.buf.Write(b)
}

// Flush commits the session and sends what was held back: a streaming
// handler cannot have its response replaced by an error any more, so a
// failed commit is only reported.
func (w *deferredWriter) Flush() {
	if err := w.finish(); err != nil {
		w.onFlushErr(err)
		w.sent, w.failed = true, true
		w.send()
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// finish commits the session for the response as written so far and, if that
// succeeds, sends the response.
func (w *deferredWriter) finish() error {
	if w.sent {
		return nil
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	if err := w.commit(status); err != nil {
		return err
	}
	w.sent = true
	w.send()
	return nil
}

func (w *deferredWriter) send() {
	if w.status != 0 {
		w.ResponseWriter.WriteHeader(w.status)
	}
	if w.buf.Len() > 0 {
		w.ResponseWriter.Write(w.buf.Bytes()) // a failure here means the client left
		w.buf.Reset()
	}
}

func (w *deferredWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
