package kernels

import "fmt"

// CheckDistill applies the TrainOps.DistillLoss argument rules to losses l,
// dlogits d (may be nil), logits x, the teacher's soft labels (logits tl,
// or top-k ids and log-probs lps; looked at only when Alpha > 0), targets
// and p. idsOf returns the top-k ids' values (a device backend copies them
// to the host), which must lie in [0, V) because kernels index rows with
// them. It returns the rows n, vocabulary v and k (0 for full soft labels).
func CheckDistill[T TensorRef](l, d, x, tl, ids, lps T, targets []int32, p LossParams, idsOf func(T) []int32) (n, v, k int) {
	const op = "DistillLoss"
	MustNotNil(op, "losses, logits", l, x)
	MustFloat(op, x, d)
	MustF32(op, "losses", l)
	n, v = Rows(x)
	MustNumel(op, n, l)
	if !isNil(d) {
		MustSameShape(op, x, d)
	}
	if !(p.Temperature > 0) || !(p.Alpha >= 0 && p.Alpha <= 1) {
		panic(fmt.Sprintf("kernels: %s: temperature %g must be > 0 and alpha %g in [0, 1]", op, p.Temperature, p.Alpha))
	}
	if p.Alpha > 0 && p.Divergence == JSD && !(p.Beta > 0 && p.Beta < 1) {
		panic(fmt.Sprintf("kernels: %s: JSD beta %g must be in (0, 1)", op, p.Beta))
	}
	if p.Divergence > JSD {
		panic(fmt.Sprintf("kernels: %s: unknown divergence %d", op, p.Divergence))
	}
	if targets == nil {
		if p.Alpha != 1 {
			panic("kernels: DistillLoss: nil targets with alpha < 1 (hard-label term needs targets)")
		}
	} else {
		CheckTargets(op, n, v, targets)
	}
	if p.Alpha == 0 {
		return n, v, 0
	}
	switch {
	case !isNil(tl):
		MustFloat(op, tl)
		MustSameShape(op, x, tl)
	case !isNil(ids) && !isNil(lps):
		if ids.DType() != I32 {
			panic(fmt.Sprintf("kernels: %s: top-k ids %s must be I32", op, ids))
		}
		MustFloat(op, lps)
		MustSameShape(op, ids, lps)
		var nk int
		nk, k = Rows(ids)
		if nk != n || k < 1 || k > v {
			panic(fmt.Sprintf("kernels: %s: top-k ids %s do not fit logits %s", op, ids, x))
		}
		for i, id := range idsOf(ids) {
			if id < 0 || int(id) >= v {
				panic(fmt.Sprintf("kernels: %s: top-k id %d at %d outside [0, %d)", op, id, i, v))
			}
		}
	default:
		panic("kernels: DistillLoss: alpha > 0 needs teacher logits or top-k ids and log-probs")
	}
	return n, v, k
}

// CheckTopK applies the TrainOps.TopKLogProbs rules: ids [N, k] I32 and
// log-probs [N, k] for logits [N, V], 1 <= k <= V, temperature > 0. It
// returns N and V.
func CheckTopK[T TensorRef](ids, lps, logits T, k int, temperature float32) (n, v int) {
	const op = "TopKLogProbs"
	MustNotNil(op, "ids, logprobs, logits", ids, lps, logits)
	MustFloat(op, logits, lps)
	if ids.DType() != I32 {
		panic(fmt.Sprintf("kernels: %s: ids %s must be I32", op, ids))
	}
	n, v = Rows(logits)
	if k < 1 || k > v || !(temperature > 0) {
		panic(fmt.Sprintf("kernels: %s: k = %d outside [1, %d] or temperature %g <= 0", op, k, v, temperature))
	}
	MustSameShape(op, ids, lps)
	if nk, kk := Rows(ids); nk != n || kk != k {
		panic(fmt.Sprintf("kernels: %s: ids %s is not [%d, %d]", op, ids, n, k))
	}
	return n, v
}

// CheckAdamW applies the TrainOps.AdamW rules: F32 param, m and v and a
// float grad of one shape; step >= 1.
func CheckAdamW[T TensorRef](param, grad, m, v T, p AdamWParams) {
	const op = "AdamW"
	MustNotNil(op, "param, grad, m, v", param, grad, m, v)
	MustF32(op, "param", param)
	MustF32(op, "m", m)
	MustF32(op, "v", v)
	MustFloat(op, grad)
	MustSameShape(op, param, grad, m, v)
	if p.Step < 1 {
		panic(fmt.Sprintf("kernels: %s: step %d < 1", op, p.Step))
	}
}

// CheckHiddenLoss applies the TrainOps.HiddenLoss rules: losses [N] F32,
// student and teacher [N, C] float of one shape, dstudent (optional) too, a
// known kind. It returns N and C.
func CheckHiddenLoss[T TensorRef](losses, dstudent, student, teacher T, kind HiddenKind) (n, c int) {
	const op = "HiddenLoss"
	MustNotNil(op, "losses, student, teacher", losses, student, teacher)
	MustF32(op, "losses", losses)
	MustFloat(op, dstudent, student, teacher)
	MustSameShape(op, student, teacher)
	if !isNil(dstudent) {
		MustSameShape(op, student, dstudent)
	}
	n, c = Rows(student)
	MustNumel(op, n, losses)
	if kind > HiddenCosine {
		panic(fmt.Sprintf("kernels: %s: unknown kind %d", op, kind))
	}
	return n, c
}
