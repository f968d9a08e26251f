package mmap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4096, 10000} {
		path := filepath.Join(dir, "f")
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(i * 7)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(f.Data) != string(want) {
			t.Errorf("size %d: content differs", size)
		}
		if size > 0 && runtime.GOOS == "linux" && !f.Mapped() {
			t.Errorf("size %d: not mapped on linux", size)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal("second Close:", err)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Error("Open of a missing file succeeded")
	}
	if _, err := Open(dir); err == nil {
		t.Error("Open of a directory succeeded")
	}
}

func TestFallback(t *testing.T) {
	mapFileHook = func(*os.File, int) ([]byte, func() error, bool, error) { return nil, nil, false, os.ErrInvalid }
	defer func() { mapFileHook = mapFile }()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Mapped() || string(f.Data) != "hello" {
		t.Errorf("fallback: mapped %v, data %q", f.Mapped(), f.Data)
	}
	f.Close()
}

func TestFloat32s(t *testing.T) {
	vals := []float32{1, -2.5, float32(math.Pi), 0}
	buf := make([]byte, 1+4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(buf[1+4*i:], math.Float32bits(v))
	}
	for _, off := range []int{1} { // unaligned: decoded copy
		got := Float32s(buf[off:])
		for i := range vals {
			if got[i] != vals[i] {
				t.Fatalf("off %d: got %v want %v", off, got, vals)
			}
		}
	}
	aligned := make([]byte, 4*len(vals))
	copy(aligned, buf[1:])
	got := Float32s(aligned)
	for i := range vals {
		if got[i] != vals[i] {
			t.Fatalf("aligned: got %v want %v", got, vals)
		}
	}
	if Float32s(nil) != nil {
		t.Error("Float32s(nil) != nil")
	}
	defer func() {
		if recover() == nil {
			t.Error("Float32s of 3 bytes did not panic")
		}
	}()
	Float32s(make([]byte, 3))
}

func TestCheckFinite(t *testing.T) {
	f32 := func(vs ...float32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	h16 := func(bits ...uint16) []byte {
		b := make([]byte, 2*len(bits))
		for i, v := range bits {
			binary.LittleEndian.PutUint16(b[2*i:], v)
		}
		return b
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(-1))
	tests := []struct {
		name string
		dt   kernels.DType
		data []byte
		want int
	}{
		{"f32 finite", kernels.F32, f32(1, math.MaxFloat32, -0, 1e-45), -1},
		{"f32 nan", kernels.F32, f32(1, 2, nan), 2},
		{"f32 -inf", kernels.F32, f32(inf, 0), 0},
		{"f16 finite", kernels.F16, h16(0x3c00, 0x7bff, 0xfbff), -1},
		{"f16 inf", kernels.F16, h16(0x3c00, 0x7c00), 1},
		{"f16 nan", kernels.F16, h16(0xfe00), 0},
		{"bf16 finite", kernels.BF16, h16(0x3f80, 0x7f7f), -1},
		{"bf16 nan", kernels.BF16, h16(0x3f80, 0x3f80, 0x7fc0), 2},
		{"q8_0 unchecked", kernels.Q8_0, h16(0xffff), -1},
	}
	for _, tc := range tests {
		if got := CheckFinite(tc.dt, tc.data); got != tc.want {
			t.Errorf("%s: got %d want %d", tc.name, got, tc.want)
		}
	}
}

// TestModifiedUnderneath: a checkpoint truncated or rewritten by another
// program while it is open must not crash the process (SIGBUS with a plain
// file mapping): every way of changing it in place (truncating, writing
// into it, another process rewriting it) leaves the open File with the
// bytes it was opened with. On Linux the file is mapped under a lease, and
// the change first moves the mapping into a copy. A file already open for
// writing when Open runs is copied at once.
func TestModifiedUnderneath(t *testing.T) {
	want := make([]byte, 3<<20+5)
	for i := range want {
		want[i] = byte(i * 29)
	}
	tests := []struct {
		name   string
		modify func(path string) error
	}{
		{"truncate", func(path string) error { return os.Truncate(path, 4096) }},
		{"truncate and rewrite", func(path string) error {
			if err := os.Truncate(path, 0); err != nil {
				return err
			}
			return os.WriteFile(path, []byte("rewritten"), 0o644)
		}},
		{"write in place", func(path string) error {
			w, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			if _, err := w.WriteAt(make([]byte, 1<<20), 1<<20); err != nil {
				return err
			}
			return w.Close()
		}},
		{"other process", func(path string) error {
			if _, err := exec.LookPath("sh"); err != nil {
				t.Skip("no sh")
			}
			// a shell's > opens with O_TRUNC and waits for the lease;
			// coreutils truncate opens with O_NONBLOCK and is refused
			// (EAGAIN) while the lease breaks, which is as safe.
			if out, err := exec.Command("sh", "-c", `echo rewritten > "$1"`, "sh", path).CombinedOutput(); err != nil {
				return fmt.Errorf("sh: %v: %s", err, out)
			}
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "model.safetensors")
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if runtime.GOOS == "linux" && !f.FileBacked() {
				t.Error("not mapped from the file on linux (no lease?)")
			}
			if err := tc.modify(path); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.Data, want) {
				t.Error("content changed with the file")
			}
		})
	}
	t.Run("open for writing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "model.safetensors")
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.FileBacked() {
			t.Error("file open for writing was mapped rather than copied")
		}
		if _, err := w.WriteAt([]byte("changed"), 0); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.Data, want) {
			t.Error("content changed with the file")
		}
	})
}
