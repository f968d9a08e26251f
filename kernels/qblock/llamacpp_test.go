package qblock

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/half"
)

// The vectors in testdata/llamacpp were made by llama.cpp itself: a small C
// program (not in this repository) that dlopen()s libggml-base.so from the
// npm package node-llama-cpp 3.22.1 (llama.cpp's own prebuilt x86-64
// binaries) and calls, on vectorInput(4096):
//
//	quantize_<type>(x, out, 1, 4096, NULL)     -> <type>.enc     (quantize_row_<type>_ref)
//	quantize_<type>(x, out, 1, 4096, weights)  -> <type>.weighted (quantize_row_<type>_impl)
//	dequantize_row_<type>(<type>.enc)          -> SHA-256 in decodedHashes
//
// To regenerate, write the input with
// QBLOCK_WRITE_INPUT=DIR:N go test -run TestWriteVectorInput ./kernels/qblock/
// (x.f32 and w.f32, little-endian float32) and run such a program on it.
// QBLOCK_VECTORS=DIR:N runs TestLlamaCppVectors against a directory of
// larger vectors made the same way (they were also checked on 2^20 values).

// llamaCppTypes are the types with vectors and their llama.cpp names.
var llamaCppTypes = []struct {
	dt       kernels.DType
	name     string
	weighted bool // EncodeRowWeighted is implemented (bit-exact with _impl)
}{
	{kernels.Q8_0, "q8_0", false}, {kernels.Q4_0, "q4_0", false}, {kernels.Q4_1, "q4_1", false},
	{kernels.Q5_0, "q5_0", false}, {kernels.Q5_1, "q5_1", false},
	{kernels.Q2_K, "q2_K", true}, {kernels.Q3_K, "q3_K", true}, {kernels.Q4_K, "q4_K", true},
	{kernels.Q5_K, "q5_K", true}, {kernels.Q6_K, "q6_K", true},
}

// decodedHashes are the first 8 bytes of the SHA-256 of llama.cpp's
// dequantize_row_<type> output (little-endian float32) for <type>.enc.
var decodedHashes = map[kernels.DType]string{
	kernels.Q8_0: "dd207c421527b036", kernels.Q4_0: "db4535482d22d7f5", kernels.Q4_1: "574aead63e6917b3",
	kernels.Q5_0: "ff246ceb8d63a974", kernels.Q5_1: "9a3b594abf17a21f",
	kernels.Q2_K: "da5bf4b13709b254", kernels.Q3_K: "748a8cd4bd899690", kernels.Q4_K: "0ea77d55a6abdafd",
	kernels.Q5_K: "2f1e4cb5cb9d416b", kernels.Q6_K: "5724c012f8864011",
}

// vectorInput is the input of the llama.cpp vectors: testRow's shapes and
// goldenWeights' importance.
func vectorInput(n int) (x, w []float32) {
	x = testRow(1, n)
	return x, goldenWeights(x)
}

// actInput is the activation row of the llama.cpp vec_dot vectors.
func actInput(n int) []float32 { return testRow(2, n) }

func TestWriteVectorInput(t *testing.T) {
	dir, n := vectorEnv(t, "QBLOCK_WRITE_INPUT")
	if dir == "" {
		t.Skip("QBLOCK_WRITE_INPUT=DIR:N is not set")
	}
	x, w := vectorInput(n)
	for name, v := range map[string][]float32{"x.f32": x, "w.f32": w, "a.f32": actInput(n)} {
		if err := os.WriteFile(filepath.Join(dir, name), f32Bytes(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLlamaCppVectors checks EncodeRow, EncodeRowWeighted and DecodeRow
// byte for byte against llama.cpp's reference quantizers and decoders.
func TestLlamaCppVectors(t *testing.T) {
	dir, n := vectorEnv(t, "QBLOCK_VECTORS")
	custom := dir != ""
	if !custom {
		dir, n = filepath.Join("testdata", "llamacpp"), 4096
	}
	x, w := vectorInput(n)
	for _, ty := range llamaCppTypes {
		want, err := os.ReadFile(filepath.Join(dir, ty.name+".enc"))
		if err != nil {
			t.Fatalf("%s: %v", ty.dt, err)
		}
		got := encode(ty.dt, x)
		if i := firstDiff(got, want); i >= 0 {
			t.Errorf("%s: EncodeRow differs from quantize_row_%s_ref at byte %d of %d (block %d)", ty.dt, ty.name, i, len(want), i/formats[ty.dt].blockBytes)
		}
		y := decode(ty.dt, want, n)
		if custom {
			wantY, err := os.ReadFile(filepath.Join(dir, ty.name+".dec"))
			if err != nil {
				t.Fatalf("%s: %v", ty.dt, err)
			}
			if i := firstDiff(f32Bytes(y), wantY); i >= 0 {
				t.Errorf("%s: DecodeRow differs from dequantize_row_%s at element %d", ty.dt, ty.name, i/4)
			}
		} else {
			sum := sha256.Sum256(f32Bytes(y))
			if h := hex.EncodeToString(sum[:8]); h != decodedHashes[ty.dt] {
				t.Errorf("%s: DecodeRow hash %s, dequantize_row_%s's %s", ty.dt, h, ty.name, decodedHashes[ty.dt])
			}
		}
		if !ty.weighted {
			continue
		}
		want, err = os.ReadFile(filepath.Join(dir, ty.name+".weighted"))
		if err != nil {
			t.Fatalf("%s: %v", ty.dt, err)
		}
		got = make([]byte, len(want))
		EncodeRowWeighted(ty.dt, got, x, w)
		if i := firstDiff(got, want); i >= 0 {
			t.Errorf("%s: EncodeRowWeighted differs from quantize_row_%s_impl at byte %d (block %d)", ty.dt, ty.name, i, i/formats[ty.dt].blockBytes)
		}
	}
}

// vectorEnv parses an environment variable "DIR:N".
func vectorEnv(t *testing.T, key string) (string, int) {
	v := os.Getenv(key)
	if v == "" {
		return "", 0
	}
	dir, ns, ok := strings.Cut(v, ":")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n <= 0 || n%256 != 0 {
		t.Fatalf("%s=%q: want DIR:N with N a positive multiple of 256", key, v)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s: %v", key, err)
	}
	return dir, n
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// firstDiff returns the first index where a and b differ, or -1.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// llamaCppVecDots are llama.cpp's integer dot products on the vectors: the
// weights <type>.enc, the activations actInput(4096) quantized by its
// quantize_row_q8_0 / quantize_row_q8_K (first 8 bytes of the SHA-256 of
// the blocks: Q8_0 f16 d + 32 int8; Q8_K f32 d + 256 int8 + 16 int16
// bsums), and ggml_vec_dot_<type>_q8_{0,K} — from libggml-cpu-
// sapphirerapids.so of node-llama-cpp 3.22.1 (the variant llama.cpp loads
// on an AVX-512 VNNI machine; haswell, icelake and zen4 give the same
// values), called by the same kind of small C program.
var llamaCppVecDots = []struct {
	dt      kernels.DType
	actHash string
	dot     float32
}{
	{kernels.Q8_0, "af7aa292453467a6", 794.873535}, {kernels.Q4_0, "af7aa292453467a6", 717.419067},
	{kernels.Q4_K, "61b7d63f4d45f543", 793.493652}, {kernels.Q5_K, "61b7d63f4d45f543", 874.178223},
	{kernels.Q6_K, "61b7d63f4d45f543", 814.074219},
}

// TestLlamaCppIntDot checks QuantizeAct byte for byte against llama.cpp's
// activation quantization and IntDot (assembly and Go) against its
// vec_dot to float32 rounding (the summation orders differ).
func TestLlamaCppIntDot(t *testing.T) {
	x := actInput(4096)
	for _, v := range llamaCppVecDots {
		var a Act
		QuantizeAct(&a, v.dt, x)
		sum := sha256.Sum256(actBlocks(&a))
		if h := hex.EncodeToString(sum[:8]); h != v.actHash {
			t.Errorf("%s: activation blocks hash %s, llama.cpp's %s", v.dt, h, v.actHash)
		}
		name := strings.ToLower(v.dt.String())
		if v.dt == kernels.Q4_K || v.dt == kernels.Q5_K || v.dt == kernels.Q6_K {
			name = name[:2] + "_K"
		}
		w, err := os.ReadFile(filepath.Join("testdata", "llamacpp", name+".enc"))
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range []float32{IntDot(v.dt, w, &a), intDotGeneric(v.dt, w, &a)} {
			if d := math.Abs(float64(got - v.dot)); d > 2e-6*math.Abs(float64(v.dot)) {
				t.Errorf("%s: IntDot = %v, llama.cpp's vec_dot %v", v.dt, got, v.dot)
			}
		}
	}
}

// actBlocks lays a out as llama.cpp's block_q8_0 or block_q8_K.
func actBlocks(a *Act) []byte {
	var b []byte
	if a.kind == kernels.Q8_0 {
		for i, d := range a.d {
			b = binary.LittleEndian.AppendUint16(b, half.RoundF16(d))
			b = append(b, a.q[32*i:32*i+32]...)
		}
		return b
	}
	for i, d := range a.d {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(d))
		b = append(b, a.q[256*i:256*i+256]...)
		for _, s := range a.bsums[16*i : 16*i+16] {
			b = binary.LittleEndian.AppendUint16(b, uint16(int16(s)))
		}
	}
	return b
}
