package llama2c

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

func encodeTiny(version int, shared bool) []byte {
	h, w := tiny(version, shared)
	var buf bytes.Buffer
	if err := Encode(&buf, h, w); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// legacy returns a v0 header with the given fields followed by n zero bytes.
func legacy(vals [7]int32, n int) []byte {
	b := make([]byte, 28+n)
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return b
}

// edit copies data and applies f to the copy.
func edit(data []byte, f func(b []byte) []byte) []byte {
	return f(append([]byte{}, data...))
}

func putI32(b []byte, off int, v int32) []byte {
	binary.LittleEndian.PutUint32(b[off:], uint32(v))
	return b
}

var (
	v0 = encodeTiny(0, false)
	v1 = encodeTiny(1, true)
	// ok is the valid tiny header: dim 8, hidden 12, 2 layers, 2 heads,
	// 1 kv head, vocab 5, seq 4.
	ok = [7]int32{8, 12, 2, 2, 1, 5, 4}
)

func with(i int, v int32) [7]int32 { h := ok; h[i] = v; return h }

// badInput is a malformed file and a fragment its error must contain.
type badInput struct {
	Name string
	Data []byte
	Want string
}

var badInputs = []badInput{
	{"empty", nil, "too short"},
	{"short legacy header", v0[:20], "too short for the 28-byte header"},
	{"short v1 header", v1[:100], "too short for the 256-byte header"},
	{"magic only", v1[:6], "too short for the version"},
	{"zero dim", legacy(with(0, 0), 0), "dim = 0"},
	{"negative hidden", legacy(with(1, -12), 0), "hidden_dim = -12"},
	{"huge layers", legacy(with(2, 1<<30), 0), "n_layers"},
	{"zero heads", legacy(with(3, 0), 0), "n_heads = 0"},
	{"huge vocab", legacy(with(5, -(1<<30)), 0), "vocab_size"},
	{"zero seq", legacy(with(6, 0), 0), "seq_len = 0"},
	{"dim % heads", legacy(with(3, 3), 0), "not a multiple of n_heads"},
	{"heads % kv", legacy([7]int32{8, 12, 2, 4, 3, 5, 4}, 0), "not a multiple of n_kv_heads"},
	{"kv > heads", legacy(with(4, 4), 0), "not a multiple of n_kv_heads"},
	{"odd head size", legacy([7]int32{6, 12, 2, 2, 1, 5, 4}, 0), "head size 3"},
	{"truncated weights", v0[:len(v0)-1], "implies"},
	{"extra byte", append(append([]byte{}, v0...), 0), "implies"},
	{"header only", legacy(ok, 0), "implies"},
	{"flipped share sign", edit(v0, func(b []byte) []byte { return putI32(b, 20, 5) }), "implies"},
	{"version 2", edit(v1, func(b []byte) []byte { return putI32(b, 4, 2) }), "version 2"},
	{"version 7", edit(v1, func(b []byte) []byte { return putI32(b, 4, 7) }), "unknown version 7"},
	{"bad flag", edit(v1, func(b []byte) []byte { b[36] = 2; return b }), "shared_classifier flag"},
	{"v1 negative vocab", edit(v1, func(b []byte) []byte { return putI32(b, 28, -5) }), "vocab_size = -5"},
}

func TestBadInput(t *testing.T) {
	formattest.CheckBadInputs(t, "llama2c", "bad.bin", badInputs, Read, Open)
}

func TestTruncated(t *testing.T) {
	for _, data := range [][]byte{v0, v1} {
		for n := 0; n < len(data); n++ {
			if _, err := Read("cut", data[:n]); err == nil {
				t.Fatalf("prefix of %d/%d bytes accepted", n, len(data))
			}
		}
	}
}
