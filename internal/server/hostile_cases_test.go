package server_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// hostileBody is a request body no endpoint may accept.
type hostileBody struct {
	name        string
	contentType string // "" is application/json
	body        []byte
}

// wholeBodies are the bodies made hostile as a whole, for an operation
// whose valid body is valid: broken or foreign syntax, something else than
// one object, nesting past any reason, bytes that are not UTF-8, a field
// given twice or under another name, and the wrong media type.
func wholeBodies(valid map[string]any) []hostileBody {
	first := slices.Sorted(maps.Keys(valid))[0]
	base := mustJSON(valid)
	inner := base[1 : len(base)-1] // the members, without the braces
	deep := func(open, close string, n int) []byte {
		return []byte(`{"` + first + `":` + strings.Repeat(open, n) + "1" + strings.Repeat(close, n) + "}")
	}
	with := func(member string) []byte { return []byte("{" + member + "," + string(inner) + "}") }
	upper := strings.ToUpper(first[:1]) + first[1:]
	return []hostileBody{
		{"malformed: cut short", "", base[:len(base)/2]},
		{"malformed: a trailing comma", "", []byte("{" + string(inner) + ",}")},
		{"malformed: single quotes", "", bytes.ReplaceAll(base, []byte(`"`), []byte(`'`))},
		{"malformed: keys without quotes", "", []byte(`{` + first + `:1}`)},
		{"malformed: NaN", "", []byte(`{"` + first + `":NaN}`)},
		{"malformed: a comment", "", []byte("/* hi */" + string(base))},
		{"malformed: a byte order mark", "", append([]byte("\xef\xbb\xbf"), base...)},
		{"malformed: a NUL after the object", "", append(bytes.Clone(base), 0)},
		{"empty", "", nil},
		{"only whitespace", "", []byte(" \r\n\t")},
		{"null", "", []byte("null")},
		{"an array of the object", "", []byte("[" + string(base) + "]")},
		{"a string", "", []byte(`"` + first + `"`)},
		{"a number", "", []byte("1")},
		{"true", "", []byte("true")},
		{"two objects", "", append(bytes.Clone(base), base...)},
		{"arrays nested 100,000 deep", "", deep("[", "]", 100_000)},
		{"objects nested 50,000 deep", "", deep(`{"a":`, "}", 50_000)},
		{"arrays nested 5,000 deep", "", deep("[", "]", 5_000)},
		{"invalid UTF-8 in a value", "", with(`"` + first + `":"\xff\xfe"`)},
		{"invalid UTF-8 in a key", "", with(`"\xc3\x28":1`)},
		{"an overlong UTF-8 slash", "", with(`"` + first + `":"\xc0\xaf"`)},
		{"a UTF-16 body", "", utf16LE(string(base))},
		{"a duplicate key", "", with(`"` + first + `":` + string(mustJSON(valid[first])))},
		{"a duplicate key in another case", "", with(`"` + strings.ToUpper(first) + `":` + string(mustJSON(valid[first])))},
		{"a known field in another case", "", []byte(strings.Replace(string(base), `"`+first+`"`, `"`+upper+`"`, 1))},
		{"an unknown field", "", with(`"is_superuser":true`)},
		{"a __proto__ field", "", with(`"__proto__":{"admin":true}`)},
		{"over the body limit", "", []byte(`{"` + first + `":"` + strings.Repeat("a", 1<<20) + `"}`)},
		{"sent as text/plain", "text/plain", base},
		{"sent as a form", "application/x-www-form-urlencoded", []byte(first + "=1")},
		{"sent as multipart", "multipart/form-data; boundary=x", []byte("--x\r\n\r\n" + string(base) + "\r\n--x--")},
		{"sent as XML", "application/xml", []byte("<a/>")},
		{"sent with a broken media type", "application/json; charset", base},
	}
}

// fieldBodies are valid with one field changed to what its schema refuses:
// null, another JSON type, a number out of range or past int64, a string
// empty, huge, or beyond its rules; or a required field left out. A change
// that the schema accepts (an empty optional email) is no attack, and is
// left out.
func fieldBodies(schema *openapi3.Schema, valid map[string]any) []hostileBody {
	var out []hostileBody
	for _, name := range slices.Sorted(maps.Keys(schema.Properties)) {
		prop := schema.Properties[name].Value
		values := []struct {
			what string
			v    any
		}{
			{"null", nil},
			{"an object", map[string]any{"$ne": nil}},
			{"an array", []any{valid[name]}},
			{"a string", "1"},
			{"true", true},
			{"a number", 1},
			{"a fraction", 1.5},
			{"a negative number", -1},
			{"zero", 0},
			{"past int64", json.Number("9223372036854775808")},
			{"below int64", json.Number("-9223372036854775809")},
			{"past float64", json.Number("1e400")},
			{"an exponent", json.Number("1e2")},
			{"an empty string", ""},
			{"a string of 100 KiB", strings.Repeat("a", 100<<10)},
			{"a string of 900 KiB", strings.Repeat("9", 900<<10)},
			{"a NUL", "a\x00b"},
			{"control characters", "\r\n\t\b"},
			{"HTML", "<script>alert(1)</script>"},
			{"SQL", "' OR '1'='1'; --"},
		}
		if prop.Max != nil {
			values = append(values, struct {
				what string
				v    any
			}{"the maximum plus one", *prop.Max + 1})
		}
		for _, val := range values {
			body := maps.Clone(valid)
			body[name] = val.v
			if schema.VisitJSON(roundTrip(body)) == nil {
				continue // the contract accepts it: not hostile
			}
			out = append(out, hostileBody{name + ": " + val.what, "", mustJSON(body)})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(schema.Properties)) {
		if !schema.Properties[name].Value.Type.Is(openapi3.TypeString) {
			continue
		}
		// json.Marshal would mend the bytes: they go in after it.
		body := maps.Clone(valid)
		body[name] = "\x00marker"
		raw := bytes.Replace(mustJSON(body), []byte(`"\u0000marker"`), []byte("\"ab\xff\xfe\xc0\xaf\""), 1)
		out = append(out, hostileBody{name + ": invalid UTF-8", "", raw})
	}
	for _, name := range schema.Required {
		body := maps.Clone(valid)
		delete(body, name)
		out = append(out, hostileBody{name + ": left out", "", mustJSON(body)})
	}
	return out
}

// roundTrip is v as a JSON decoder gives it back, numbers as json.Number,
// which is what schemas validate.
func roundTrip(v any) any {
	dec := json.NewDecoder(bytes.NewReader(mustJSON(v)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		panic(err)
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func utf16LE(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i], 0)
	}
	return out
}

// hostileParams are path parameter values that name nothing: out of range,
// not numbers, too long, or encoded to reach past the path segment.
var hostileParams = []struct{ name, value string }{
	{"negative", "-1"},
	{"zero", "0"},
	{"past int64", "9223372036854775808"},
	{"400 digits", strings.Repeat("9", 400)},
	{"non-numeric", "abc"},
	{"a fraction", "1.5"},
	{"an exponent", "1e2"},
	{"a plus sign", "+1"},
	{"a leading zero", "01"},
	{"hexadecimal", "0x1"},
	{"8,000 characters", strings.Repeat("a", 8000)},
	{"an encoded slash", "1%2F2"},
	{"an encoded traversal", "..%2F..%2Fgo.mod"},
	{"dot-dot", ".."},
	{"an encoded NUL", "1%00"},
	{"an encoded newline", "1%0A"},
	{"an encoded space", "%201"},
	{"non-ASCII", "%C3%A9"},
	{"invalid UTF-8", "%FF%FE"},
	{"an encoded query", "1%3Fx=1"},
	{"SQL", "1%27%20OR%20%271%27=%271"},
	{"a full-width digit", "%EF%BC%91"},
}

// wantValidBodies fails the test if a valid body the sweep starts from is
// not valid by the contract, or an operation that reads a body has none.
func wantValidBodies(t *testing.T, doc *openapi3.T) {
	t.Helper()
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			key := method + " " + path
			valid, ok := validBodies[key]
			if !ok {
				t.Errorf("%s reads a body: give the hostile-input sweep a valid one in validBodies", key)
				continue
			}
			schema := op.RequestBody.Value.Content.Get("application/json").Schema.Value
			if err := schema.VisitJSON(roundTrip(valid)); err != nil {
				t.Errorf("%s: the sweep's valid body is not valid by openapi.yaml: %v", key, err)
			}
		}
	}
}
