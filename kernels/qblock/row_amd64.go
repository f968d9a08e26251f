//go:build amd64 && !purego

package qblock

import (
	"golang.org/x/sys/cpu"

	"github.com/distill-dev/distill/kernels"
)

//go:noescape
func row4DecodeAVX2(y *float32, b *byte, nblocks, half, hdr int, off int32)

//go:noescape
func row4DotFMA(x *float32, b *byte, nblocks, half, hdr int, off int32) float32

//go:noescape
func row8DecodeAVX2(y *float32, b *byte, nblocks int)

//go:noescape
func row8DotFMA(x *float32, b *byte, nblocks int) float32

//go:noescape
func q4kRowAVX2(y *float32, b *byte, nblocks int, c *float32)

//go:noescape
func q4kDotFMA(x *float32, b *byte, nblocks int, c *float32) float32

//go:noescape
func q6kRowAVX2(y *float32, b *byte, nblocks int, s *float32)

//go:noescape
func q5kRowAVX2(y *float32, b *byte, nblocks int, c *float32)

//go:noescape
func q3kRowAVX2(y *float32, b *byte, nblocks int, c *float32)

//go:noescape
func row5DecodeAVX2(y *float32, b *byte, nblocks, hdr int, off int32)

//go:noescape
func q2kRowAVX2(y *float32, b *byte, nblocks int, c *float32)

//go:noescape
func q6kDotFMA(x *float32, b *byte, nblocks int, s *float32) float32

var useRow4 = useAVX2 && cpu.X86.HasF16C

// row4Layout returns the header size and level offset of a 4-bit format
// with "d f16 [| m f16] | nibbles" blocks, or ok == false.
func row4Layout(dt kernels.DType) (hdr int, off int32, ok bool) {
	switch dt {
	case kernels.Q4_0, kernels.I4S_G32, kernels.I4S_G64, kernels.I4S_G128:
		return 2, -8, true
	case kernels.Q4_1, kernels.I4A_G32, kernels.I4A_G64, kernels.I4A_G128:
		return 4, 0, true
	}
	return 0, 0, false
}

// decodeRowArch decodes a whole row in one assembly call where there is a
// kernel for dt; sizes were checked by the caller.
func decodeRowArch(dt kernels.DType, y []float32, b []byte) bool {
	if (dt == kernels.Q4_K || dt == kernels.Q6_K || dt == kernels.Q5_K) && useRow4 && len(y) > 0 {
		kquantRow(dt, y, b, false)
		return true
	}
	if (dt == kernels.Q5_0 || dt == kernels.Q5_1) && useRow4 && len(y) > 0 {
		if dt == kernels.Q5_0 {
			row5DecodeAVX2(&y[0], &b[0], len(y)/32, 2, -16)
		} else {
			row5DecodeAVX2(&y[0], &b[0], len(y)/32, 4, 0)
		}
		return true
	}
	if (dt == kernels.Q3_K || dt == kernels.Q2_K) && useRow4 && len(y) > 0 {
		lowBitRow(dt, y, b)
		return true
	}
	if dt == kernels.Q8_0 && useRow4 && len(y) > 0 {
		row8DecodeAVX2(&y[0], &b[0], len(y)/32)
		return true
	}
	hdr, off, ok := row4Layout(dt)
	if !ok || !useRow4 || len(y) == 0 {
		return false
	}
	g := dt.BlockSize()
	row4DecodeAVX2(&y[0], &b[0], len(y)/g, g/2, hdr, off)
	return true
}

// dotRowArch is DotRow in one assembly call where there is a kernel for dt.
func dotRowArch(dt kernels.DType, x []float32, b []byte) (float32, bool) {
	if (dt == kernels.Q4_K || dt == kernels.Q6_K) && useRow4 && useFMA && len(x) > 0 {
		return kquantRow(dt, x, b, true), true
	}
	if dt == kernels.Q8_0 && useRow4 && useFMA && len(x) > 0 {
		return row8DotFMA(&x[0], &b[0], len(x)/32), true
	}
	hdr, off, ok := row4Layout(dt)
	if !ok || !useRow4 || !useFMA || len(x) == 0 {
		return 0, false
	}
	g := dt.BlockSize()
	return row4DotFMA(&x[0], &b[0], len(x)/g, g/2, hdr, off), true
}

// kquantRow decodes the Q4_K, Q5_K or Q6_K row b into v (dot == false) or
// returns the dot product of v with it (dot == true; Q4_K and Q6_K only),
// q4kChunk super-blocks per assembly call.
func kquantRow(dt kernels.DType, v []float32, b []byte, dot bool) float32 {
	bb := formats[dt].blockBytes
	var c [q4kChunk * 16]float32
	var sum float32
	for i := 0; i < len(v); i += q4kChunk * qkK {
		nb := min(q4kChunk, (len(v)-i)/qkK)
		blk := b[i/qkK*bb:]
		switch {
		case dt == kernels.Q4_K && dot:
			q4kConsts(&c, blk, nb, bb)
			sum += q4kDotFMA(&v[i], &blk[0], nb, &c[0])
		case dt == kernels.Q4_K:
			q4kConsts(&c, blk, nb, bb)
			q4kRowAVX2(&v[i], &blk[0], nb, &c[0])
		case dt == kernels.Q5_K:
			q4kConsts(&c, blk, nb, bb)
			q5kRowAVX2(&v[i], &blk[0], nb, &c[0])
		case dot:
			q6kConsts(&c, blk, nb)
			sum += q6kDotFMA(&v[i], &blk[0], nb, &c[0])
		default:
			q6kConsts(&c, blk, nb)
			q6kRowAVX2(&v[i], &blk[0], nb, &c[0])
		}
	}
	return sum
}

// lowBitRow decodes the Q3_K or Q2_K row b into v, q4kChunk super-blocks
// per assembly call, with the per-sub-block constants computed here exactly
// as dequantize_row_q{3,2}_K do: d*(s_j-32) for Q3_K, {d*sc_j,
// -(dmin*m_j)} for Q2_K.
func lowBitRow(dt kernels.DType, v []float32, b []byte) {
	bb := formats[dt].blockBytes
	var c [q4kChunk * 32]float32
	for i := 0; i < len(v); i += q4kChunk * qkK {
		nb := min(q4kChunk, (len(v)-i)/qkK)
		blk := b[i/qkK*bb:]
		for k := range nb {
			x := blk[bb*k : bb*(k+1)]
			if dt == kernels.Q3_K {
				d := f16(x[108:])
				for j := range 16 {
					c[16*k+j] = d * float32(q3Scale(x[96:108], j))
				}
				continue
			}
			d, dmin := f16(x[80:]), f16(x[82:])
			for j := range 16 {
				c[32*k+2*j] = d * float32(x[j]&15)
				c[32*k+2*j+1] = -(dmin * float32(x[j]>>4))
			}
		}
		if dt == kernels.Q3_K {
			q3kRowAVX2(&v[i], &blk[0], nb, &c[0])
		} else {
			q2kRowAVX2(&v[i], &blk[0], nb, &c[0])
		}
	}
}

// q4kChunk is how many Q4_K or Q6_K blocks one assembly call handles (the
// per-block constants live in a stack array of 16 floats per block).
const q4kChunk = 16

// q4kConsts fills c with {d*sc, -(dmin*m)} for both sub-blocks of each pair
// of the first nb blocks (of bb bytes: Q4_K or Q5_K, which share the
// header) of b, computed exactly as dequantize_row_q{4,5}_K do.
func q4kConsts(c *[q4kChunk * 16]float32, b []byte, nb, bb int) {
	for k := range nb {
		blk := b[bb*k : bb*k+16]
		d, dmin := f16(blk), f16(blk[2:])
		cc := c[16*k : 16*k+16]
		for j := range 8 {
			sc, m := scaleMinK4(j, blk[4:16])
			cc[2*j] = d * float32(sc)
			cc[2*j+1] = -(dmin * float32(m))
		}
	}
}

// q6kConsts fills c with d*scales[j] for the 16 sub-blocks of each of the
// first nb Q6_K blocks of b, as dequantize_row_q6_K computes them.
func q6kConsts(c *[q4kChunk * 16]float32, b []byte, nb int) {
	for k := range nb {
		blk := b[210*k : 210*k+210]
		d := f16(blk[208:])
		for j := range 16 {
			c[16*k+j] = d * float32(int8(blk[192+j]))
		}
	}
}
