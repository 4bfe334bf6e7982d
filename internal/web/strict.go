package web

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/djsessions/api/internal/apperr"
)

// checkMembers refuses what encoding/json lets through but the contract
// does not, in raw, one JSON object already known to be well formed:
//
//   - a name given twice in one object, which encoding/json resolves by
//     keeping the last; another parser in front (a proxy, a WAF) may keep
//     the first and see another request than the handler does;
//   - a top-level name that is not exactly one of dst's fields, which
//     encoding/json matches case-insensitively ("Quantity" for
//     "quantity"): the contract's names are exact;
//   - null anywhere, which encoding/json takes as "leave as it is" but no
//     request field of the contract allows.
//
// Each is a validation_failed naming the top-level field.
func checkMembers(raw []byte, dst any) error {
	names := fieldNames(reflect.TypeOf(dst))
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	type object struct {
		seen    map[string]bool
		wantKey bool
	}
	var stack []*object // open objects; nil for an open array
	var field string    // the top-level member being read
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF: raw was read through (and decoded once already)
		}
		var top *object
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.wantKey {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				continue
			}
			name := tok.(string) // a key is a string in well-formed JSON
			if len(stack) == 1 {
				field = name
				if names != nil && !names[name] {
					return apperr.Invalid(map[string]string{name: "unknown field"})
				}
			}
			if top.seen[name] {
				if len(stack) == 1 {
					return apperr.Invalid(map[string]string{name: "given more than once"})
				}
				return apperr.Invalid(map[string]string{field: "holds the member " + quote(name) + " more than once"})
			}
			top.seen[name] = true
			top.wantKey = false
			continue
		}
		if top != nil {
			top.wantKey = true // this value ends the member
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &object{seen: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, nil)
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		case nil:
			return apperr.Invalid(map[string]string{field: "must not be null; leave the field out instead"})
		}
	}
}

// fieldNames returns the JSON names of the struct t points to, or nil when
// t is not a pointer to a struct (there are then no names to hold keys to).
func fieldNames(t reflect.Type) map[string]bool {
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	names := map[string]bool{}
	addFieldNames(t.Elem(), names)
	return names
}

func addFieldNames(t reflect.Type, names map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case name == "-" && tag == "-":
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			addFieldNames(f.Type, names) // its fields are promoted
			continue
		case !f.IsExported():
			continue
		case name == "":
			name = f.Name
		}
		names[name] = true
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
