package safetensors

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// raw builds a file from a header string and dataLen zero bytes.
func raw(header string, dataLen int) []byte {
	b := make([]byte, 8, 8+len(header)+dataLen)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, dataLen)...)
}

// withLen builds a file whose length field says n regardless of its content.
func withLen(n uint64, rest string) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, n)
	return append(b, rest...)
}

// badInputs are malformed files, each with a fragment its error must hold.
// badInput is a malformed file and a fragment its error must contain.
type badInput struct {
	Name string
	Data []byte
	Want string
}

var badInputs = []badInput{
	{"empty file", nil, "too short"},
	{"truncated length", []byte{1, 0, 0}, "too short"},
	{"length past end", withLen(1000, `{}`), "points past the end"},
	{"huge length", withLen(1<<62, `{}`), "exceeds"},
	{"max uint64 length", withLen(^uint64(0), `{}`), "exceeds"},
	{"not an object", raw(`[1,2]`, 0), "does not start with '{'"},
	{"empty header", raw(``, 0), "does not start"},
	{"bad json", raw(`{"a": {"dtype": "F32",`, 0), "header"},
	{"truncated json", raw(`{"a"`, 0), "header"},
	{"trailing junk", raw(`{}  x`, 0), "trailing data"},
	{"two objects", raw(`{}{}`, 0), "trailing data"},
	{"duplicate tensor", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), `duplicate header key "a"`},
	{"metadata not strings", raw(`{"__metadata__":{"k":1}}`, 0), "__metadata__"},
	{"tensor not an object", raw(`{"a":5}`, 0), `tensor "a"`},
	{"missing dtype", raw(`{"a":{"shape":[1],"data_offsets":[0,1]}}`, 1), `tensor "a": missing dtype`},
	{"missing shape", raw(`{"a":{"dtype":"U8","data_offsets":[0,1]}}`, 1), `tensor "a": missing shape`},
	{"missing offsets", raw(`{"a":{"dtype":"U8","shape":[1]}}`, 1), `tensor "a": data_offsets has 0`},
	{"three offsets", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, 1), "has 3 values"},
	{"unknown dtype", raw(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, 16), `tensor "a": unknown dtype "F128"`},
	{"negative dim", raw(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}`, 1), `tensor "a"`},
	{"fractional dim", raw(`{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}`, 1), `tensor "a"`},
	{"overflowing shape", raw(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4), "overflows"},
	{"overflowing bytes", raw(`{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}}`, 4), "overflows"},
	{"huge dim", raw(`{"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,4]}}`, 4), "too large"},
	{"reversed offsets", raw(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[2,1]}}`, 2), "reversed"},
	{"offsets past end", raw(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}`, 2), "run past"},
	{"huge offsets", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551614,18446744073709551615]}}`, 2), "run past"},
	{"size mismatch", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), "needs 8 bytes"},
	{"overlap", raw(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, 3), `tensor "b"`},
	{"gap", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`, 3), "gap"},
	{"uncovered tail", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 5), "cover 1 of the 5"},
	{"sub-byte size", raw(`{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`, 2), "whole number of bytes"},
	{"empty name", raw(`{"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1), "empty tensor name"},
}

func TestBadInput(t *testing.T) {
	formattest.CheckBadInputs(t, "safetensors", "bad.safetensors", badInputs, Read, Open)
}

// TestTruncated cuts a valid file at every length: each prefix must be
// refused (the tensors must tile the data exactly, so no prefix is valid).
func TestTruncated(t *testing.T) {
	data := encode(t, sampleTensors(), map[string]string{"format": "pt"})
	for n := 0; n < len(data); n++ {
		if _, err := Read("cut", data[:n]); err == nil {
			t.Fatalf("prefix of %d/%d bytes accepted", n, len(data))
		}
	}
}

func TestBadIndex(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"not json", `{`, "index JSON"},
		{"no map", `{"metadata":{}}`, "no weight_map"},
		{"map not strings", `{"weight_map":{"a":1}}`, "index JSON"},
		{"absolute path", `{"weight_map":{"a":"/etc/passwd"}}`, "plain file name"},
		{"dot dot", `{"weight_map":{"a":".."}}`, "plain file name"},
	} {
		if _, err := parseIndex("idx.json", []byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "idx.json") {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
