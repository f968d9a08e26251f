package cuda

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"strconv"
	"strings"
)

// ptxFiles holds ptx/<source>.sm<arch>.ptx for every *.cu, made by
// `make -C kernels/cuda` (nvcc -ptx -arch=compute_<arch>), and
// ptx/ptxas.txt, what ptxas reports for each kernel on sm_80 and sm_90.
//
//go:embed ptx/*.ptx ptx/ptxas.txt
var ptxFiles embed.FS

// ptxArchs are the virtual architectures the Makefile compiles for, oldest
// first. compute_90 PTX would differ only in its .target line, so one
// compute_80 image serves every GPU (the driver JIT-compiles it).
var ptxArchs = []int{80}

// hashPrefix starts the first line of every PTX file; the SHA-256 of the
// sources it was compiled from follows.
const hashPrefix = "// distill-source-sha256: "

// ptxHash returns the source hash recorded in a PTX file's first line.
func ptxHash(ptx []byte) (string, error) {
	line, _, _ := strings.Cut(string(ptx), "\n")
	h, ok := strings.CutPrefix(line, hashPrefix)
	if !ok {
		return "", fmt.Errorf("first line %q lacks %q", line, hashPrefix)
	}
	return h, nil
}

// ptxFor returns the embedded PTX images for a device of compute
// capability major.minor: the newest architecture not above it.
func ptxFor(major, minor int) (map[string][]byte, int, error) {
	cc := major*10 + minor
	arch := 0
	for _, a := range ptxArchs {
		if a <= cc {
			arch = a
		}
	}
	if arch == 0 {
		return nil, 0, fmt.Errorf("compute capability %d.%d is below the oldest compiled architecture sm_%d", major, minor, ptxArchs[0])
	}
	ents, err := ptxFiles.ReadDir("ptx")
	if err != nil {
		return nil, 0, err
	}
	suffix := fmt.Sprintf(".sm%d.ptx", arch)
	out := map[string][]byte{}
	for _, e := range ents {
		if name, ok := strings.CutSuffix(e.Name(), suffix); ok {
			data, err := ptxFiles.ReadFile("ptx/" + e.Name())
			if err != nil {
				return nil, 0, err
			}
			out[name] = data
		}
	}
	return out, arch, nil
}

// Launch limits of every GPU the PTX targets (sm_80 and newer).
const (
	maxGridX     = 1<<31 - 1
	maxGridYZ    = 65535
	maxThreads   = 1024
	smemLimit    = 48 << 10 // static + dynamic shared memory per block without the opt-in attribute
	regsPerBlock = 65536
)

// kernelResources is what ptxas reports for one kernel on one GPU
// architecture (ptx/ptxas.txt, made by `make kernels-check`).
type kernelResources struct {
	Regs       int // registers per thread
	StaticSmem int // bytes of __shared__ arrays, on top of a launch's dynamic shared memory
	Stack      int // bytes of stack frame per thread
	SpillBytes int // spill stores + loads
}

// ptxasArchs are the real architectures ptxas.txt covers.
var ptxasArchs = []int{80, 90}

// resourcesFor returns ptxas's numbers for every kernel on the newest
// architecture in ptxasArchs not above compute capability major.minor.
func resourcesFor(major, minor int) (map[string]kernelResources, error) {
	cc, arch := major*10+minor, ptxasArchs[0]
	for _, a := range ptxasArchs {
		if a <= cc {
			arch = a
		}
	}
	data, err := ptxFiles.ReadFile("ptx/ptxas.txt")
	if err != nil {
		return nil, err
	}
	return parseResources(data, fmt.Sprintf("sm_%d", arch))
}

// parseResources reads ptxas.txt rows "kernel arch regs smem stack
// spill-stores spill-loads" for arch.
func parseResources(data []byte, arch string) (map[string]kernelResources, error) {
	out := map[string]kernelResources{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		var n [5]int
		bad := len(f) != 7
		for i := 0; !bad && i < 5; i++ {
			v, err := strconv.Atoi(f[2+i])
			n[i], bad = v, err != nil || v < 0
		}
		if bad {
			return nil, fmt.Errorf("ptx/ptxas.txt line %d: %q is not \"kernel arch regs smem stack spill-stores spill-loads\"; run make kernels-check", line, sc.Text())
		}
		if f[1] == arch {
			out[f[0]] = kernelResources{Regs: n[0], StaticSmem: n[1], Stack: n[2], SpillBytes: n[3] + n[4]}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ptx/ptxas.txt has no %s rows; run make kernels-check", arch)
	}
	return out, nil
}
