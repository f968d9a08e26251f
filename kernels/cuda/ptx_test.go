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

// TestPTXResources checks ptx/ptxas.txt: made from the current sources,
// a row per kernel and ptxas architecture, no spills, and every kernel
// within the launch limits the backend uses (48 KiB of shared memory with
// its dynamic part, 65536 registers per block of up to 512 threads).
func TestPTXResources(t *testing.T) {
	want, _ := sourceHash(t)
	data, err := ptxFiles.ReadFile("ptx/ptxas.txt")
	if err != nil {
		t.Fatal(err)
	}
	if line, _, _ := strings.Cut(string(data), "\n"); line != "# distill-source-sha256: "+want {
		t.Errorf("ptx/ptxas.txt was made from other sources (%q); run make kernels-check and commit ptx/", line)
	}
	imgs, _, err := ptxFor(8, 0)
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, img := range imgs {
		for _, line := range strings.Split(string(img), "\n") {
			if name, ok := strings.CutPrefix(line, ".visible .entry "); ok {
				entries = append(entries, strings.TrimSuffix(name, "("))
			}
		}
	}
	for _, arch := range ptxasArchs {
		res, err := resourcesFor(arch/10, arch%10)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			r, ok := res[e]
			switch {
			case !ok:
				t.Errorf("sm_%d: kernel %s has no row in ptx/ptxas.txt; run make kernels-check", arch, e)
			case r.SpillBytes > 0:
				t.Errorf("sm_%d: kernel %s spills %d bytes of registers", arch, e, r.SpillBytes)
			case r.StaticSmem > smemLimit || r.Regs*512 > regsPerBlock:
				t.Errorf("sm_%d: kernel %s: %+v exceeds a block's limits", arch, e, r)
			}
		}
		if len(res) != len(entries) {
			t.Errorf("sm_%d: ptx/ptxas.txt has %d kernels, the PTX %d", arch, len(res), len(entries))
		}
	}
}

func TestParseResources(t *testing.T) {
	for _, bad := range []string{"k sm_80 1 2 3 4", "k sm_80 1 2 3 4 x", "k sm_80 1 -2 3 4 5"} {
		if _, err := parseResources([]byte(bad), "sm_80"); err == nil || !strings.Contains(err.Error(), "make kernels-check") {
			t.Errorf("parseResources(%q): error %v", bad, err)
		}
	}
	got, err := parseResources([]byte("# c\nk_a sm_80 32 512 0 4 4\nk_a sm_90 40 512 0 0 0\n"), "sm_80")
	if err != nil || got["k_a"] != (kernelResources{Regs: 32, StaticSmem: 512, SpillBytes: 8}) {
		t.Errorf("parseResources: %+v, %v", got, err)
	}
}

func TestPTXFor(t *testing.T) {
	for _, tc := range []struct {
		major, minor, arch int
	}{{8, 0, 80}, {8, 9, 80}, {9, 0, 80}, {10, 0, 80}} {
		_, arch, err := ptxFor(tc.major, tc.minor)
		if err != nil || arch != tc.arch {
			t.Errorf("ptxFor(%d.%d) = sm_%d, %v; want sm_%d", tc.major, tc.minor, arch, err, tc.arch)
		}
	}
	if _, _, err := ptxFor(7, 5); err == nil {
		t.Error("ptxFor(7.5): no error for a device older than sm_80")
	}
}
