package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sourceHash is the Makefile's hash: for each *.cu and *.cuh in byte
// order, its name, a newline and its contents.
func sourceHash(t *testing.T) (string, []string) {
	var names, cus []string
	for _, pat := range []string{"*.cu", "*.cuh"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m...)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(n + "\n"))
		h.Write(data)
		if strings.HasSuffix(n, ".cu") {
			cus = append(cus, strings.TrimSuffix(n, ".cu"))
		}
	}
	return hex.EncodeToString(h.Sum(nil)), cus
}

// TestPTXUpToDate fails when a .cu/.cuh file changed (or was added) without
// `make -C kernels/cuda` regenerating the embedded PTX. Runs without a GPU.
func TestPTXUpToDate(t *testing.T) {
	want, cus := sourceHash(t)
	for _, arch := range ptxArchs {
		imgs, _, err := ptxFor(arch/10, arch%10)
		if err != nil {
			t.Fatal(err)
		}
		if len(imgs) != len(cus) {
			t.Errorf("sm_%d: %d PTX files for %d .cu sources %v; run make -C kernels/cuda", arch, len(imgs), len(cus), cus)
		}
		for _, cu := range cus {
			img, ok := imgs[cu]
			if !ok {
				t.Errorf("ptx/%s.sm%d.ptx missing; run make -C kernels/cuda", cu, arch)
				continue
			}
			got, err := ptxHash(img)
			if err != nil {
				t.Errorf("ptx/%s.sm%d.ptx: %v", cu, arch, err)
			} else if got != want {
				t.Errorf("ptx/%s.sm%d.ptx was compiled from other sources (hash %.12s, sources %.12s); run make -C kernels/cuda and commit ptx/", cu, arch, got, want)
			}
		}
	}
}

func TestPTXFor(t *testing.T) {
	for _, tc := range []struct {
		major, minor, arch int
	}{{8, 0, 80}, {8, 9, 80}, {9, 0, 90}, {10, 0, 90}} {
		_, arch, err := ptxFor(tc.major, tc.minor)
		if err != nil || arch != tc.arch {
			t.Errorf("ptxFor(%d.%d) = sm_%d, %v; want sm_%d", tc.major, tc.minor, arch, err, tc.arch)
		}
	}
	if _, _, err := ptxFor(7, 5); err == nil {
		t.Error("ptxFor(7.5): no error for a device older than sm_80")
	}
}
