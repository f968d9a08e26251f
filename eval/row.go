package eval

import "math"

// rowStats is what one scored position contributes. For a single model only
// nll[0] is set.
type rowStats struct {
	nll   [2]float64 // -log p(target) under each model
	agree bool       // argmax of both models equal
	kl    float64    // KL(P||Q)
	rkl   float64    // KL(Q||P)
}

// logSumExp returns log sum_v exp(z_v) in float64, the argmax of z (the
// lowest id among ties), and sum, the sum of e; e (len(z)) receives
// exp(z_v - max z).
func logSumExp(z []float32, e []float64) (lse, sum float64, argmax int) {
	m := z[0]
	for v, x := range z {
		if x > m {
			m, argmax = x, v
		}
	}
	var s float64
	for v, x := range z {
		ev := math.Exp(float64(x) - float64(m))
		e[v] = ev
		s += ev
	}
	return float64(m) + math.Log(s), s, argmax
}

// scoreOne computes the NLL of target under logits z.
func scoreOne(z []float32, target int32, e []float64) rowStats {
	lse, _, _ := logSumExp(z, e)
	var r rowStats
	r.nll[0] = lse - float64(z[target])
	return r
}

// scorePair computes both models' NLL, argmax agreement and the two KL
// divergences from logits zp (P) and zq (Q). ep and eq are scratch.
//
// With log p_v = zp_v - lseP (likewise q), KL(P||Q) = sum_v p_v (log p_v -
// log q_v); p_v = ep_v / sum(ep) is formed from the exponentials already
// computed for the log-sum-exp.
func scorePair(zp, zq []float32, target int32, ep, eq []float64) rowStats {
	lseP, sp, amP := logSumExp(zp, ep)
	lseQ, sq, amQ := logSumExp(zq, eq)
	var kl, rkl float64
	for v := range zp {
		d := (float64(zp[v]) - lseP) - (float64(zq[v]) - lseQ) // log p_v - log q_v
		kl += ep[v] / sp * d
		rkl -= eq[v] / sq * d
	}
	return rowStats{
		nll:   [2]float64{lseP - float64(zp[target]), lseQ - float64(zq[target])},
		agree: amP == amQ,
		kl:    max(kl, 0), // rounding can leave -1e-17 for identical rows
		rkl:   max(rkl, 0),
	}
}
