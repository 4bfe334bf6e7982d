package session

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The wanted texts below are Python's json.dumps(obj, separators=(",", ":")),
// which is what Django's JSONSerializer writes.
func TestEncodeDataWritesWhatDjangosSerializerWrites(t *testing.T) {
	tests := []struct {
		name string
		data map[string]any
		want string
	}{
		{"empty session", map[string]any{}, `{}`},
		{"compact, keys sorted", map[string]any{"b": 1, "a": []int{1, 2}, "_c": map[string]any{"y": true, "x": nil}},
			`{"_c":{"x":null,"y":true},"a":[1,2],"b":1}`},
		{"accents as lowercase \\u escapes", map[string]any{"accents": "café crème"}, `{"accents":"caf\u00e9 cr\u00e8me"}`},
		{"non-latin-1 character", map[string]any{"euro": "€"}, `{"euro":"\u20ac"}`},
		{"emoji as a surrogate pair", map[string]any{"emoji": "😀"}, `{"emoji":"\ud83d\ude00"}`},
		{"highest code point", map[string]any{"max": "\U0010ffff"}, `{"max":"\udbff\udfff"}`},
		{"last BMP code point", map[string]any{"bmp": "\uffff"}, `{"bmp":"\uffff"}`},
		{"non-ASCII key", map[string]any{"é": 1}, `{"\u00e9":1}`},
		{"no HTML escaping", map[string]any{"html": "<a href='x'>&</a>"}, `{"html":"<a href='x'>&</a>"}`},
		{"quotes, backslashes and control characters", map[string]any{"ctrl": "\"\\\n\r\t\b\f\x00\x01\x1f"},
			`{"ctrl":"\"\\\n\r\t\b\f\u0000\u0001\u001f"}`},
		{"line and paragraph separators", map[string]any{"ls": "\u2028\u2029"}, `{"ls":"\u2028\u2029"}`},
		{"integers and strings of digits", map[string]any{"_auth_user_id": "1", "n": -42, "big": int64(1) << 53},
			`{"_auth_user_id":"1","big":9007199254740992,"n":-42}`},
		{"ordinary floats", map[string]any{"f": 0.1, "g": -2.5}, `{"f":0.1,"g":-2.5}`},
		{"nested non-ASCII", map[string]any{"l": []any{"ü", map[string]string{"ß": "ø"}}},
			`{"l":["\u00fc",{"\u00df":"\u00f8"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(encodeData(marshalEach(t, tt.data))); got != tt.want {
				t.Errorf("encodeData = %s\n                 want %s", got, tt.want)
			}
		})
	}
}

func TestEncodeDataIsPureASCII(t *testing.T) {
	data := marshalEach(t, map[string]any{"ключ": "значение 😀", "x": strings.Repeat("é", 100)})
	for i, c := range encodeData(data) {
		if c >= 0x80 {
			t.Fatalf("byte %d is %#x; Django reads the data as latin-1 and would garble it", i, c)
		}
	}
}

func TestEncodeDataKeepsStoredValuesVerbatim(t *testing.T) {
	// Values read from Django are kept as they were written, escapes included.
	data := map[string]json.RawMessage{"a": json.RawMessage(`"caf\u00e9"`), "b": json.RawMessage(`[1.0,1e-07]`)}
	if got, want := string(encodeData(data)), `{"a":"caf\u00e9","b":[1.0,1e-07]}`; got != want {
		t.Errorf("encodeData = %s, want %s", got, want)
	}
}

func TestDecodeDataReadsDjangosSessionData(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    map[string]any
	}{
		{"empty session", `{}`, map[string]any{}},
		{"escaped accents", `{"a":"caf\u00e9"}`, map[string]any{"a": "café"}},
		{"surrogate pair", `{"e":"\ud83d\ude00"}`, map[string]any{"e": "😀"}},
		{"escaped key", `{"\u00e9":1}`, map[string]any{"é": 1.0}},
		{"all JSON types", `{"s":"x","n":1.5,"t":true,"f":false,"z":null,"l":[1],"o":{"k":"v"}}`,
			map[string]any{"s": "x", "n": 1.5, "t": true, "f": false, "z": nil, "l": []any{1.0}, "o": map[string]any{"k": "v"}}},
		{"whitespace, as other serialisers write", "{ \"a\" : 1 }\n", map[string]any{"a": 1.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := decodeData([]byte(tt.payload))
			if err != nil {
				t.Fatalf("decodeData(%s): %v", tt.payload, err)
			}
			if got := unmarshalEach(t, data); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decodeData(%s) = %#v, want %#v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestDecodeDataRejectsAnythingButAnObject(t *testing.T) {
	for _, payload := range []string{``, `null`, `[]`, `[{"a":1}]`, `"a"`, `1`, `true`, `{`, `{"a":}`, `{"a":1}x`, `{"a":1}{}`, `{'a':1}`, `{"a":NaN}`} {
		if data, err := decodeData([]byte(payload)); err == nil {
			t.Errorf("decodeData(%q) = %v, want an error", payload, data)
		}
	}
}

func TestDecodeDataReadsBackWhatEncodeDataWrites(t *testing.T) {
	want := map[string]any{
		"unicode": "Grüße, 東京, 😀🇫🇷",
		"html":    "<script>&amp;</script>",
		"ctrl":    "tab\there\nnul\x00del\x7f",
		"nested":  map[string]any{"list": []any{1.0, "two", nil, false}, "é": map[string]any{}},
		"number":  -1.25e-3,
	}
	data, err := decodeData(encodeData(marshalEach(t, want)))
	if err != nil {
		t.Fatalf("decodeData(encodeData(m)): %v", err)
	}
	if got := unmarshalEach(t, data); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip = %#v\nwant %#v", got, want)
	}
}

func TestMarshalIsCompactWithoutHTMLEscaping(t *testing.T) {
	got, err := marshal(map[string]any{"b": "<&>", "a": []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":[1],"b":"<&>"}`; string(got) != want {
		t.Errorf("marshal = %q, want %q (no trailing newline, no \\u003c)", got, want)
	}
}

// marshalEach encodes each value as Session.Set does.
func marshalEach(t *testing.T, values map[string]any) map[string]json.RawMessage {
	t.Helper()
	data := make(map[string]json.RawMessage, len(values))
	for k, v := range values {
		raw, err := marshal(v)
		if err != nil {
			t.Fatalf("marshal(%v): %v", v, err)
		}
		data[k] = raw
	}
	return data
}

// unmarshalEach decodes each value as Session.Get into an any does.
func unmarshalEach(t *testing.T, data map[string]json.RawMessage) map[string]any {
	t.Helper()
	values := make(map[string]any, len(data))
	for k, raw := range data {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("value of %q, %s: %v", k, raw, err)
		}
		values[k] = v
	}
	return values
}
