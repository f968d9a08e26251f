package qblock

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// Multi-row integer dot products. ActRows is m activation rows quantized
// once (QuantizeRows: Q8_0 or Q8_K levels and scales exactly as
// QuantizeAct) into records the kernels read: for Q8_0, Q4_0 and Q4_K
// weights PanelDot's (panel.go, on repacked weights), for Q6_K
// IntDotRows's, a tile of 4 weight rows by 8 activation rows per assembly
// call, so each weight block is loaded and unpacked once for 8 activation
// rows and each activation block once for 4 weight rows, on the weights'
// GGUF layout (the 4 rows interleaved in registers).
//
// The Q6_K tile kernel (tile_k_amd64.s) takes the unsigned levels q+32 as
// they are and multiplies by the sub-block scales with VPMADDUBSW and
// VPDPWSSD, with the -32 offset through the activations' sums as IntDot
// does. The integer block sums are exact, so the results differ from
// IntDot's only in the order of the float additions.

// actRecord is the bytes of one 32-element activation block in ActRows
// for panels: 32 levels (int8), the scale d_a (float32), and a word of
// 4 bytes for the weights' offset. Q8_0 and Q4_0: d_a is the block's
// f16-rounded scale QuantizeAct keeps, the word the offset correction c
// (int32): the kernels multiply unsigned weight levels by the signed
// activations with VPDPBUSD; Q4_0's nibbles u in 0..15 stand for u-8,
// Q8_0's levels w (stored xor 0x80) for w-128, so c = -8*sum(q) (Q4_0) or
// -128*sum(q) (Q8_0). Q4_K: d_a is the Q8_K scale of the 256-element
// block, the word sum(q) (int32), which the sub-block's min multiplies.
// Row i's records follow each other.
const actRecord = 40

// k6Record is the bytes of one Q8_K activation block in ActRows for Q6_K
// weights: 256 levels, the 16 sums of 16 levels (int16), d (float32), 12
// bytes of padding. The records of a tile's 8 rows are interleaved by
// block: row i's block b is record ((i/8)*nb + b)*8 + i%8, so the kernel
// reaches all 8 rows at fixed offsets.
const k6Record = 304

// tileRows is the number of activation rows one tile call takes; ActRows
// pads its rows to a multiple of it with zero blocks.
const tileRows = 8

// ActRows is m rows of activations quantized for PanelDot or IntDotRows.
type ActRows struct {
	dt    kernels.DType // the weights' type (Q8_0, Q4_0, Q4_K or Q6_K)
	m, nb int           // rows, records per row
	buf   []byte        // padded rows x nb records, for the kernels
	acts  []Act         // Q6_K: row i as QuantizeAct makes it, for IntDot on the rows the tiles leave
}

// RowsType reports whether IntDotRows takes weights of dtype dt (Q6_K;
// PanelDot takes Q8_0, Q4_0 and Q4_K).
func RowsType(dt kernels.DType) bool { return dt == kernels.Q6_K }

// recordSize returns the bytes of one ActRows record for weights of
// dtype dt.
func recordSize(dt kernels.DType) int {
	if RowsType(dt) {
		return k6Record
	}
	return actRecord
}

// rec returns the record of row i's block b (Q6_K).
func (ar *ActRows) rec(i, b int) []byte {
	o := ((i/tileRows*ar.nb+b)*tileRows + i%tileRows) * k6Record
	return ar.buf[o : o+k6Record]
}

// RowsKernel reports whether IntDotRows runs weights of dtype dt on a
// vector kernel on this CPU (AVX-512 VNNI); elsewhere it runs IntDot
// pair by pair, as it does for the weight rows a 4-row tile leaves.
func RowsKernel(dt kernels.DType) bool {
	return RowsType(dt) && rowsKernelArch
}

// QuantizeRows quantizes the m rows of x [m, k] for IntDotRows (Q6_K) or
// PanelDot (Q8_0, Q4_0, Q4_K) with weights of dtype dt, reusing ar's storage.
// It panics for other types or when k is not a multiple of the block.
func QuantizeRows(ar *ActRows, dt kernels.DType, x []float32, m, k int) {
	if !RowsType(dt) && !PanelType(dt) {
		panic("qblock: QuantizeRows: no multi-row integer dot product for " + dt.String())
	}
	if len(x) < m*k {
		panic(fmt.Sprintf("qblock: QuantizeRows: %d rows of %d in %d values", m, k, len(x)))
	}
	bs, size := 32, recordSize(dt)
	if dt == kernels.Q4_K || dt == kernels.Q6_K {
		bs = qkK
	}
	if k%bs != 0 {
		panic(fmt.Sprintf("qblock: QuantizeRows: %s activations of %d elements, not a multiple of %d", dt, k, bs))
	}
	ar.dt, ar.m, ar.nb = dt, m, k/32
	if RowsType(dt) {
		ar.nb = k / qkK
	}
	pm := (m + tileRows - 1) / tileRows * tileRows
	ar.buf = grow(ar.buf, pm*ar.nb*size)
	clear(ar.buf[m/tileRows*tileRows*ar.nb*size:]) // the padding rows of the last group
	switch dt {
	case kernels.Q8_0, kernels.Q4_0:
		off := -128 // c for Q8_0: -128*sum(q)
		if dt == kernels.Q4_0 {
			off = -8
		}
		for i := range m {
			quantQ8Records(ar.buf[i*ar.nb*actRecord:(i+1)*ar.nb*actRecord], x[i*k:(i+1)*k], off)
		}
		return
	case kernels.Q4_K:
		for i := range m {
			quantQ8KRecords(ar.buf[i*ar.nb*actRecord:(i+1)*ar.nb*actRecord], x[i*k:(i+1)*k])
		}
		return
	}
	if cap(ar.acts) < m {
		ar.acts = append(ar.acts[:cap(ar.acts)], make([]Act, m-cap(ar.acts))...)
	}
	ar.acts = ar.acts[:m]
	for i := range m {
		a := &ar.acts[i]
		QuantizeAct(a, dt, x[i*k:(i+1)*k])
		for b, d := range a.d {
			r := ar.rec(i, b)
			copy(r, a.q[qkK*b:qkK*(b+1)])
			for j, v := range a.bsums[16*b : 16*b+16] {
				binary.LittleEndian.PutUint16(r[256+2*j:], uint16(int16(v)))
			}
			binary.LittleEndian.PutUint32(r[288:], math.Float32bits(d))
		}
	}
}

// quantQ8KRecords writes the Q4_K panel records (actRecord bytes per 32
// elements) of the row x quantized as QuantizeAct does for Q4_K weights:
// the levels, the block's d and sum(levels).
func quantQ8KRecords(rec []byte, x []float32) {
	for len(x) > 0 {
		n := quantQ8KRecArch(rec, x)
		rec, x = rec[n*8*actRecord:], x[n*qkK:]
		if len(x) == 0 {
			return
		}
		var a Act
		QuantizeAct(&a, kernels.Q4_K, x[:qkK])
		for c := range 8 {
			r := rec[c*actRecord : (c+1)*actRecord]
			copy(r, a.q[32*c:32*c+32])
			binary.LittleEndian.PutUint32(r[32:], math.Float32bits(a.d[0]))
			binary.LittleEndian.PutUint32(r[36:], uint32(a.bsums[2*c]+a.bsums[2*c+1]))
		}
		rec, x = rec[8*actRecord:], x[qkK:]
	}
}

// quantQ8Records writes the records (actRecord bytes per block) of the
// row x quantized as QuantizeAct does for Q8_0 and Q4_0 weights, with c =
// off*sum(q).
func quantQ8Records(rec []byte, x []float32, off int) {
	if quantQ8RecArch(rec, x, off) {
		return
	}
	var a Act
	QuantizeAct(&a, kernels.Q8_0, x)
	for b, d := range a.d {
		r := rec[b*actRecord : (b+1)*actRecord]
		q := a.q[32*b : 32*b+32]
		copy(r, q)
		var s int
		for _, v := range q {
			s += int(int8(v))
		}
		binary.LittleEndian.PutUint32(r[32:], math.Float32bits(d))
		binary.LittleEndian.PutUint32(r[36:], uint32(int32(off*s)))
	}
}

// Rows returns the number of activation rows.
func (ar *ActRows) Rows() int { return ar.m }

// IntDotRows computes out[i*ldo+j] = IntDot(dt, w[j*rb:(j+1)*rb], a_i) for
// the n Q6_K weight rows of w (rb bytes each) and every row a_i of ar, within
// float32 rounding of IntDot (the integer block sums are exact; the float
// additions run in another order). It panics when ar was quantized for
// another type or row length.
func IntDotRows(dt kernels.DType, w []byte, rb, n int, ar *ActRows, out []float32, ldo int) {
	if !RowsType(dt) {
		panic("qblock: IntDotRows: no tiles for " + dt.String() + " (PanelDot takes Q8_0, Q4_0 and Q4_K)")
	}
	if dt != ar.dt {
		panic("qblock: IntDotRows: activations quantized for " + ar.dt.String() + ", weights " + dt.String())
	}
	checkSizes("IntDotRows", dt, qkK*ar.nb, rb)
	if n == 0 || ar.m == 0 {
		return
	}
	if len(w) < n*rb || len(out) < (ar.m-1)*ldo+n {
		panic(fmt.Sprintf("qblock: IntDotRows: %d weight rows of %d bytes in %d, out %d for %d x %d (ldo %d)", n, rb, len(w), len(out), ar.m, n, ldo))
	}
	j := 0
	if n >= 4 && ar.nb > 0 {
		j = intDotRowsArch(dt, w, rb, n, ar, out, ldo)
	}
	for ; j < n; j++ {
		src := w[j*rb : (j+1)*rb]
		for i := range ar.m {
			out[i*ldo+j] = IntDot(dt, src, &ar.acts[i])
		}
	}
}
