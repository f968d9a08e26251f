package qblock

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/half"
)

// Repacked Q8_0, Q4_0, Q4_K, Q5_K and Q6_K weights for the multi-row
// integer dot products (PanelDot), as llama.cpp's CPU backend repacks Q4_0
// and Q4_K at load (its block_q4_0x8 and block_q4_Kx8 layouts): the rows are regrouped into panels of 16, and a
// panel's block is stored so that one 64-byte vector holds four
// consecutive levels of each of the 16 rows, one row per int32 lane. A
// VPDPBUSD of that vector with four activation levels broadcast to every
// lane then adds four products to each row's own sum: eight such
// instructions make a 32-element block of 16 rows for one activation row,
// with no lane shuffling and no horizontal additions, and the block's 16
// weight scales are one vector that multiplies all 16 sums at once. On
// the GGUF layout (the 4-row tiles this replaced) each row's block spreads
// over four lanes, so every block cost a conversion, a multiply and a
// fused multiply-add per four lanes of each row; on the panels they are
// shared by 16 rows.
//
// Q8_0 and Q4_0: a panel of nb blocks is nb x panelQuantBytes bytes of
// levels followed by nb x 32 bytes of f16 scales (row r's at 2r), padded
// to 64 bytes. Q4_0: block b's levels are 4 vectors; vector v lane r
// holds bytes [4v, 4v+4) of row r's 16 level bytes as GGUF stores them
// (elements 4v..4v+3 in the low nibbles, 16+4v.. in the high ones), so
// the kernel gets two steps of 4 elements from each vector with an AND
// and a shift. Q8_0: 8 vectors, vector s lane r holding row r's levels
// [4s, 4s+4) flipped to unsigned (xor 0x80).
//
// Q4_K: a panel is nb super-blocks of k4PanelBytes: the levels (2048
// bytes: sub-block pair j's 32 level bytes, low nibbles sub-block 2j and
// high ones 2j+1 as GGUF stores them, as 8 vectors; vector v lane r holds
// row r's bytes [4v, 4v+4) of the pair), then the 6-bit scales sc_s (8 x
// 16 bytes, byte r row r's) and mins m_s (8 x 16), then the 16 f16 d and
// the 16 f16 dmin. The kernel sums as llama.cpp does: in int32 per lane,
// sum_s sc_s*isum_s and sum_s m_s*bsum_s, then d*d_a and dmin*d_a once per
// super-block.
//
// Q6_K: a panel is nb super-blocks of k6PanelBytes: the levels as bytes
// (q+32 in 0..63, 4096 bytes: 32-element chunk c's 8 vectors at 512c,
// vector t lane r holding row r's levels [32c+4t, 32c+4t+4)), then per
// chunk 64 bytes of int8 scales: the 16 rows' scales of sub-block 2c, of
// 2c+1, and the two interleaved (row r's pair at 2r), then the 16 f16 d.
// Unpacked levels take 1.4x the GGUF bytes; the kernel then needs no
// unpacking at all.
//
// Q5_K: Q6_K's byte levels (q in 0..31) followed by Q4_K's scales, mins,
// d and dmin (k5PanelBytes per super-block, 1.57x the GGUF bytes).
//
// Rows past the last of a partial panel are zero.

// panelRows is the weight rows of one panel (the int32 lanes of a vector).
const panelRows = 16

// The k-quant panels' super-block layouts (see above), byte offsets
// within one super-block of a panel of 16 rows, shared with the kernels
// (panel_k_amd64.s, through go_asm.h). Q4_K and Q5_K: the levels, then
// from kScalesAt(dt) the scales (8 x 16 bytes), the mins (8 x 16, at
// kMinsOff), d (at kDOff) and dmin (at kDminOff), f16 each. Q6_K: byte
// levels, 8 x 64 bytes of int8 scales, d at k6DOff; padded to 64 bytes.
const (
	k4Levels     = 2048 // Q4_K's nibbles
	byteLevels   = 4096 // Q5_K's and Q6_K's levels as bytes
	kMinsOff     = 8 * 16
	kDOff        = 2 * 8 * 16
	kDminOff     = kDOff + 2*panelRows
	kTailBytes   = kDminOff + 2*panelRows
	k4PanelBytes = k4Levels + kTailBytes
	k5PanelBytes = byteLevels + kTailBytes
	k6DOff       = byteLevels + 8*64
	k6PanelBytes = (k6DOff + 2*panelRows + 63) &^ 63
)

// kScalesAt returns where a Q4_K or Q5_K panel super-block's scales start.
func kScalesAt(dt kernels.DType) int {
	if dt == kernels.Q5_K {
		return byteLevels
	}
	return k4Levels
}

// superPanelBytes returns the panel bytes of one super-block of a k-quant
// type, 0 for the 32-element types.
func superPanelBytes(dt kernels.DType) int {
	switch dt {
	case kernels.Q4_K:
		return k4PanelBytes
	case kernels.Q5_K:
		return k5PanelBytes
	case kernels.Q6_K:
		return k6PanelBytes
	}
	return 0
}

// PanelType reports whether PackPanels takes weights of dtype dt.
func PanelType(dt kernels.DType) bool {
	switch dt {
	case kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K:
		return true
	}
	return false
}

// PanelKernel reports whether PanelDot runs weights of dtype dt on a
// vector kernel on this CPU (AVX-512 VNNI). Elsewhere it runs a Go loop
// over the panels, slower than IntDot on the GGUF rows; callers repack
// only where this is true.
func PanelKernel(dt kernels.DType) bool { return PanelType(dt) && panelArch }

// PanelAlign is the row alignment of PanelDot's first weight row.
const PanelAlign = panelRows

// Panels is n rows of Q8_0, Q4_0, Q4_K, Q5_K or Q6_K weights repacked for
// PanelDot.
type Panels struct {
	dt     kernels.DType
	n, nb  int    // weight rows, GGUF blocks per row
	stride int    // bytes per panel
	buf    []byte // panels, the first 64-byte aligned
}

// panelQuantBytes returns the level bytes of one block of a panel.
func panelQuantBytes(dt kernels.DType) int {
	if dt == kernels.Q4_0 {
		return panelRows * 16
	}
	return panelRows * 32
}

// Rows returns the number of weight rows.
func (p *Panels) Rows() int { return p.n }

// Bytes returns the memory the panels hold.
func (p *Panels) Bytes() int { return len(p.buf) }

// PackPanels repacks the n rows of w (rb bytes each, GGUF blocks of
// dtype dt) into panels. It panics when PanelType(dt) is false or the sizes
// disagree.
func PackPanels(dt kernels.DType, w []byte, rb, n int) *Panels {
	if !PanelType(dt) {
		panic("qblock: PackPanels: no panel layout for " + dt.String())
	}
	bb := formats[dt].blockBytes
	if rb <= 0 || rb%bb != 0 || len(w) < n*rb {
		panic(fmt.Sprintf("qblock: PackPanels: %d rows of %d bytes (%s blocks of %d) in %d bytes", n, rb, dt, bb, len(w)))
	}
	nb := rb / bb
	stride := panelStride(dt, nb)
	np := (n + panelRows - 1) / panelRows
	p := &Panels{dt: dt, n: n, nb: nb, stride: stride, buf: alignedBytes(np * stride)}
	for pi := range np {
		pan := p.buf[pi*stride : (pi+1)*stride]
		for r := range min(panelRows, n-pi*panelRows) {
			row := w[(pi*panelRows+r)*rb : (pi*panelRows+r+1)*rb]
			for b := range nb {
				blk := row[b*bb : (b+1)*bb]
				if sb := superPanelBytes(dt); sb > 0 {
					packSuper(dt, pan[b*sb:(b+1)*sb], r, blk)
				} else {
					packBlock32(dt, pan, nb, b, r, blk)
				}
			}
		}
	}
	return p
}

// panelStride returns the bytes of one panel of nb blocks of dtype dt.
func panelStride(dt kernels.DType, nb int) int {
	if sb := superPanelBytes(dt); sb > 0 {
		return nb * sb
	}
	return (nb*(panelQuantBytes(dt)+2*panelRows) + 63) &^ 63
}

// PanelBytes returns the memory PackPanels takes for n rows of k elements
// of dtype dt (0 when PanelType(dt) is false or k fits no whole block).
func PanelBytes(dt kernels.DType, n, k int) int {
	if !PanelType(dt) || k <= 0 || k%dt.BlockSize() != 0 {
		return 0
	}
	return (n + panelRows - 1) / panelRows * panelStride(dt, k/dt.BlockSize())
}

// packBlock32 writes the Q8_0 or Q4_0 block b (blk) of row r into the
// panel pan of nb blocks: its level bytes in 4-byte steps, one lane per
// row (Q8_0's flipped to unsigned), its f16 scale after all the levels.
func packBlock32(dt kernels.DType, pan []byte, nb, b, r int, blk []byte) {
	qb := panelQuantBytes(dt)
	copy(pan[nb*qb+b*2*panelRows+2*r:], blk[:2]) // f16 scale
	lv, q := blk[2:], pan[b*qb:(b+1)*qb]
	for v := range len(lv) / 4 {
		dst := q[64*v+4*r : 64*v+4*r+4]
		copy(dst, lv[4*v:4*v+4])
		if dt == kernels.Q8_0 {
			for i := range dst {
				dst[i] ^= 0x80
			}
		}
	}
}

// packSuper writes the k-quant block blk as row r of the panel
// super-block sb.
func packSuper(dt kernels.DType, sb []byte, r int, blk []byte) {
	var q [qkK]byte
	switch dt {
	case kernels.Q4_K: // the nibbles as GGUF stores them, 4 bytes per lane
		for j := range 4 {
			for v := range 8 {
				copy(sb[512*j+64*v+4*r:512*j+64*v+4*r+4], blk[16+32*j+4*v:])
			}
		}
	case kernels.Q5_K:
		unpackQ5K(&q, blk)
		packByteLevels(sb, r, &q)
	case kernels.Q6_K:
		unpackQ6K(&q, blk) // q-32
		for i := range q {
			q[i] += 32
		}
		packByteLevels(sb, r, &q)
		for c := range 8 {
			sc := sb[byteLevels+64*c:]
			sc[r], sc[16+r] = blk[192+2*c], blk[192+2*c+1]
			sc[32+2*r], sc[32+2*r+1] = blk[192+2*c], blk[192+2*c+1]
		}
		copy(sb[k6DOff+2*r:k6DOff+2*r+2], blk[208:210]) // d
		return
	}
	at := kScalesAt(dt) // Q4_K, Q5_K: 6-bit scales and mins, d, dmin
	for s := range 8 {
		sb[at+16*s+r], sb[at+kMinsOff+16*s+r] = scaleMinK4(s, blk[4:16])
	}
	copy(sb[at+kDOff+2*r:at+kDOff+2*r+2], blk[0:2])
	copy(sb[at+kDminOff+2*r:at+kDminOff+2*r+2], blk[2:4])
}

// packByteLevels writes the 256 levels q of row r as bytes: 32-element
// chunk c's 8 vectors at 512c, 4 levels per lane.
func packByteLevels(sb []byte, r int, q *[qkK]byte) {
	for c := range 8 {
		for t := range 8 {
			copy(sb[512*c+64*t+4*r:512*c+64*t+4*r+4], q[32*c+4*t:])
		}
	}
}

// alignedBytes returns n zero bytes starting at a 64-byte boundary.
func alignedBytes(n int) []byte {
	b := make([]byte, n+63)
	off := (64 - int(uintptr(unsafe.Pointer(unsafe.SliceData(b)))%64)) % 64
	return b[off : off+n : off+n]
}

// PanelDot computes out[i*ldo+j] = IntDot(dt, row row0+j, a_i) for the n
// weight rows from row0 (a multiple of PanelAlign) and every row a_i of
// ar (quantized by QuantizeRows for the panels' type), within float32
// rounding of IntDot: the integer block sums are exact, the float
// additions run in another order. It panics on mismatched sizes.
func PanelDot(p *Panels, row0, n int, ar *ActRows, out []float32, ldo int) {
	if ar.dt != p.dt || ar.nb*32 != p.nb*p.dt.BlockSize() {
		panic(fmt.Sprintf("qblock: PanelDot: activations of %d elements for %s, panels of %d %s blocks", ar.nb*32, ar.dt, p.nb, p.dt))
	}
	if row0%panelRows != 0 || row0 < 0 || n < 0 || row0+n > p.n {
		panic(fmt.Sprintf("qblock: PanelDot: rows [%d, %d) of %d (the first must be a multiple of %d)", row0, row0+n, p.n, panelRows))
	}
	if n == 0 || ar.m == 0 {
		return
	}
	if len(out) < (ar.m-1)*ldo+n {
		panic(fmt.Sprintf("qblock: PanelDot: out %d for %d x %d (ldo %d)", len(out), ar.m, n, ldo))
	}
	if panelArch {
		panelDotArch(p, row0, n, ar, out, ldo)
		return
	}
	panelDotGeneric(p, row0, n, ar, out, ldo)
}

// panelDotGeneric is PanelDot in Go, reading the panels and the records
// as the kernels do (unsigned levels; the offset correction c, or the
// k-quants' integer scale and min or offset sums).
func panelDotGeneric(p *Panels, row0, n int, ar *ActRows, out []float32, ldo int) {
	for j := range n {
		r := row0 + j
		pan := p.buf[r/panelRows*p.stride:]
		l := r % panelRows
		for i := range ar.m {
			recs := ar.buf[i*ar.nb*actRecord:]
			var sum float32
			var tsum, msum int32 // k-quants: the super-block's sum_s sc_s*isum_s, and sum_s m_s*bsum_s (Q4_K) or sc_s*bsum_s (Q6_K)
			for c := range ar.nb {
				rec := recs[c*actRecord:]
				da := math.Float32frombits(binary.LittleEndian.Uint32(rec[32:]))
				word := int32(binary.LittleEndian.Uint32(rec[36:]))
				var s int32
				for e := range 32 {
					s += int32(panelLevel(p, pan, c, l, e)) * int32(int8(rec[e]))
				}
				sumA, sumB := int32(int16(word)), word>>16 // Q8_K: the level sums of the record's two halves
				switch p.dt {
				case kernels.Q4_K, kernels.Q5_K:
					at := kScalesAt(p.dt)
					sb := pan[c/8*superPanelBytes(p.dt):]
					tsum += int32(sb[at+16*(c%8)+l]) * s
					msum += int32(sb[at+kMinsOff+16*(c%8)+l]) * (sumA + sumB)
					if c%8 == 7 {
						d := half.WidenF16(binary.LittleEndian.Uint16(sb[at+kDOff+2*l:]))
						dmin := half.WidenF16(binary.LittleEndian.Uint16(sb[at+kDminOff+2*l:]))
						sum += d*da*float32(tsum) - dmin*da*float32(msum)
						tsum, msum = 0, 0
					}
					continue
				case kernels.Q6_K:
					sb := pan[c/8*k6PanelBytes:]
					sc := sb[byteLevels+64*(c%8):]
					scA, scB := int32(int8(sc[l])), int32(int8(sc[16+l]))
					var s0 int32
					for e := range 16 {
						s0 += int32(panelLevel(p, pan, c, l, e)) * int32(int8(rec[e]))
					}
					tsum += scA*s0 + scB*(s-s0)
					msum += scA*sumA + scB*sumB
					if c%8 == 7 {
						d := half.WidenF16(binary.LittleEndian.Uint16(sb[k6DOff+2*l:]))
						sum += d * da * float32(tsum-32*msum)
						tsum, msum = 0, 0
					}
					continue
				}
				qb := panelQuantBytes(p.dt)
				dw := half.WidenF16(binary.LittleEndian.Uint16(pan[p.nb*qb+2*(c*panelRows+l):]))
				sum += float32(s+word) * (dw * da) // word: the offset correction c
			}
			out[i*ldo+j] = sum
		}
	}
}

// panelLevel returns the unsigned level of element e of 32-element block
// c (a sub-block of the k-quants) of lane l in the panel pan.
func panelLevel(p *Panels, pan []byte, c, l, e int) byte {
	switch p.dt {
	case kernels.Q8_0:
		return pan[c*panelQuantBytes(p.dt)+64*(e/4)+4*l+e%4]
	case kernels.Q4_0:
		v := pan[c*panelQuantBytes(p.dt)+64*(e%16/4)+4*l+e%4]
		if e >= 16 {
			v >>= 4
		}
		return v & 15
	}
	if p.dt == kernels.Q6_K || p.dt == kernels.Q5_K {
		return pan[c/8*superPanelBytes(p.dt)+512*(c%8)+64*(e/4)+4*l+e%4]
	}
	s := c % 8 // Q4_K sub-block: pair s/2's nibbles
	v := pan[c/8*k4PanelBytes+512*(s/2)+64*(e/4)+4*l+e%4]
	if s%2 == 1 {
		v >>= 4
	}
	return v & 15
}

// DType returns the weights' type.
func (p *Panels) DType() kernels.DType { return p.dt }
