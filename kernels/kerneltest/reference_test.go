package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The backward references are checked against central finite differences
// of the forward references, with the scalar loss sum(out .* w) for a fixed
// random w (so the backward's dout is w).

const fdStep = 1e-5

func randv(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64() * scale
	}
	return v
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// gradCheck compares analytic, the gradient of loss with respect to x, with
// central differences, perturbing x in place.
func gradCheck(t *testing.T, name string, x, analytic []float64, loss func() float64) {
	t.Helper()
	bad := 0
	for i := range x {
		old := x[i]
		x[i] = old + fdStep
		fp := loss()
		x[i] = old - fdStep
		fm := loss()
		x[i] = old
		num := (fp - fm) / (2 * fdStep)
		if d := math.Abs(num - analytic[i]); d > 1e-6*math.Max(1, math.Abs(num)) {
			if bad < 5 {
				t.Errorf("%s: grad[%d] = %v, finite difference %v", name, i, analytic[i], num)
			}
			bad++
		}
	}
}

func TestRefNormGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	N, C := 3, 5
	x, w, b, wo := randv(rng, N*C, 2), randv(rng, C, 1), randv(rng, C, 1), randv(rng, N*C, 1)
	out, m, r := make([]float64, N*C), make([]float64, N), make([]float64, N)

	rms := func() float64 { RefRMSNorm(out, r, x, w, N, C, 1e-5); return dot(out, wo) }
	rms()
	dx, dw := make([]float64, N*C), make([]float64, C)
	RefRMSNormBackward(dx, dw, wo, x, w, r, N, C)
	gradCheck(t, "RMSNorm dx", x, dx, rms)
	gradCheck(t, "RMSNorm dw", w, dw, rms)

	ln := func() float64 { RefLayerNorm(out, m, r, x, w, b, N, C, 1e-5); return dot(out, wo) }
	ln()
	dx, dw, db := make([]float64, N*C), make([]float64, C), make([]float64, C)
	RefLayerNormBackward(dx, dw, db, wo, x, w, m, r, N, C)
	gradCheck(t, "LayerNorm dx", x, dx, ln)
	gradCheck(t, "LayerNorm dw", w, dw, ln)
	gradCheck(t, "LayerNorm db", b, db, ln)

	bias := func() float64 {
		s := 0.0
		for i := range x {
			s += (x[i] + b[i%C]) * wo[i]
		}
		return s
	}
	db = make([]float64, C)
	RefBiasBackward(db, wo, N, C)
	gradCheck(t, "AddBias db", b, db, bias)
}

func TestRefRoPEGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	B, T, H, hd := 2, 3, 2, 8
	for _, halfStyle := range []bool{false, true} {
		x, wo := randv(rng, B*T*H*hd, 1), randv(rng, B*T*H*hd, 1)
		y := make([]float64, len(x))
		loss := func() float64 {
			copy(y, x)
			RefRoPE(y, B, T, H, hd, halfStyle, 10000, nil, 3, false)
			return dot(y, wo)
		}
		dx := append([]float64(nil), wo...)
		RefRoPE(dx, B, T, H, hd, halfStyle, 10000, nil, 3, true)
		gradCheck(t, "RoPE dx", x, dx, loss)
	}
}

func TestRefAttentionGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []attnCase{{1, 4, 4, 2, 2, 3, 0, 0}, {2, 3, 5, 4, 2, 2, 0, 0}, {1, 3, 6, 2, 1, 2, 2, 0}, {1, 6, 6, 2, 1, 2, 0, 2}} {
		nq, nk := c.B*c.T*c.H*c.hd, c.B*c.S*c.KVH*c.hd
		q, k, v, wo := randv(rng, nq, 1), randv(rng, nk, 1), randv(rng, nk, 1), randv(rng, nq, 1)
		out, lse := make([]float64, nq), make([]float64, c.B*c.H*c.T)
		scale := 1 / math.Sqrt(float64(c.hd))
		loss := func() float64 {
			RefAttention(out, lse, q, k, v, c.B, c.T, c.S, c.H, c.KVH, c.hd, c.pos, c.window, scale)
			return dot(out, wo)
		}
		dq, dk, dv := make([]float64, nq), make([]float64, nk), make([]float64, nk)
		RefAttentionBackward(dq, dk, dv, wo, q, k, v, c.B, c.T, c.S, c.H, c.KVH, c.hd, c.pos, c.window, scale)
		gradCheck(t, "Attention dq", q, dq, loss)
		gradCheck(t, "Attention dk", k, dk, loss)
		gradCheck(t, "Attention dv", v, dv, loss)
	}
}

func TestRefActivationGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := 20
	g, u, x, wo := randv(rng, n, 2), randv(rng, n, 1), randv(rng, n, 2), randv(rng, n, 1)
	out := make([]float64, n)
	swi := func() float64 { RefSwiGLU(out, g, u); return dot(out, wo) }
	dg, du := make([]float64, n), make([]float64, n)
	RefSwiGLUBackward(dg, du, wo, g, u)
	gradCheck(t, "SwiGLU dgate", g, dg, swi)
	gradCheck(t, "SwiGLU dup", u, du, swi)
	gelu := func() float64 { RefGELU(out, x); return dot(out, wo) }
	dx := make([]float64, n)
	RefGELUBackward(dx, wo, x)
	gradCheck(t, "GELU dx", x, dx, gelu)
}

func TestRefEmbeddingAndLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	V, P, C, T := 5, 6, 3, 2
	ids := []int32{1, 1, 4, 0}
	table, pos, wo := randv(rng, V*C, 1), randv(rng, P*C, 1), randv(rng, len(ids)*C, 1)
	out := make([]float64, len(ids)*C)
	emb := func() float64 { RefEmbedding(out, table, pos, ids, C, T, 3); return dot(out, wo) }
	dt, dp := make([]float64, V*C), make([]float64, P*C)
	RefEmbeddingBackward(dt, dp, wo, ids, C, T, 3)
	gradCheck(t, "Embedding dtable", table, dt, emb)
	gradCheck(t, "Embedding dpos", pos, dp, emb)

	N, K := 3, 7
	logits := randv(rng, N*K, 3)
	targets := []int32{2, -1, 6}
	losses := make([]float64, N)
	ce := func() float64 {
		RefCrossEntropy(losses, logits, targets, N, K)
		return 0.5 * (losses[0] + losses[1] + losses[2])
	}
	dl := make([]float64, N*K)
	RefCrossEntropyBackward(dl, logits, targets, N, K, 0.5)
	gradCheck(t, "CrossEntropy dlogits", logits, dl, ce)

	// LogSoftmax is consistent with CrossEntropy: loss = -logsoftmax[target].
	ls := make([]float64, N*K)
	RefLogSoftmax(ls, logits, N, K)
	RefCrossEntropy(losses, logits, targets, N, K)
	for n, tg := range targets {
		if tg >= 0 && math.Abs(losses[n]+ls[n*K+int(tg)]) > 1e-12 {
			t.Errorf("row %d: CrossEntropy %v != -LogSoftmax %v", n, losses[n], -ls[n*K+int(tg)])
		}
	}
}
