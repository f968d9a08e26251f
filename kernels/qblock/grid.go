package qblock

import (
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// Grid is the set of values one block of a block type can hold once its
// scales are fixed: element i decodes level q (0..Levels()-1) to
//
//	float32(A_s * float32(q - Zero)) + C_s,  s = i / (elements per scale)
//
// bit for bit as DecodeRow computes it. Calibrated quantizers (GPTQ) fix a
// block's scales first (NewGrid: the encoder's own choice for some
// weights), then round each weight with Quantize as they go, feeding the
// error forward, and store the levels with Encode, which keeps the scales.
//
//	Q8_0            1 scale,  A = d,          Zero 128, C = -0, q in 0..255
//	Q4_0, I4S_G*    1 scale,  A = d,          Zero 8,   C = -0, q in 0..15
//	Q4_1, I4A_G*    1 scale,  A = d,          Zero 0,   C = m,  q in 0..15
//	Q5_0            1 scale,  A = d,          Zero 16,  C = -0, q in 0..31
//	Q5_1            1 scale,  A = d,          Zero 0,   C = m,  q in 0..31
//	Q4_K (Q5_K)     8 scales, A = d*sc_j,     Zero 0,   C = -(dmin*m_j), q in 0..15 (31)
//	Q6_K            16 scales, A = d*scales_j, Zero 32, C = -0, q in 0..63
//
// (Q8_0's level q stands for the stored int8 q-128.) Q2_K and Q3_K have no
// Grid (HasGrid false).
type Grid struct {
	dt         kernels.DType
	sub        int   // elements per scale
	zero, qmax int32 // level offset and largest level
	a, c       [16]float32
	blk        [maxBlockBytes]byte // the encoded block the scales come from
}

// maxBlockBytes is the largest block of a type with a Grid (Q6_K).
const maxBlockBytes = 210

// HasGrid reports whether dt has a Grid: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
// Q4_K, Q5_K, Q6_K and the int4 group formats.
func HasGrid(dt kernels.DType) bool {
	switch dt {
	case kernels.Q8_0, kernels.Q4_0, kernels.Q4_1, kernels.Q5_0, kernels.Q5_1, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K:
		return true
	}
	return isI4S(dt) || isI4A(dt)
}

// NewGrid returns the grid of the block EncodeRow makes of x (one block,
// len(x) == dt.BlockSize()), or with importance weights w (not nil, and dt
// with a weighted encoder) the grid of EncodeRowWeighted's block. It panics
// when dt has no Grid or the sizes do not match.
func NewGrid(dt kernels.DType, x, w []float32) Grid {
	if !HasGrid(dt) {
		panic("qblock: NewGrid: no grid for " + dt.String())
	}
	if len(x) != dt.BlockSize() {
		panic(fmt.Sprintf("qblock: NewGrid: %d elements for a %s block of %d", len(x), dt, dt.BlockSize()))
	}
	var blk [maxBlockBytes]byte
	b := blk[:formats[dt].blockBytes]
	if w != nil && HasWeighted(dt) {
		EncodeRowWeighted(dt, b, x, w)
	} else {
		EncodeRow(dt, b, x)
	}
	return ReadGrid(dt, b)
}

// ReadGrid returns the grid of the encoded block b of dt. It panics when dt
// has no Grid or b is not one block.
func ReadGrid(dt kernels.DType, b []byte) Grid {
	if !HasGrid(dt) {
		panic("qblock: ReadGrid: no grid for " + dt.String())
	}
	if len(b) != formats[dt].blockBytes {
		panic(fmt.Sprintf("qblock: ReadGrid: %d bytes for a %s block of %d", len(b), dt, formats[dt].blockBytes))
	}
	g := Grid{dt: dt, sub: dt.BlockSize()}
	copy(g.blk[:], b)
	g.c[0] = negZero
	switch {
	case dt == kernels.Q8_0:
		g.zero, g.qmax, g.a[0] = 128, 255, f16(b)
	case dt == kernels.Q4_0 || isI4S(dt):
		g.zero, g.qmax, g.a[0] = 8, 15, f16(b)
	case dt == kernels.Q4_1 || isI4A(dt):
		g.qmax, g.a[0], g.c[0] = 15, f16(b), f16(b[2:])
	case dt == kernels.Q5_0:
		g.zero, g.qmax, g.a[0] = 16, 31, f16(b)
	case dt == kernels.Q5_1:
		g.qmax, g.a[0], g.c[0] = 31, f16(b), f16(b[2:])
	case dt == kernels.Q4_K || dt == kernels.Q5_K:
		g.sub, g.qmax = 32, 15
		if dt == kernels.Q5_K {
			g.qmax = 31
		}
		d, dmin := f16(b), f16(b[2:])
		for j := range 8 {
			sc, m := scaleMinK4(j, b[4:16])
			g.a[j], g.c[j] = d*float32(sc), -(dmin * float32(m))
		}
	case dt == kernels.Q6_K:
		g.sub, g.zero, g.qmax = 16, 32, 63
		d := f16(b[208:])
		for j := range 16 {
			g.a[j], g.c[j] = d*float32(int8(b[192+j])), negZero
		}
	}
	return g
}

// Levels is the number of levels of each element (16, 32, 64 or 256).
func (g *Grid) Levels() int { return int(g.qmax) + 1 }

// Value returns the value level q of element i decodes to.
func (g *Grid) Value(i int, q uint8) float32 {
	s := i / g.sub
	return float32(g.a[s]*float32(int32(q)-g.zero)) + g.c[s]
}

// Quantize returns the level of element i whose value is nearest to v (of
// two equally near, the lower level); with a zero scale every level has
// the same value and Quantize returns Zero's.
func (g *Grid) Quantize(i int, v float32) uint8 {
	s := i / g.sub
	a := g.a[s]
	if a == 0 || v != v {
		return uint8(g.zero)
	}
	t := math.RoundToEven(float64(v-g.c[s])/float64(a)) + float64(g.zero)
	q := int32(max(0, min(float64(g.qmax), t)))
	// The division above is not the decoder's arithmetic: settle the
	// choice on the decoded values of the neighbours.
	best, bestErr := q, abs32(v-g.Value(i, uint8(q)))
	for _, c := range [2]int32{q - 1, q + 1} {
		if c < 0 || c > g.qmax {
			continue
		}
		if e := abs32(v - g.Value(i, uint8(c))); e < bestErr || e == bestErr && c < best {
			best, bestErr = c, e
		}
	}
	return uint8(best)
}

// Encode writes the block with the grid's scales and the levels q
// (len(q) == the block size, each at most Levels()-1) into dst (one block).
// It panics on a size mismatch.
func (g *Grid) Encode(dst []byte, q []uint8) {
	bs, bb := g.dt.BlockSize(), formats[g.dt].blockBytes
	if len(q) != bs || len(dst) != bb {
		panic(fmt.Sprintf("qblock: Grid.Encode: %s block needs %d levels and %d bytes, got %d and %d", g.dt, bs, bb, len(q), len(dst)))
	}
	copy(dst, g.blk[:bb])
	switch {
	case g.dt == kernels.Q8_0:
		for j, l := range q {
			dst[2+j] = l - 128 // the int8 l-128, as a byte
		}
	case g.dt == kernels.Q4_0 || isI4S(g.dt):
		putNibbles(dst[2:], q)
	case g.dt == kernels.Q4_1 || isI4A(g.dt):
		putNibbles(dst[4:], q)
	case g.dt == kernels.Q5_0:
		pack5(dst[2:6], dst[6:22], (*[32]uint8)(q))
	case g.dt == kernels.Q5_1:
		pack5(dst[4:8], dst[8:24], (*[32]uint8)(q))
	case g.dt == kernels.Q4_K:
		packQ4K(dst[16:144], (*[qkK]uint8)(q))
	case g.dt == kernels.Q5_K:
		packQ5K(dst[16:176], (*[qkK]uint8)(q))
	case g.dt == kernels.Q6_K:
		packQ6K(dst, (*[qkK]uint8)(q))
	}
}

// putNibbles stores 2*len(qs) 4-bit levels: q[j] in the low nibble of
// qs[j], q[j+len(qs)] in the high one.
func putNibbles(qs []byte, q []uint8) {
	n := len(qs)
	for j := range qs {
		qs[j] = q[j]&15 | q[j+n]<<4
	}
}
