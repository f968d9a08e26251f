//go:build amd64 && !purego

package qblock

import "github.com/distill-dev/distill/kernels"

// k6TileVNNI computes a tile of IntDotRows: Q6_K weight rows w, w+rb,
// w+2rb, w+3rb (nb 256-element blocks each) times a tile of 8 Q8_K
// activation rows at a (k6Record records interleaved by block, see
// tile.go). It writes 8 x 16 partial sums to out: out[16i+4r+l], l =
// 0..3, add up to the product of weight row r with activation row i.
//
//go:noescape
func k6TileVNNI(w *byte, rb int, a *byte, nb int, out *[tileRows * 16]float32)

// rowsKernelArch: the tile kernels need AVX-512 VNNI (and F16C, FMA).
var rowsKernelArch = useVNNI

// intDotRowsArch runs IntDotRows's groups of 4 weight rows on the tile
// kernels where the CPU has AVX-512 VNNI, and returns how many weight
// rows it did (a multiple of 4; 0 without VNNI).
func intDotRowsArch(dt kernels.DType, w []byte, rb, n int, ar *ActRows, out []float32, ldo int) int {
	if !useVNNI {
		return 0
	}
	astride := ar.nb * recordSize(dt) // per row, on average: a tile is 8 rows
	// Activation rows in chunks of about actChunkBytes (whole tiles), so a
	// chunk stays in L1 while all the weight rows pass it.
	chunk := max(tileRows, actChunkBytes/astride/tileRows*tileRows)
	var t [tileRows * 16]float32
	n4 := n / 4 * 4
	for c0 := 0; c0 < ar.m; c0 += chunk {
		c1 := min(c0+chunk, ar.m)
		for j := 0; j < n4; j += 4 {
			for i0 := c0; i0 < c1; {
				rows := min(tileRows, c1-i0)
				k6TileVNNI(&w[j*rb], rb, &ar.buf[i0*astride], ar.nb, &t)
				for i := i0; i < i0+rows; i++ {
					p := t[16*(i-i0):]
					o := out[i*ldo+j : i*ldo+j+4]
					o[0] = (p[0] + p[1]) + (p[2] + p[3])
					o[1] = (p[4] + p[5]) + (p[6] + p[7])
					o[2] = (p[8] + p[9]) + (p[10] + p[11])
					o[3] = (p[12] + p[13]) + (p[14] + p[15])
				}
				i0 += rows
			}
		}
	}
	return n4
}

// actChunkBytes is the most activation bytes IntDotRows keeps in L1 while
// the weight rows pass (a variable for benchmarks).
var actChunkBytes = 32 << 10
