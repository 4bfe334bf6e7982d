package session

import (
	"encoding/json"
	"maps"
	"sync"
)

// decoded remembers the data of stored strings that verified, so that a
// session read again unchanged (most requests: a session check, a page
// view) is neither verified, inflated nor parsed again: those are most of
// what a read costs this process (see README, Load harness).
//
// The stored string itself is the key: the same bytes verify the same way
// whoever presents them, so an entry is never wrong, and a changed session
// is another string. What it holds is bounded in bytes: strings longer than
// decodedMaxString are not kept, and when the entries of the current
// generation pass decodedGenerationBytes they become the previous one and
// the one before is dropped, so that the sessions in use stay and the rest
// go, without a list to keep in order.
type decoded struct {
	mu        sync.Mutex
	cur, prev map[string]map[string]json.RawMessage
	size      int // of cur's strings and data
}

const (
	decodedMaxString       = 4 << 10
	decodedGenerationBytes = 4 << 20
)

// get returns a copy of the data stored decodes to, which the caller may
// change: the values are never changed in place, only replaced.
func (d *decoded) get(stored string) (map[string]json.RawMessage, bool) {
	d.mu.Lock()
	data, ok := d.cur[stored]
	if !ok {
		if data, ok = d.prev[stored]; ok {
			d.add(stored, data) // still in use: keep it through the next turn
		}
	}
	d.mu.Unlock()
	if !ok {
		return nil, false
	}
	return maps.Clone(data), true
}

// put remembers that stored verified and decodes to data, of which it keeps
// a copy.
func (d *decoded) put(stored string, data map[string]json.RawMessage) {
	if len(stored) > decodedMaxString {
		return
	}
	data = maps.Clone(data)
	d.mu.Lock()
	d.add(stored, data)
	d.mu.Unlock()
}

func (d *decoded) add(stored string, data map[string]json.RawMessage) {
	if _, ok := d.cur[stored]; ok {
		return
	}
	n := len(stored)
	for k, v := range data {
		n += len(k) + len(v)
	}
	if d.cur == nil || d.size+n > decodedGenerationBytes {
		d.prev, d.cur, d.size = d.cur, map[string]map[string]json.RawMessage{}, 0
	}
	d.cur[stored] = data
	d.size += n
}
