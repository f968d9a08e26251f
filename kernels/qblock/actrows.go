package qblock

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// ActRows is m activation rows quantized once for PanelDot (QuantizeRows:
// Q8_0 levels and scales for Q8_0 and Q4_0 weights, Q8_K for Q4_K, Q5_K
// and Q6_K, exactly as QuantizeAct makes them) into records the kernels read.
type ActRows struct {
	dt    kernels.DType // the weights' type (PanelType)
	m, nb int           // rows, records per row
	buf   []byte        // padded rows x nb records
}

// actRecord is the bytes of one 32-element activation block in ActRows:
// 32 levels (int8), the scale d_a (float32), and a word of 4 bytes for
// the weights' offset. Q8_0 and Q4_0: d_a is the block's f16-rounded scale
// QuantizeAct keeps, the word the offset correction c (int32): the kernels
// multiply unsigned weight levels by the signed activations with
// VPDPBUSD; Q4_0's nibbles u in 0..15 stand for u-8, Q8_0's levels w
// (stored xor 0x80) for w-128, so c = -8*sum(q) (Q4_0) or -128*sum(q)
// (Q8_0). Q4_K, Q5_K and Q6_K: d_a is the Q8_K scale of the 256-element block,
// the word the sums of the levels of the record's two halves (int16 each,
// llama.cpp's bsums), which the sub-blocks' mins (Q4_K, Q5_K) or the -32
// offset (Q6_K) multiply. Row i's records follow each other.
const actRecord = 40

// groupRows is the number of activation rows one kernel call takes;
// ActRows pads its rows to a multiple of it with zero records.
const groupRows = 8

// Rows returns the number of activation rows.
func (ar *ActRows) Rows() int { return ar.m }

// QuantizeRows quantizes the m rows of x [m, k] for PanelDot with weights
// of dtype dt, reusing ar's storage. It panics when PanelType(dt) is false
// or k is not a multiple of dt's block.
func QuantizeRows(ar *ActRows, dt kernels.DType, x []float32, m, k int) {
	if !PanelType(dt) {
		panic("qblock: QuantizeRows: no multi-row integer dot product for " + dt.String())
	}
	if len(x) < m*k {
		panic(fmt.Sprintf("qblock: QuantizeRows: %d rows of %d in %d values", m, k, len(x)))
	}
	if bs := dt.BlockSize(); k%bs != 0 {
		panic(fmt.Sprintf("qblock: QuantizeRows: %s activations of %d elements, not a multiple of %d", dt, k, bs))
	}
	ar.dt, ar.m, ar.nb = dt, m, k/32
	pm := (m + groupRows - 1) / groupRows * groupRows
	ar.buf = grow(ar.buf, pm*ar.nb*actRecord)
	clear(ar.buf[m/groupRows*groupRows*ar.nb*actRecord:]) // the padding rows of the last group
	for i := range m {
		rec, row := ar.buf[i*ar.nb*actRecord:(i+1)*ar.nb*actRecord], x[i*k:(i+1)*k]
		switch dt {
		case kernels.Q8_0:
			quantQ8Records(rec, row, -128)
		case kernels.Q4_0:
			quantQ8Records(rec, row, -8)
		default:
			quantQ8KRecords(rec, row)
		}
	}
}

// quantQ8KRecords writes the k-quant records of the row x quantized
// as QuantizeAct does for those weights: the levels, the block's d and
// the two half sums.
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
			binary.LittleEndian.PutUint16(r[36:], uint16(int16(a.bsums[2*c])))
			binary.LittleEndian.PutUint16(r[38:], uint16(int16(a.bsums[2*c+1])))
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
