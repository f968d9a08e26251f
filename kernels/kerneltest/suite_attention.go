package kerneltest

import (
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// attnCase is q [B, T, H*hd] against k, v [B, S, KVH*hd] from position pos,
// with a sliding window when window > 0.
type attnCase struct{ B, T, S, H, KVH, hd, pos, window int }

var attnCases = []attnCase{
	{1, 1, 1, 1, 1, 4, 0, 0},
	{2, 5, 5, 2, 2, 8, 0, 0},       // GQA ratio 1
	{1, 70, 70, 4, 2, 16, 0, 0},    // ratio 2, two query and key tiles
	{2, 33, 40, 4, 1, 8, 0, 0},     // ratio 4, S > T
	{1, 3, 20, 4, 2, 8, 7, 0},      // PosStart > 0
	{1, 1, 130, 2, 1, 64, 129, 0},  // one decoding step over a long cache
	{1, 130, 130, 2, 2, 64, 0, 0},  // partial last tile
	{1, 260, 270, 2, 1, 16, 0, 0},  // several key tiles (the CPU backend's are 256 long)
	{1, 3, 300, 2, 1, 16, 290, 0},  // decoding across a key-tile boundary
	{2, 9, 9, 4, 2, 8, 0, 3},       // sliding window (Mistral)
	{1, 300, 300, 2, 1, 16, 0, 70}, // a window crossing key tiles, whole tiles skipped
	{1, 3, 300, 2, 1, 16, 290, 5},  // decoding with a window
	{1, 6, 6, 2, 2, 8, 0, 6},       // window = sequence: full attention
}

func (c attnCase) params() kernels.AttentionParams {
	return kernels.AttentionParams{NHeads: c.H, NKVHeads: c.KVH, HeadDim: c.hd, Scale: float32(1 / math.Sqrt(float64(c.hd))), PosStart: c.pos, Window: c.window}
}

func testAttention(e *env) {
	for _, dt := range FloatTypes {
		for _, c := range attnCases {
			name := fmt.Sprintf("Attention %s %+v", dt, c)
			q, qv := e.input(dt, 1, c.B, c.T, c.H*c.hd)
			k, kv := e.kvInput(dt, c)
			v, vv := e.kvInput(dt, c)
			out, _ := e.output(dt, false, c.B, c.T, c.H*c.hd)
			lse, _ := e.output(kernels.F32, false, c.B, c.H, c.T)
			p := c.params()
			e.b.Attention(out.T, lse.T, q, k, v, p)
			want, wl := make([]float64, c.B*c.T*c.H*c.hd), make([]float64, c.B*c.H*c.T)
			RefAttention(want, wl, qv, kv, vv, c.B, c.T, c.S, c.H, c.KVH, c.hd, c.pos, c.window, float64(p.Scale))
			e.check(name, out, want, Tol(dt))
			e.check(name+" lse", lse, wl, Tol(kernels.F32))
			out2, _ := e.output(dt, false, c.B, c.T, c.H*c.hd)
			e.b.Attention(out2.T, nil, q, k, v, p)
			e.check(name+" (nil lse)", out2, want, Tol(dt))
		}
	}
}

// kvInput is a random k or v [B, S, KVH*hd] whose rows past PosStart+T
// (which Attention must not read) are NaN.
func (e *env) kvInput(dt kernels.DType, c attnCase) (kernels.Tensor, []float64) {
	row := c.KVH * c.hd
	vals := e.randn(c.B*c.S*row, 1)
	for b := 0; b < c.B; b++ {
		for j := c.pos + c.T; j < c.S; j++ {
			for i := range row {
				vals[(b*c.S+j)*row+i] = float32(math.NaN())
			}
		}
	}
	g, v := e.tensor(dt, vals, float32(math.NaN()), c.B, c.S, row)
	return g.T, v
}

func testAttentionBackward(e *env) {
	for _, dt := range FloatTypes {
		for _, c := range attnCases {
			if c.pos != 0 {
				continue // the backward is defined for PosStart 0
			}
			name := fmt.Sprintf("AttentionBackward %s %+v", dt, c)
			q, qv := e.input(dt, 1, c.B, c.T, c.H*c.hd)
			k, kv := e.input(dt, 1, c.B, c.S, c.KVH*c.hd)
			v, vv := e.input(dt, 1, c.B, c.S, c.KVH*c.hd)
			out := e.b.Zeros(dt, c.B, c.T, c.H*c.hd)
			lse := e.b.Zeros(kernels.F32, c.B, c.H, c.T)
			p := c.params()
			e.b.Attention(out, lse, q, k, v, p)
			dout, dov := e.input(dt, 1, c.B, c.T, c.H*c.hd)
			dq, dqv := e.output(dt, true, c.B, c.T, c.H*c.hd)
			dk, dkv := e.output(dt, true, c.B, c.S, c.KVH*c.hd)
			dv, dvv := e.output(dt, true, c.B, c.S, c.KVH*c.hd)
			e.b.AttentionBackward(dq.T, dk.T, dv.T, dout, q, k, v, out, lse, p)
			RefAttentionBackward(dqv, dkv, dvv, dov, qv, kv, vv, c.B, c.T, c.S, c.H, c.KVH, c.hd, c.pos, c.window, float64(p.Scale))
			// The backward reads out as stored; for 16-bit dtypes its rounding
			// enters D = dout.out, hence the wider tolerance.
			tol := Tol(dt)
			if dt != kernels.F32 {
				tol *= 2
			}
			e.check(name+" dq", dq, dqv, tol)
			e.check(name+" dk", dk, dkv, tol)
			e.check(name+" dv", dv, dvv, tol)
		}
	}
}

// testAttentionDecode checks that decoding one row at a time with PosStart
// (a KV cache) gives the rows of the full causal pass.
func testAttentionDecode(e *env) {
	c := attnCase{B: 1, T: 9, S: 12, H: 4, KVH: 2, hd: 16}
	q, _ := e.input(kernels.F32, 1, c.B, c.T, c.H*c.hd)
	k, _ := e.input(kernels.F32, 1, c.B, c.S, c.KVH*c.hd)
	v, _ := e.input(kernels.F32, 1, c.B, c.S, c.KVH*c.hd)
	full := e.b.Zeros(kernels.F32, c.B, c.T, c.H*c.hd)
	e.b.Attention(full, nil, q, k, v, c.params())
	want := f64(e.b.ToFloat32(full, nil))
	step := e.b.Zeros(kernels.F32, c.T, c.H*c.hd)
	q2 := e.b.Reshape(q, c.T, c.H*c.hd)
	for t := 0; t < c.T; t++ {
		p := c.params()
		p.PosStart = t
		qt := e.b.View(q2, t, t+1, 1, 1, c.H*c.hd)
		e.b.Attention(e.b.View(step, t, t+1, 1, 1, c.H*c.hd), nil, qt, k, v, p)
	}
	compare(e.T, "Attention decode steps", e.b.ToFloat32(step, nil), want, Tol(kernels.F32))
}
