package filestore

import (
	"strings"

	"github.com/djsessions/api/internal/session"
)

// keyHidden is an error whose message names session files by the keys'
// fingerprints: the errors of the file system name the file, whose name
// holds the key, and the Manager logs a store's errors, where a key would
// be a session for whoever reads the log.
type keyHidden struct {
	err error
	msg string
}

func (e *keyHidden) Error() string { return e.msg }
func (e *keyHidden) Unwrap() error { return e.err }

// hideKeys returns err with each of keys in its message replaced by its
// fingerprint, or err itself if it holds none of them.
func hideKeys(err error, keys ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, k := range keys {
		msg = strings.ReplaceAll(msg, k, session.Fingerprint(k))
	}
	if msg == err.Error() {
		return err
	}
	return &keyHidden{err: err, msg: msg}
}
