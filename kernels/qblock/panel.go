package qblock

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/half"
)

// Repacked Q8_0 and Q4_0 weights for the multi-row integer dot products
// (PanelDot), as llama.cpp's CPU backend repacks Q4_0 at load (its
// block_q4_0x8 layout): the rows are regrouped into panels of 16, and a
// panel's block is stored so that one 64-byte vector holds four
// consecutive levels of each of the 16 rows, one row per int32 lane. A
// VPDPBUSD of that vector with four activation levels broadcast to every
// lane then adds four products to each row's own sum: eight such
// instructions make a 32-element block of 16 rows for one activation row,
// with no lane shuffling and no horizontal additions, and the block's 16
// weight scales are one vector that multiplies all 16 sums at once. On
// the GGUF layout (IntDotRows's tiles) each row's block spreads over four
// lanes, so every block costs a conversion, a multiply and a fused
// multiply-add per four lanes of each row; on the panels they are shared by
// 16 rows.
//
// A panel of nb blocks is nb x panelQuantBytes bytes of levels followed
// by nb x 32 bytes of f16 scales (row r's at 2r), padded to 64 bytes.
// Q4_0: block b's levels are 4 vectors; vector v lane r holds bytes
// [4v, 4v+4) of row r's 16 level bytes as GGUF stores them (elements
// 4v..4v+3 in the low nibbles, 16+4v.. in the high ones), so the kernel
// gets two steps of 4 elements from each vector with an AND and a shift.
// Q8_0: 8 vectors, vector s lane r holding row r's levels [4s, 4s+4)
// flipped to unsigned (xor 0x80). Rows past the last of a partial panel
// are zero.

// panelRows is the weight rows of one panel (the int32 lanes of a vector).
const panelRows = 16

// PanelType reports whether PackPanels takes weights of dtype dt.
func PanelType(dt kernels.DType) bool { return dt == kernels.Q8_0 || dt == kernels.Q4_0 }

// PanelKernel reports whether PanelDot runs weights of dtype dt on a
// vector kernel on this CPU (AVX-512 VNNI). Elsewhere it runs a Go loop
// over the panels, slower than IntDot on the GGUF rows; callers repack
// only where this is true.
func PanelKernel(dt kernels.DType) bool { return PanelType(dt) && panelArch }

// PanelAlign is the row alignment of PanelDot's first weight row.
const PanelAlign = panelRows

// Panels is n rows of Q8_0 or Q4_0 weights repacked for PanelDot.
type Panels struct {
	dt     kernels.DType
	n, nb  int    // weight rows, 32-element blocks per row
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

// PackPanels repacks the n rows of w (rb bytes each, GGUF Q8_0 or Q4_0
// blocks) into panels. It panics when PanelType(dt) is false or the sizes
// disagree.
func PackPanels(dt kernels.DType, w []byte, rb, n int) *Panels {
	if !PanelType(dt) {
		panic("qblock: PackPanels: no panel layout for " + dt.String())
	}
	bb := 34 // Q8_0: f16 scale, 32 levels
	if dt == kernels.Q4_0 {
		bb = 18 // f16 scale, 16 bytes of nibbles
	}
	if rb <= 0 || rb%bb != 0 || len(w) < n*rb {
		panic(fmt.Sprintf("qblock: PackPanels: %d rows of %d bytes (%s blocks of %d) in %d bytes", n, rb, dt, bb, len(w)))
	}
	nb := rb / bb
	qb := panelQuantBytes(dt)
	stride := (nb*(qb+2*panelRows) + 63) &^ 63
	np := (n + panelRows - 1) / panelRows
	p := &Panels{dt: dt, n: n, nb: nb, stride: stride, buf: alignedBytes(np * stride)}
	for pi := range np {
		pan := p.buf[pi*stride : (pi+1)*stride]
		for r := range min(panelRows, n-pi*panelRows) {
			row := w[(pi*panelRows+r)*rb : (pi*panelRows+r+1)*rb]
			for b := range nb {
				blk := row[b*bb : (b+1)*bb]
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
		}
	}
	return p
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
	if ar.dt != p.dt || ar.nb != p.nb {
		panic(fmt.Sprintf("qblock: PanelDot: activations of %d %s blocks, panels of %d %s blocks", ar.nb, ar.dt, p.nb, p.dt))
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
// as the kernel does (unsigned levels, the offset correction c).
func panelDotGeneric(p *Panels, row0, n int, ar *ActRows, out []float32, ldo int) {
	qb := panelQuantBytes(p.dt)
	for j := range n {
		r := row0 + j
		pan := p.buf[r/panelRows*p.stride:]
		l := r % panelRows
		for i := range ar.m {
			recs := ar.buf[i*p.nb*actRecord:]
			var sum float32
			for b := range p.nb {
				q, rec := pan[b*qb:], recs[b*actRecord:]
				s := int32(binary.LittleEndian.Uint32(rec[36:])) // c
				for e := range 32 {
					var u int32
					if p.dt == kernels.Q4_0 {
						v := q[64*(e%16/4)+4*l+e%4]
						if e >= 16 {
							v >>= 4
						}
						u = int32(v & 15)
					} else {
						u = int32(q[64*(e/4)+4*l+e%4])
					}
					s += u * int32(int8(rec[e]))
				}
				dw := half.WidenF16(binary.LittleEndian.Uint16(pan[p.nb*qb+2*(b*panelRows+l):]))
				sum += float32(s) * (dw * math.Float32frombits(binary.LittleEndian.Uint32(rec[32:])))
			}
			out[i*ldo+j] = sum
		}
	}
}

// DType returns the weights' type.
func (p *Panels) DType() kernels.DType { return p.dt }
