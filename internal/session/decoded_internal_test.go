package session

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestDecodedKeepsWhatIsInUseWithinItsBound(t *testing.T) {
	var d decoded
	data := map[string]json.RawMessage{"cart": json.RawMessage(`{"1":{"quantity":2}}`)}
	hot := strings.Repeat("h", 500)
	d.put(hot, data)

	// Ten times the bound in other sessions, each read once, while one is
	// read between each of them.
	for i := 0; i < 10*decodedGenerationBytes/1000; i++ {
		d.put(fmt.Sprintf("%0500d", i), data)
		if _, ok := d.get(hot); !ok {
			t.Fatalf("the session in use was dropped after %d others", i)
		}
	}

	held := d.size
	for s, v := range d.prev {
		held += len(s)
		for k, raw := range v {
			held += len(k) + len(raw)
		}
	}
	if held > 2*decodedGenerationBytes {
		t.Fatalf("holds %d bytes, want at most %d", held, 2*decodedGenerationBytes)
	}
	if _, ok := d.get(fmt.Sprintf("%0500d", 0)); ok {
		t.Fatal("the first of the sessions read once is still held")
	}
}

func TestDecodedDoesNotKeepLargeSessions(t *testing.T) {
	var d decoded
	large := strings.Repeat("x", decodedMaxString+1)
	d.put(large, map[string]json.RawMessage{"a": json.RawMessage(`1`)})
	if _, ok := d.get(large); ok {
		t.Fatalf("a %d-byte string was kept, over the %d-byte limit", len(large), decodedMaxString)
	}
}
