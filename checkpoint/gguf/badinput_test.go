package gguf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// build assembles a file field by field with the package's encoder, so
// each bad input below can break exactly one thing.
func build(fields func(e *encoder)) []byte {
	var buf bytes.Buffer
	e := &encoder{w: &buf}
	fields(e)
	return buf.Bytes()
}

// header writes magic, version 3 and the counts.
func header(e *encoder, nTensors, nKV uint64) {
	e.raw([]byte(Magic))
	e.u32(3)
	e.u64(nTensors)
	e.u64(nKV)
}

// info writes a tensor info.
func info(e *encoder, name string, ne []uint64, typ GGMLType, off uint64) {
	e.str(name)
	e.u32(uint32(len(ne)))
	for _, n := range ne {
		e.u64(n)
	}
	e.u32(uint32(typ))
	e.u64(off)
}

// oneTensor is a valid file with one F32 tensor of 4 elements; edit
// tweaks its info.
func oneTensor(name string, ne []uint64, typ GGMLType, off uint64, dataLen int) []byte {
	return build(func(e *encoder) {
		header(e, 1, 0)
		info(e, name, ne, typ, off)
		e.pad(DefaultAlignment)
		e.raw(make([]byte, dataLen))
	})
}

func validFile() []byte {
	var buf bytes.Buffer
	if err := Encode(&buf, allKV(), allTensors()); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// badInput is a malformed file and a fragment its error must contain.
type badInput struct {
	Name string
	Data []byte
	Want string
}

var badInputs = []badInput{
	{"empty", nil, "magic at offset 0"},
	{"short magic", []byte("GG"), "magic"},
	{"wrong magic", []byte("GGML\x03\x00\x00\x00"), "bad magic"},
	{"version 1", build(func(e *encoder) { e.raw([]byte(Magic)); e.u32(1) }), "version 1"},
	{"version 4", build(func(e *encoder) { e.raw([]byte(Magic)); e.u32(4) }), "unsupported GGUF version 4"},
	{"big endian", build(func(e *encoder) { e.raw([]byte(Magic)); e.u32(0x03000000) }), "big-endian"},
	{"truncated counts", build(func(e *encoder) { e.raw([]byte(Magic)); e.u32(3); e.u32(0) }), "tensor_count at offset 8"},
	{"huge tensor count", build(func(e *encoder) { header(e, 1<<60, 0) }), "tensor_count"},
	{"huge kv count", build(func(e *encoder) { header(e, 0, ^uint64(0)) }), "metadata_kv_count"},
	{"missing kv", build(func(e *encoder) { header(e, 0, 1) }), "cannot fit"},
	{"key past end", build(func(e *encoder) { header(e, 0, 1); e.u64(1 << 40); e.raw(make([]byte, 8)) }), "metadata key"},
	{"empty key", build(func(e *encoder) { header(e, 0, 1); e.str(""); e.u32(uint32(Uint8)); e.u8(1) }), "key length 0"},
	{"duplicate key", build(func(e *encoder) {
		header(e, 0, 2)
		e.str("a")
		e.u32(uint32(Uint8))
		e.u8(1)
		e.str("a")
		e.u32(uint32(Uint8))
		e.u8(1)
	}), `"a" at offset 38: duplicate`},
	{"unknown value type", build(func(e *encoder) { header(e, 0, 1); e.str("k"); e.u32(13); e.u64(0) }), `key "k" at offset 33: unknown value type 13`},
	{"bool 2", build(func(e *encoder) { header(e, 0, 1); e.str("k"); e.u32(uint32(Bool)); e.u8(2) }), "want 0 or 1"},
	{"truncated value", build(func(e *encoder) { header(e, 0, 1); e.str("k"); e.u32(uint32(Uint64)); e.u32(0) }), `key "k": uint64 at offset 37`},
	{"string past end", build(func(e *encoder) { header(e, 0, 1); e.str("k"); e.u32(uint32(String)); e.u64(100); e.raw([]byte("ab")) }), "length 100 exceeds"},
	{"array bad elem", build(func(e *encoder) { header(e, 0, 1); e.str("k"); e.u32(uint32(Array)); e.u32(77); e.u64(0) }), "unknown element type 77"},
	{"array huge count", build(func(e *encoder) {
		header(e, 0, 1)
		e.str("k")
		e.u32(uint32(Array))
		e.u32(uint32(Uint32))
		e.u64(1 << 61)
	}), "cannot fit"},
	{"array huge strings", build(func(e *encoder) {
		header(e, 0, 1)
		e.str("k")
		e.u32(uint32(Array))
		e.u32(uint32(String))
		e.u64(1 << 40)
		e.raw(make([]byte, 64))
	}), "cannot fit"},
	{"array bad bool", build(func(e *encoder) {
		header(e, 0, 1)
		e.str("k")
		e.u32(uint32(Array))
		e.u32(uint32(Bool))
		e.u64(2)
		e.raw([]byte{1, 9})
	}), "bool element 1"},
	{"deep nesting", build(func(e *encoder) {
		header(e, 0, 1)
		e.str("k")
		e.u32(uint32(Array))
		for i := 0; i < 40; i++ {
			e.u32(uint32(Array))
			e.u64(1)
		}
		e.u32(uint32(Uint8))
		e.u64(0)
	}), "nested deeper"},
	{"alignment type", build(func(e *encoder) { header(e, 0, 1); e.str(AlignmentKey); e.u32(uint32(Uint64)); e.u64(32) }), "want uint32"},
	{"alignment zero", build(func(e *encoder) { header(e, 0, 1); e.str(AlignmentKey); e.u32(uint32(Uint32)); e.u32(0) }), "alignment 0"},
	{"alignment 12", build(func(e *encoder) { header(e, 0, 1); e.str(AlignmentKey); e.u32(uint32(Uint32)); e.u32(12) }), "alignment 12"},
	{"long tensor name", oneTensor(strings.Repeat("x", 65), []uint64{4}, TypeF32, 0, 16), "name length 65"},
	{"empty tensor name", oneTensor("", []uint64{4}, TypeF32, 0, 16), "name length 0"},
	{"too many dims", oneTensor("t", []uint64{1, 1, 1, 1, 4}, TypeF32, 0, 16), `tensor "t" (info at offset 24): 5 dimensions`},
	{"retired type", oneTensor("t", []uint64{4}, 4, 0, 16), `tensor "t" (info at offset 24): unknown ggml type 4`},
	{"unknown type", oneTensor("t", []uint64{4}, 1000, 0, 16), "unknown ggml type 1000"},
	{"misaligned offset", oneTensor("t", []uint64{4}, TypeF32, 4, 20), "not a multiple of the alignment 32"},
	{"huge offset", oneTensor("t", []uint64{4}, TypeF32, 1<<63, 16), "out of range"},
	{"data past EOF", oneTensor("t", []uint64{4}, TypeF32, 0, 15), `tensor "t": 16 bytes of F32 [4] at offset 64 run past the end`},
	{"offset past EOF", oneTensor("t", []uint64{4}, TypeF32, 64, 16), "run past the end"},
	{"huge dim", oneTensor("t", []uint64{1 << 63}, TypeF32, 0, 16), "dimension 0 is"},
	{"dims overflow", oneTensor("t", []uint64{1 << 40, 1 << 40}, TypeF32, 0, 16), "overflow"},
	{"block multiple", oneTensor("t", []uint64{31}, TypeQ8_0, 0, 34), "not a multiple of the block size 32"},
	{"truncated info", build(func(e *encoder) { header(e, 1, 0); e.str("t"); e.u32(2); e.u64(4); e.raw(make([]byte, 4)) }), `tensor "t" (info at offset 24): dimension at offset 45`},
	{"duplicate tensor", build(func(e *encoder) {
		header(e, 2, 0)
		info(e, "t", []uint64{4}, TypeF32, 0)
		info(e, "t", []uint64{4}, TypeF32, 32)
		e.pad(32)
		e.raw(make([]byte, 64))
	}), "duplicate tensor name"},
	{"overlap", build(func(e *encoder) {
		header(e, 2, 0)
		info(e, "a", []uint64{16}, TypeF32, 0)
		info(e, "b", []uint64{4}, TypeF32, 32)
		e.pad(32)
		e.raw(make([]byte, 64))
	}), `tensor "b" at offset`},
	{"data start past EOF", build(func(e *encoder) { header(e, 1, 0); info(e, "t", []uint64{0}, TypeF32, 0) }), "tensor data would start"},
}

func TestBadInput(t *testing.T) {
	formattest.CheckBadInputs(t, "gguf", "bad.gguf", badInputs, Read, Open)
}

// TestTruncated cuts a valid file anywhere before the end of its last
// tensor's data: every prefix must be refused.
func TestTruncated(t *testing.T) {
	data := validFile()
	f, err := Read("full", data)
	if err != nil {
		t.Fatal(err)
	}
	var end int
	for _, tt := range f.Tensors() {
		end = max(end, int(tt.Offset)+len(tt.Data))
	}
	for n := 0; n < end; n++ {
		if _, err := Read("cut", data[:n]); err == nil {
			t.Fatalf("prefix of %d/%d bytes accepted", n, len(data))
		}
	}
}
