package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// RunTrain checks the kernels.TrainOps methods of b against the float64
// references of train_ref.go; it skips when b does not implement TrainOps.
func RunTrain(t *testing.T, b kernels.Backend) {
	ops, ok := b.(kernels.TrainOps)
	if !ok {
		t.Skipf("backend %s does not implement kernels.TrainOps", b.Name())
	}
	groups := []struct {
		name string
		fn   func(*env, kernels.TrainOps)
	}{
		{"DistillLoss", testDistillLoss},
		{"DistillLossTopKTail", testDistillTopKTail},
		{"DistillLossAlias", testDistillAlias},
		{"TopKLogProbs", testTopKLogProbs},
		{"TopKLogProbsNaN", testTopKNaN},
		{"DistillLossLargeTopK", testDistillLargeTopK},
		{"HiddenLoss", testHiddenLoss},
		{"SumSquaresNonFinite", testSumSquares},
		{"AdamW", testAdamW},
		{"TrainPanics", testTrainPanics},
	}
	for i, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			e := &env{T: t, b: b, rng: rand.New(rand.NewPCG(uint64(i)+101, 7))}
			g.fn(e, ops)
		})
	}
}

// distillCase is one DistillLoss configuration.
type distillCase struct {
	n, v, k int // k = 0: full teacher logits
	p       kernels.LossParams
}

func (c distillCase) String() string {
	return fmt.Sprintf("%s n=%d v=%d k=%d T=%g alpha=%g beta=%g", c.p.Divergence, c.n, c.v, c.k, c.p.Temperature, c.p.Alpha, c.p.Beta)
}

func distillCases() []distillCase {
	var cs []distillCase
	for _, div := range []kernels.Divergence{kernels.ForwardKL, kernels.ReverseKL, kernels.JSD} {
		for _, T := range []float32{1, 2.5} {
			for _, alpha := range []float32{0, 0.4, 1} {
				for _, k := range []int{0, 1, 5, 13} {
					cs = append(cs, distillCase{n: 4, v: 13, k: k, p: kernels.LossParams{
						Divergence: div, Temperature: T, Alpha: alpha, Beta: 0.3, Scale: 0.5}})
				}
			}
		}
	}
	// A vocabulary long enough for several 256-blocks and thread splits.
	cs = append(cs, distillCase{n: 9, v: 700, k: 0, p: kernels.LossParams{Temperature: 2, Alpha: 0.5, Scale: 1}})
	cs = append(cs, distillCase{n: 9, v: 700, k: 20, p: kernels.LossParams{Divergence: kernels.JSD, Beta: 0.5, Temperature: 1, Alpha: 0.7, Scale: 1}})
	return cs
}

// teacherFor makes soft labels for c: random teacher logits, and their exact
// top-k when c.k > 0. It returns the float64 views the reference needs.
func (e *env) teacherFor(c distillCase, ldt kernels.DType) (kernels.SoftLabels, []float64, [][]int32, [][]float64) {
	tl, tv := e.input(kernels.F32, 2, c.n, c.v)
	if c.k == 0 {
		return kernels.SoftLabels{Logits: tl}, tv, nil, nil
	}
	ids := make([]int32, c.n*c.k)
	lpf := make([]float32, c.n*c.k)
	rids, rlps := make([][]int32, c.n), make([][]float64, c.n)
	for r := range c.n {
		ri, rl := RefTopK(tv[r*c.v:(r+1)*c.v], c.k, float64(c.p.Temperature))
		copy(ids[r*c.k:], ri)
		for j := range rl {
			lpf[r*c.k+j] = float32(rl[j])
		}
	}
	lpT := e.b.FromFloat32(ldt, lpf, c.n, c.k)
	stored := e.b.ToFloat32(lpT, nil)
	for r := range c.n { // the reference sees the rounded log-probs
		rids[r] = ids[r*c.k : (r+1)*c.k]
		rlps[r] = f64(stored[r*c.k : (r+1)*c.k])
	}
	idT := e.b.FromBytes(kernels.I32, int32Bytes(ids), c.n, c.k)
	return kernels.SoftLabels{IDs: idT, LogProbs: lpT}, nil, rids, rlps
}

func int32Bytes(v []int32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		u := uint32(x)
		out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return out
}

// refDistill returns the reference losses and gradients of every row.
func refDistill(c distillCase, xv, tv []float64, ids [][]int32, lps [][]float64, targets []int32) (loss, grad []float64) {
	loss, grad = make([]float64, c.n), make([]float64, c.n*c.v)
	for r := range c.n {
		x := xv[r*c.v : (r+1)*c.v]
		var tl []float64
		var ri []int32
		var rl []float64
		if tv != nil {
			tl = tv[r*c.v : (r+1)*c.v]
		} else {
			ri, rl = ids[r], lps[r]
		}
		tg := int32(0)
		if targets != nil {
			tg = targets[r]
		}
		loss[r] = RefDistillRow(x, tl, ri, rl, tg, c.p)
		if tg >= 0 {
			copy(grad[r*c.v:], RefDistillGrad(x, tl, ri, rl, tg, c.p, 1e-5))
		}
	}
	return loss, grad
}

func (e *env) targets(n, v int) []int32 {
	t := make([]int32, n)
	for i := range t {
		t[i] = int32(e.rng.IntN(v))
	}
	if n > 2 {
		t[2] = -1 // masked row
	}
	return t
}

func testDistillLoss(e *env, ops kernels.TrainOps) {
	for _, c := range distillCases() {
		for _, dt := range []kernels.DType{kernels.F32, kernels.F16} {
			name := fmt.Sprintf("%v %s", c, dt)
			soft, tv, ids, lps := e.teacherFor(c, dt)
			x, xv := e.input(dt, 2, c.n, c.v)
			targets := e.targets(c.n, c.v)
			loss, _ := e.output(kernels.F32, false, c.n)
			d, _ := e.output(dt, false, c.n, c.v)
			ops.DistillLoss(loss.T, d.T, x, soft, targets, c.p)
			wl, wg := refDistill(c, xv, tv, ids, lps, targets)
			// Loss: float32 compute over V terms; gradient: FD of the
			// float64 loss (error ~1e-9) plus one rounding of the output.
			e.check(name+" loss", loss, wl, 1e-4)
			e.check(name+" dlogits", d, wg, math.Max(1e-5, Tol(dt)))
			// Loss only (nil dlogits) gives the same losses.
			loss2, _ := e.output(kernels.F32, false, c.n)
			ops.DistillLoss(loss2.T, nil, x, soft, targets, c.p)
			e.check(name+" loss without gradient", loss2, wl, 1e-4)
		}
	}
	// Pure KD with nil targets.
	c := distillCase{n: 3, v: 40, k: 0, p: kernels.LossParams{Temperature: 2, Alpha: 1, Scale: 1}}
	soft, tv, _, _ := e.teacherFor(c, kernels.F32)
	x, xv := e.input(kernels.F32, 2, c.n, c.v)
	loss, _ := e.output(kernels.F32, false, c.n)
	d, _ := e.output(kernels.F32, false, c.n, c.v)
	ops.DistillLoss(loss.T, d.T, x, soft, nil, c.p)
	wl, wg := refDistill(c, xv, tv, nil, nil, nil)
	e.check("nil targets loss", loss, wl, 1e-4)
	e.check("nil targets dlogits", d, wg, 1e-5)
}

// testDistillTopKTail checks the tail-bucket semantics: a student equal to
// the teacher has zero loss whatever k, a student that matches the top-k
// probabilities and the tail mass (but not the tail's shape) also has zero
// loss, and one that moves tail mass into the top-k does not.
func testDistillTopKTail(e *env, ops kernels.TrainOps) {
	const n, v = 2, 30
	for _, div := range []kernels.Divergence{kernels.ForwardKL, kernels.ReverseKL, kernels.JSD} {
		for _, k := range []int{1, 4, v} {
			p := kernels.LossParams{Divergence: div, Temperature: 1.5, Alpha: 1, Beta: 0.5, Scale: 1}
			c := distillCase{n: n, v: v, k: k, p: p}
			tvals := e.randn(n*v, 2)
			tl := e.b.FromFloat32(kernels.F32, tvals, n, v)
			ids, lps := e.b.Zeros(kernels.I32, n, k), e.b.Zeros(kernels.F32, n, k)
			ops.TopKLogProbs(ids, lps, tl, k, p.Temperature)
			soft := kernels.SoftLabels{IDs: ids, LogProbs: lps}
			loss := e.b.Zeros(kernels.F32, n)
			name := fmt.Sprintf("%v", c)

			ops.DistillLoss(loss, nil, tl, soft, nil, p)
			for r, l := range e.b.ToFloat32(loss, nil) {
				if math.Abs(float64(l)) > 1e-5 {
					e.Errorf("%s: student = teacher, row %d loss %g, want 0", name, r, l)
				}
			}
			// Permute the tail logits among themselves: same coarsened
			// distribution, so zero loss again.
			if k < v {
				idv := e.b.ToFloat32(ids, nil)
				sv := append([]float32(nil), tvals...)
				for r := range n {
					in := map[int]bool{}
					for j := range k {
						in[int(idv[r*k+j])] = true
					}
					var tail []int
					for i := range v {
						if !in[i] {
							tail = append(tail, r*v+i)
						}
					}
					for a, b := 0, len(tail)-1; a < b; a, b = a+1, b-1 {
						sv[tail[a]], sv[tail[b]] = sv[tail[b]], sv[tail[a]]
					}
				}
				ops.DistillLoss(loss, nil, e.b.FromFloat32(kernels.F32, sv, n, v), soft, nil, p)
				for r, l := range e.b.ToFloat32(loss, nil) {
					if math.Abs(float64(l)) > 1e-5 {
						e.Errorf("%s: tail permuted, row %d loss %g, want 0", name, r, l)
					}
				}
			}
		}
	}
	// Moving mass out of the tail is penalised.
	p := kernels.LossParams{Divergence: kernels.ForwardKL, Temperature: 1, Alpha: 1, Scale: 1}
	tl := e.b.FromFloat32(kernels.F32, []float32{3, 2, 1, 1, 1, 1}, 1, 6)
	ids, lps := e.b.Zeros(kernels.I32, 1, 2), e.b.Zeros(kernels.F32, 1, 2)
	ops.TopKLogProbs(ids, lps, tl, 2, 1)
	loss := e.b.Zeros(kernels.F32, 1)
	ops.DistillLoss(loss, nil, e.b.FromFloat32(kernels.F32, []float32{3, 2, -5, -5, -5, -5}, 1, 6),
		kernels.SoftLabels{IDs: ids, LogProbs: lps}, nil, p)
	if l := e.b.ToFloat32(loss, nil)[0]; !(l > 0.1) {
		e.Errorf("student without tail mass: loss %g, want > 0.1", l)
	}
}

// testDistillAlias checks dlogits == logits (in place, as llm.c does).
func testDistillAlias(e *env, ops kernels.TrainOps) {
	for _, dt := range FloatTypes {
		c := distillCase{n: 5, v: 300, k: 7, p: kernels.LossParams{Divergence: kernels.ReverseKL, Temperature: 2, Alpha: 0.5, Scale: 0.25}}
		soft, tv, ids, lps := e.teacherFor(c, kernels.F32)
		g, xv := e.output(dt, true, c.n, c.v)
		targets := e.targets(c.n, c.v)
		loss, _ := e.output(kernels.F32, false, c.n)
		ops.DistillLoss(loss.T, g.T, g.T, soft, targets, c.p)
		wl, wg := refDistill(c, xv, tv, ids, lps, targets)
		e.check("alias loss "+dt.String(), loss, wl, 1e-4)
		e.check("alias dlogits "+dt.String(), g, wg, math.Max(1e-5, Tol(dt)))
	}
}

func testTopKLogProbs(e *env, ops kernels.TrainOps) {
	for _, dt := range FloatTypes {
		for _, sh := range [][3]int{{1, 1, 1}, {3, 10, 4}, {4, 64, 64}, {7, 1000, 32}} {
			n, v, k := sh[0], sh[1], sh[2]
			vals := e.randn(n*v, 3)
			for i := range vals[:len(vals)/2] { // ties
				vals[i] = float32(math.Round(float64(vals[i])))
			}
			x, xv := e.tensor(dt, vals, float32(math.NaN()), n, v)
			ids := e.b.Zeros(kernels.I32, n, k)
			lp, _ := e.output(dt, false, n, k)
			const T = 1.7
			ops.TopKLogProbs(ids, lp.T, x.T, k, T)
			gotIDs := e.b.ToFloat32(ids, nil)
			want := make([]float64, n*k)
			for r := range n {
				ri, rl := RefTopK(xv[r*v:(r+1)*v], k, T)
				for j := range k {
					if int32(gotIDs[r*k+j]) != ri[j] {
						e.Fatalf("TopK %s %v: row %d ids %v, want %v", dt, sh, r, gotIDs[r*k:(r+1)*k], ri)
					}
				}
				copy(want[r*k:], rl)
			}
			e.check(fmt.Sprintf("TopK %s %v logprobs", dt, sh), lp, want, math.Max(1e-4, Tol(dt)))
		}
	}
}

func testHiddenLoss(e *env, ops kernels.TrainOps) {
	for _, dt := range FloatTypes {
		for _, kind := range []kernels.HiddenKind{kernels.HiddenMSE, kernels.HiddenCosine} {
			for _, sh := range [][2]int{{1, 1}, {3, 7}, {50, 96}} {
				n, c := sh[0], sh[1]
				s, sv := e.input(dt, 1, n, c)
				tt, tv := e.input(dt, 1, n, c)
				loss, _ := e.output(kernels.F32, false, n)
				ds, dsv := e.output(dt, true, n, c)
				const scale = 0.75
				ops.HiddenLoss(loss.T, ds.T, s, tt, kind, scale)
				want := make([]float64, n)
				for r := range n {
					x, y := sv[r*c:(r+1)*c], tv[r*c:(r+1)*c]
					want[r] = RefHiddenRow(x, y, kind)
					xx := append([]float64(nil), x...)
					for i := range xx { // central differences, accumulated
						const h = 1e-6
						xx[i] = x[i] + h
						up := RefHiddenRow(xx, y, kind)
						xx[i] = x[i] - h
						dn := RefHiddenRow(xx, y, kind)
						xx[i] = x[i]
						dsv[r*c+i] += scale * (up - dn) / (2 * h)
					}
				}
				name := fmt.Sprintf("HiddenLoss %s kind=%d %v", dt, kind, sh)
				e.check(name+" loss", loss, want, 1e-5)
				e.check(name+" dstudent", ds, dsv, math.Max(1e-5, Tol(dt)))
			}
		}
	}
	// Zero rows: cosine loss 1, no gradient.
	z := e.b.Zeros(kernels.F32, 1, 4)
	loss, d := e.b.Zeros(kernels.F32, 1), e.b.Zeros(kernels.F32, 1, 4)
	ops.HiddenLoss(loss, d, z, z, kernels.HiddenCosine, 1)
	if l := e.b.ToFloat32(loss, nil)[0]; l != 1 || ops.SumSquares(d) != 0 {
		e.Errorf("cosine of zero rows: loss %v, |grad|^2 %v; want 1, 0", l, ops.SumSquares(d))
	}
}

func testSumSquares(e *env, ops kernels.TrainOps) {
	for _, dt := range FloatTypes {
		for _, n := range []int{1, 7, 5000, 40000} {
			x, xv := e.input(dt, 1, n)
			var want float64
			for _, v := range xv {
				want += v * v
			}
			if got := ops.SumSquares(x); math.Abs(got-want) > 1e-5*want {
				e.Errorf("SumSquares %s n=%d = %v, want %v", dt, n, got, want)
			}
			if ops.NonFinite(x) {
				e.Errorf("NonFinite %s n=%d: true for finite values", dt, n)
			}
			for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
				vals := e.randn(n, 1)
				vals[e.rng.IntN(n)] = bad
				if !ops.NonFinite(e.b.FromFloat32(dt, vals, n)) {
					e.Errorf("NonFinite %s n=%d: missed %v", dt, n, bad)
				}
			}
		}
	}
	// 70000 overflows float16 storage to +Inf.
	if !ops.NonFinite(e.b.FromFloat32(kernels.F16, []float32{1, 70000}, 2)) {
		e.Error("NonFinite missed an fp16 overflow")
	}
}

func testAdamW(e *env, ops kernels.TrainOps) {
	for _, gdt := range FloatTypes {
		for _, n := range []int{1, 33, 9000} {
			param, pv := e.output(kernels.F32, true, n)
			m, mv := e.tensor(kernels.F32, make([]float32, n), 4096, n)
			v, vv := e.tensor(kernels.F32, make([]float32, n), 4096, n)
			for step := 1; step <= 3; step++ {
				grad, gv := e.input(gdt, 8, n)
				p := kernels.AdamWParams{LR: 1e-2, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Step: step, GradScale: 4}
				ops.AdamW(param.T, grad, m.T, v.T, p)
				RefAdamW(pv, gv, mv, vv, p)
			}
			name := fmt.Sprintf("AdamW grad %s n=%d", gdt, n)
			e.check(name+" param", param, pv, 1e-5)
			e.check(name+" m", m, mv, 1e-5)
			e.check(name+" v", v, vv, 1e-5)
		}
	}
}

func testTrainPanics(e *env, ops kernels.TrainOps) {
	b := e.b
	x := b.Zeros(kernels.F32, 2, 3)
	l := b.Zeros(kernels.F32, 2)
	p := kernels.LossParams{Temperature: 1, Alpha: 0.5, Scale: 1}
	mustPanic(e.T, "DistillLoss no teacher", func() { ops.DistillLoss(l, nil, x, kernels.SoftLabels{}, []int32{0, 1}, p) })
	mustPanic(e.T, "DistillLoss target range", func() {
		ops.DistillLoss(l, nil, x, kernels.SoftLabels{Logits: x}, []int32{0, 3}, p)
	})
	mustPanic(e.T, "DistillLoss nil targets with CE", func() { ops.DistillLoss(l, nil, x, kernels.SoftLabels{Logits: x}, nil, p) })
	mustPanic(e.T, "DistillLoss bad temperature", func() {
		ops.DistillLoss(l, nil, x, kernels.SoftLabels{Logits: x}, []int32{0, 1}, kernels.LossParams{Alpha: 1})
	})
	mustPanic(e.T, "TopK k > V", func() { ops.TopKLogProbs(b.Zeros(kernels.I32, 2, 4), b.Zeros(kernels.F32, 2, 4), x, 4, 1) })
	mustPanic(e.T, "AdamW step 0", func() { ops.AdamW(x, x, b.Zeros(kernels.F32, 2, 3), b.Zeros(kernels.F32, 2, 3), kernels.AdamWParams{}) })
	mustPanic(e.T, "AdamW half master", func() {
		h := b.Zeros(kernels.F16, 2, 3)
		ops.AdamW(h, x, x, x, kernels.AdamWParams{Step: 1})
	})
}
