package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An imatrix made for another model (unknown tensor, wrong width) or not
// an imatrix at all: quantize and export fail naming the file and the
// mismatch, and leave no output behind.
func TestImatrixMismatchLeavesNoFile(t *testing.T) {
	bin := filepath.Join("..", "..", "testdata", "quickstart", "teacher.bin")
	data := filepath.Join("..", "..", "testdata", "quickstart", "valid.txt")
	dir := t.TempDir()
	legacy := func(name string, k int) string {
		var b bytes.Buffer
		for _, v := range []any{int32(1), int32(len(name)), []byte(name), int32(1), int32(k), make([]float32, k)} {
			_ = binary.Write(&b, binary.LittleEndian, v)
		}
		p := filepath.Join(dir, name+".dat")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	junk := filepath.Join(dir, "junk.dat")
	_ = os.WriteFile(junk, []byte("not an imatrix"), 0o644)
	for _, tc := range []struct {
		imatrix, want string
	}{
		{legacy("blk.99.attn_q.weight", 64), "blk.99.attn_q.weight is not a matrix of this model"},
		{legacy("blk.0.attn_q.weight", 3), "blk.0.attn_q.weight has 3 columns"},
		{junk, "junk.dat"},
	} {
		for _, args := range [][]string{
			{"quantize", bin, "--data", data, "--method", "q4_0", "--limit", "512"},
			{"export", bin, "--format", "gguf", "--dtype", "q4_0"},
		} {
			out := filepath.Join(dir, "out.gguf")
			var stdout, stderr bytes.Buffer
			full := append(append([]string{"distill", "--progress", "none"}, args...), "--imatrix", tc.imatrix, "--out", out)
			if code := run(full, &stdout, &stderr, teacherHooks()); code == 0 {
				t.Errorf("%s with %s: exit 0", args[0], tc.imatrix)
			}
			if !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "--imatrix") {
				t.Errorf("%s with %s: stderr %q, want it to mention --imatrix and %q", args[0], tc.imatrix, stderr.String(), tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s with %s left %s behind", args[0], tc.imatrix, out)
			}
		}
	}
}
