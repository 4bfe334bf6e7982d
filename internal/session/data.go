package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// encodeData serialises session data the way Django's JSONSerializer does:
// compact separators and every non-ASCII character escaped as \uXXXX. Django
// decodes the bytes as latin-1, so raw UTF-8 would come back garbled there.
func encodeData(data map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(&buf, k)
		buf.WriteByte(':')
		buf.Write(data[k])
	}
	buf.WriteByte('}')
	return asciiEscape(buf.Bytes())
}

// decodeData parses a serialised session; anything but a JSON object is an error.
func decodeData(b []byte) (map[string]json.RawMessage, error) {
	var data map[string]json.RawMessage
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, fmt.Errorf("session: decoding data: %w", err)
	}
	if data == nil { // the JSON literal null
		return nil, fmt.Errorf("session: data is not an object")
	}
	return data, nil
}

// marshal encodes one value compactly and without Go's HTML escaping, which
// Python's json module does not do either.
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := marshal(s) // a string always marshals
	buf.Write(b)
}

// del is the one ASCII character Python escapes and Go's encoder does not.
const del = 0x7f

// asciiEscape replaces DEL and each non-ASCII character of a JSON text with its
// \uXXXX escape (a surrogate pair above U+FFFF), as Python's ensure_ascii
// does. Outside strings JSON is pure ASCII, so this is safe on whole texts.
func asciiEscape(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < del {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	const hex = "0123456789abcdef"
	esc := func(r rune) {
		out = append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	for i < len(b) {
		if b[i] < del {
			out = append(out, b[i])
			i++
			continue
		}
		if b[i] == del {
			esc(del)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r > 0xffff {
			r -= 0x10000
			esc(0xd800 + r>>10)
			esc(0xdc00 + r&0x3ff)
			continue
		}
		esc(r)
	}
	return out
}
