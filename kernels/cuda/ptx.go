package cuda

import (
	"embed"
	"fmt"
	"strings"
)

// ptxFiles holds ptx/<source>.sm<arch>.ptx for every *.cu, made by
// `make -C kernels/cuda` (nvcc -ptx -arch=compute_<arch>).
//
//go:embed ptx/*.ptx
var ptxFiles embed.FS

// ptxArchs are the virtual architectures the Makefile compiles for, oldest
// first.
var ptxArchs = []int{80, 90}

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
