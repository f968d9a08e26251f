package cpu

import (
	"math"

	"github.com/distill-dev/distill/kernels"
)

// logSumExp returns log(sum exp(x)) of a row in one pass over memory
// (online softmax): blocks of 256 keep a running maximum m and rescale the
// running sum when it grows, so no term overflows. The sum is float64, as
// vocabulary rows are long. scratch (at least 256) receives exponentials.
func logSumExp(x, scratch []float32) float32 {
	m := float32(math.Inf(-1))
	var sum float64
	for b0 := 0; b0 < len(x); b0 += 256 {
		blk := x[b0:min(b0+256, len(x))]
		if bm := maxf(blk); bm > m {
			if !math.IsInf(float64(bm), 1) {
				sum *= math.Exp(float64(m - bm))
			}
			m = bm
		} else if bm != bm {
			return bm // NaN
		}
		if math.IsInf(float64(m), 0) {
			continue // all -Inf so far, or a +Inf
		}
		sum += expSum(scratch, blk, m)
	}
	if math.IsInf(float64(m), 0) {
		return m // all -Inf (or a +Inf): the sum is degenerate
	}
	return m + float32(math.Log(sum))
}

// LogSoftmax writes out[n, :] = x[n, :] - logsumexp(x[n, :]).
func (b *Backend) LogSoftmax(outT, xT kernels.Tensor) {
	o, x := tns(outT), tns(xT)
	n, c := kernels.CheckElementwise("LogSoftmax", x, o)
	b.parallelFor(n, rowGrain(c), func(lo, hi int) {
		sp := getScratch(2 * c)
		for r := lo; r < hi; r++ {
			xv := view(x, r*c, c, (*sp)[:c])
			lse := logSumExp(xv, (*sp)[c:])
			ov := out(o, r*c, c, (*sp)[c:])
			for i, v := range xv {
				ov[i] = v - lse
			}
			store(o, r*c, ov)
		}
		putScratch(sp)
	})
}

// CrossEntropy writes losses[n] = logsumexp(logits[n, :]) - logits[n, target].
func (b *Backend) CrossEntropy(lossesT, logitsT kernels.Tensor, targets []int32) {
	l, x := tns(lossesT), tns(logitsT)
	n, c := kernels.CheckCrossEntropy(l, x, targets)
	b.parallelFor(n, rowGrain(c), func(lo, hi int) {
		sp := getScratch(2 * c)
		for r := lo; r < hi; r++ {
			if targets[r] < 0 {
				l.f32[r] = 0
				continue
			}
			xv := view(x, r*c, c, (*sp)[:c])
			l.f32[r] = logSumExp(xv, (*sp)[c:]) - xv[targets[r]]
		}
		putScratch(sp)
	})
}

// CrossEntropyBackward accumulates dlogits[n, :] += scale * (softmax - onehot).
func (b *Backend) CrossEntropyBackward(dlogitsT, logitsT kernels.Tensor, targets []int32, scale float32) {
	dx, x := tns(dlogitsT), tns(logitsT)
	n, c := kernels.CheckCrossEntropyBackward(dx, x, targets)
	b.parallelFor(n, rowGrain(c), func(lo, hi int) {
		sp := getScratch(3 * c)
		for r := lo; r < hi; r++ {
			t := targets[r]
			if t < 0 {
				continue
			}
			xv := view(x, r*c, c, (*sp)[:c])
			p := (*sp)[2*c:]
			m := maxf(xv)
			inv := float32(1 / expSum(p, xv, m)) // softmax = p * inv
			dv := inout(dx, r*c, c, (*sp)[c:2*c])
			sc := scale * inv
			for i, pi := range p {
				dv[i] += sc * pi
			}
			dv[t] -= scale
			store(dx, r*c, dv)
		}
		putScratch(sp)
	})
}
