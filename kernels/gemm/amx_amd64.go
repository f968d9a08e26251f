package gemm

import (
	"sync"
	"syscall"

	"golang.org/x/sys/cpu"
)

// The AMX bf16 kernel: TDPBF16PS multiplies 16x32 bfloat16 tiles of A
// (rows of k-pairs, packed row by row: kernel.rowsA) by 16x16 k-pair tiles
// of B (the packed B panel of bf16.go, 32 columns wide: two tiles side by
// side) into 16x16 float32 tiles of C. One call of microAMXBF16_32x32 keeps a
// 32x32 block of C in four tile registers and streams k in steps of 16
// pairs, then a shorter tile configuration takes the rest of k.
//
// Linux grants the tile data state per process on request
// (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)); without it any tile
// instruction raises SIGILL. The kernel saves the tiles in signal frames
// (Go's 32 KiB signal stacks hold them), and the asm function is no async
// preemption point, so the tiles live only between its LDTILECFG and
// TILERELEASE with no Go code in between.

// amxConfigs[0] is the tile configuration of the main loop (eight 16-row,
// 64-byte tiles: C 0-3, A 4-5, B 6-7); amxConfigs[r] that of a last step
// of r < 16 pairs (A tiles r*4 bytes wide, B tiles r rows).
var amxConfigs [16][64]byte

func init() {
	for r := range amxConfigs {
		c := &amxConfigs[r]
		c[0] = 1 // palette 1
		for t := 0; t < 8; t++ {
			colsb, rows := 64, 16
			if r > 0 && (t == 4 || t == 5) {
				colsb = 4 * r
			}
			if r > 0 && (t == 6 || t == 7) {
				rows = r
			}
			c[16+2*t] = byte(colsb)
			c[48+t] = byte(rows)
		}
	}
}

// amxBF16Kernel is the AMX kernel: 32x32 C blocks; the A block (128 rows
// by 1024 bf16 values, 256 KiB) stays in L2 with the 32-column B panel
// (64 KiB) it meets, as for avx512BF16Kernel. The blocking was not tuned.
var amxBF16Kernel = &kernel{
	name: "amxbf16-32x32",
	mr:   32, nr: 32,
	mc: 128, kc: 1024, nc: 4096,
	pairs:   true,
	rowsA:   true,
	micro:   microAMXBF16_32x32,
	packT16: packT32AVX512,
}

// amxPermission asks Linux once for the tile data state; it reports
// whether tile instructions may run in this process.
var amxPermission = sync.OnceValue(func() bool {
	const (
		sysArchPrctl      = 158
		archReqXcompPerm  = 0x1023
		xfeatureXtiledata = 18
	)
	_, _, errno := syscall.RawSyscall(sysArchPrctl, archReqXcompPerm, xfeatureXtiledata, 0)
	return errno == 0
})

// hasAMXBF16 reports whether this CPU and OS run the AMX bf16 kernel.
func hasAMXBF16() bool {
	return cpu.X86.HasAMXTile && cpu.X86.HasAMXBF16 && cpu.X86.HasAVX512F && amxPermission()
}

// microAMXBF16_32x32 is kernel.micro of amxBF16Kernel (k counts pairs;
// amx_amd64.s): C[0:32, 0:32] = alpha*A*B + beta*C (C not read when beta
// is 0) for the packed A (32 rows of k words) and B (k steps of 32 words),
// the tiles stored through a 4 KiB scratch on its stack frame.
//
//go:noescape
func microAMXBF16_32x32(k int, a, b, c *float32, ldc int, alpha, beta float32)
