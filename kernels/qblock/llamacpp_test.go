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

func TestWriteVectorInput(t *testing.T) {
	dir, n := vectorEnv(t, "QBLOCK_WRITE_INPUT")
	if dir == "" {
		t.Skip("QBLOCK_WRITE_INPUT=DIR:N is not set")
	}
	x, w := vectorInput(n)
	for name, v := range map[string][]float32{"x.f32": x, "w.f32": w} {
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
