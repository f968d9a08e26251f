package kerneltest

import (
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// Edge cases found by reviewing the CUDA backend: non-finite activations
// through a mixed-precision MatMul, a batch larger than a GPU grid's 65535
// y/z limit, NaN logits in top-k selection and a top-k too large for a
// GPU block's shared memory. Each is cheap on the CPU.

// testMatMulNonFinite multiplies F32 activations holding +Inf, -Inf and a
// value above bf16's largest finite one by positive BF16 weights: the
// product is +Inf, -Inf and finite, as in float64 (the CUDA backend splits
// such activations into two bf16 halves).
func testMatMulNonFinite(e *env) {
	const M, N, K = 3, 4, 8
	vals := e.randn(M*K, 1)
	vals[0*K+3] = float32(math.Inf(1))
	vals[1*K+5] = float32(math.Inf(-1))
	vals[2*K+1] = 3.4e38 // rounds to +Inf in bf16
	ag, av := e.tensor(kernels.F32, vals, float32(math.NaN()), M, K)
	wv := make([]float32, N*K)
	for i := range wv {
		wv[i] = 1e-3 * float32(1+i%5)
	}
	w, wvs := e.tensor(kernels.BF16, wv, float32(math.NaN()), N, K)
	out, want := e.output(kernels.F32, false, M, N)
	e.b.MatMul(out.T, ag.T, w.T, false, true, 1, 0)
	RefMatMul(want, av, wvs, 1, M, N, K, false, true, true, 1, 0)
	e.check("MatMul F32 x BF16 with Inf and bf16-overflowing activations", out, want, Tol(kernels.F32))
}

// testAttentionManyBatches runs attention forward and backward over more
// sequences than a GPU grid dimension holds (65535).
func testAttentionManyBatches(e *env) {
	c := attnCase{B: 65537, T: 1, S: 1, H: 1, KVH: 1, hd: 4}
	p := c.params()
	q, qv := e.input(kernels.F32, 1, c.B, c.T, c.H*c.hd)
	k, kv := e.input(kernels.F32, 1, c.B, c.S, c.KVH*c.hd)
	v, vv := e.input(kernels.F32, 1, c.B, c.S, c.KVH*c.hd)
	out, _ := e.output(kernels.F32, false, c.B, c.T, c.H*c.hd)
	lse, _ := e.output(kernels.F32, false, c.B, c.H, c.T)
	e.b.Attention(out.T, lse.T, q, k, v, p)
	want, wl := make([]float64, c.B*c.T*c.H*c.hd), make([]float64, c.B*c.H*c.T)
	RefAttention(want, wl, qv, kv, vv, c.B, c.T, c.S, c.H, c.KVH, c.hd, c.pos, c.window, float64(p.Scale))
	e.check(fmt.Sprintf("Attention B=%d", c.B), out, want, Tol(kernels.F32))
	e.check(fmt.Sprintf("Attention B=%d lse", c.B), lse, wl, Tol(kernels.F32))

	dout, dov := e.input(kernels.F32, 1, c.B, c.T, c.H*c.hd)
	dq, dqv := e.output(kernels.F32, true, c.B, c.T, c.H*c.hd)
	dk, dkv := e.output(kernels.F32, true, c.B, c.S, c.KVH*c.hd)
	dv, dvv := e.output(kernels.F32, true, c.B, c.S, c.KVH*c.hd)
	e.b.AttentionBackward(dq.T, dk.T, dv.T, dout, q, k, v, out.T, lse.T, p)
	RefAttentionBackward(dqv, dkv, dvv, dov, qv, kv, vv, c.B, c.T, c.S, c.H, c.KVH, c.hd, c.pos, c.window, float64(p.Scale))
	for _, g := range []struct {
		name string
		t    *Guarded
		want []float64
	}{{"dq", dq, dqv}, {"dk", dk, dkv}, {"dv", dv, dvv}} {
		e.check(fmt.Sprintf("AttentionBackward B=%d %s", c.B, g.name), g.t, g.want, Tol(kernels.F32))
	}
}

// testTopKNaN: rows with fewer than k non-NaN logits (and all NaN) still
// give k distinct ids within the row (which ones is unspecified: NaN has
// no rank).
func testTopKNaN(e *env, ops kernels.TrainOps) {
	const n, v, k = 2, 40, 6
	nan := float32(math.NaN())
	vals := make([]float32, n*v)
	for i := range vals {
		vals[i] = nan
	}
	vals[7], vals[21] = 1.5, -2 // row 0: two finite logits; row 1: none
	x, _ := e.tensor(kernels.F32, vals, nan, n, v)
	ids := e.b.Zeros(kernels.I32, n, k)
	lp, _ := e.output(kernels.F32, false, n, k)
	ops.TopKLogProbs(ids, lp.T, x.T, k, 1)
	got := e.b.ToFloat32(ids, nil)
	for r := range n {
		seen := map[int]bool{}
		for j := range k {
			id := int(got[r*k+j])
			if id < 0 || id >= v || seen[id] {
				e.Fatalf("TopKLogProbs with NaN logits: row %d ids %v: want %d distinct ids in [0, %d)", r, got[r*k:(r+1)*k], k, v)
			}
			seen[id] = true
		}
	}
}

// testDistillLargeTopK: top-k soft labels with V = 32000 and k = 3750,
// whose per-row working set on a GPU (a V-bit id bitmap and 12 bytes per
// label) fits 48 KiB only without the kernel's static shared memory.
func testDistillLargeTopK(e *env, ops kernels.TrainOps) {
	c := distillCase{n: 2, v: 32000, k: 3750, p: kernels.LossParams{Divergence: kernels.ForwardKL, Temperature: 1, Alpha: 0.5, Scale: 1}}
	soft, _, ids, lps := e.teacherFor(c, kernels.F32)
	x, xv := e.input(kernels.F32, 2, c.n, c.v)
	targets := []int32{3, 31999}
	loss, _ := e.output(kernels.F32, false, c.n)
	d, _ := e.output(kernels.F32, false, c.n, c.v)
	ops.DistillLoss(loss.T, d.T, x, soft, targets, c.p)
	want := make([]float64, c.n)
	for r := range c.n {
		want[r] = RefDistillRow(xv[r*c.v:(r+1)*c.v], nil, ids[r], lps[r], targets[r], c.p)
	}
	e.check(fmt.Sprintf("DistillLoss V=%d k=%d loss", c.v, c.k), loss, want, 1e-4)
	for i, g := range e.b.ToFloat32(d.T, nil) {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			e.Fatalf("DistillLoss V=%d k=%d: dlogits[%d] = %v", c.v, c.k, i, g)
		}
	}
}
