package kerneltest

import (
	"math"
	"sort"

	"github.com/distill-dev/distill/kernels"
)

// Float64 references of the training ops (kernels.TrainOps), written from
// the definitions: the loss straight from the divergence formulas over the
// buckets, the gradient by central differences of that loss (so the fused
// analytic gradient is checked against something it shares no code with).

// refLogSoftmax returns x/T - logsumexp(x/T).
func refLogSoftmax(x []float64, T float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v/T)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v/T - m)
	}
	lse := m + math.Log(s)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v/T - lse
	}
	return out
}

// RefTopK returns the k ids of the largest x (descending, ties: smaller id
// first) and their log-probabilities at temperature T.
func RefTopK(x []float64, k int, T float64) ([]int32, []float64) {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] > x[idx[b]] })
	lp := refLogSoftmax(x, T)
	ids, lps := make([]int32, k), make([]float64, k)
	for j := range k {
		ids[j], lps[j] = int32(idx[j]), lp[idx[j]]
	}
	return ids, lps
}

// RefDistillRow is one row of DistillLoss: logits x [V]; teacher either
// full logits tl [V] or top-k (ids, lps); target < 0 masks the row.
func RefDistillRow(x, tl []float64, ids []int32, lps []float64, target int32, p kernels.LossParams) float64 {
	if target < 0 {
		return 0
	}
	T, alpha := float64(p.Temperature), float64(p.Alpha)
	var kd, ce float64
	if alpha < 1 {
		ce = -refLogSoftmax(x, 1)[target]
	}
	if alpha > 0 {
		lq := refLogSoftmax(x, T)
		var P, Q []float64 // bucket probabilities
		if tl != nil {
			lp := refLogSoftmax(tl, T)
			for i := range lp {
				P = append(P, math.Exp(lp[i]))
				Q = append(Q, math.Exp(lq[i]))
			}
		} else {
			in := make(map[int32]bool)
			var pS float64
			for j, id := range ids {
				in[id] = true
				P = append(P, math.Exp(lps[j]))
				Q = append(Q, math.Exp(lq[id]))
				pS += math.Exp(lps[j])
			}
			var qT float64
			for i := range lq {
				if !in[int32(i)] {
					qT += math.Exp(lq[i])
				}
			}
			if len(ids) < len(x) {
				P = append(P, math.Exp(math.Max(math.Log(math.Max(0, 1-pS)), kernels.MinTailLogProb)))
				Q = append(Q, qT)
			}
		}
		kd = refDivergence(p.Divergence, float64(p.Beta), P, Q)
	}
	return alpha*T*T*kd + (1-alpha)*ce
}

// refDivergence is D(P, Q) by its definition, with 0 log 0 = 0.
func refDivergence(d kernels.Divergence, beta float64, P, Q []float64) float64 {
	xlogy := func(x, y float64) float64 {
		if x == 0 {
			return 0
		}
		return x * math.Log(y)
	}
	kl := func(a, b []float64) float64 {
		var s float64
		for i := range a {
			s += xlogy(a[i], a[i]) - xlogy(a[i], b[i])
		}
		return s
	}
	switch d {
	case kernels.ForwardKL:
		return kl(P, Q)
	case kernels.ReverseKL:
		return kl(Q, P)
	}
	M := make([]float64, len(P))
	for i := range M {
		M[i] = beta*P[i] + (1-beta)*Q[i]
	}
	return beta*kl(P, M) + (1-beta)*kl(Q, M)
}

// RefDistillGrad returns Scale * d RefDistillRow / d x by central
// differences with step h.
func RefDistillGrad(x, tl []float64, ids []int32, lps []float64, target int32, p kernels.LossParams, h float64) []float64 {
	g := make([]float64, len(x))
	xx := append([]float64(nil), x...)
	for i := range x {
		xx[i] = x[i] + h
		up := RefDistillRow(xx, tl, ids, lps, target, p)
		xx[i] = x[i] - h
		dn := RefDistillRow(xx, tl, ids, lps, target, p)
		xx[i] = x[i]
		g[i] = float64(p.Scale) * (up - dn) / (2 * h)
	}
	return g
}

// RefAdamW applies one AdamW step to float64 state.
func RefAdamW(param, grad, m, v []float64, p kernels.AdamWParams) {
	gs := float64(p.GradScale)
	if gs == 0 {
		gs = 1
	}
	b1, b2 := float64(p.Beta1), float64(p.Beta2)
	bc1, bc2 := 1-math.Pow(b1, float64(p.Step)), 1-math.Pow(b2, float64(p.Step))
	for i := range param {
		g := grad[i] / gs
		m[i] = b1*m[i] + (1-b1)*g
		v[i] = b2*v[i] + (1-b2)*g*g
		param[i] -= float64(p.LR) * (m[i]/bc1/(math.Sqrt(v[i]/bc2)+float64(p.Eps)) + float64(p.WeightDecay)*param[i])
	}
}

// RefHiddenRow is the HiddenLoss distance of one row.
func RefHiddenRow(s, t []float64, kind kernels.HiddenKind) float64 {
	var ss, tt, st, se float64
	for i := range s {
		ss, tt, st, se = ss+s[i]*s[i], tt+t[i]*t[i], st+s[i]*t[i], se+(s[i]-t[i])*(s[i]-t[i])
	}
	if kind == kernels.HiddenMSE {
		return se / float64(len(s))
	}
	if ss == 0 || tt == 0 {
		return 1
	}
	return 1 - st/math.Sqrt(ss*tt)
}
