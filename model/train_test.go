package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// trainFixture is a model whose weights are a ParamBlock, with a gradient
// block and a fixed batch.
type trainFixture struct {
	b       kernels.Backend
	cfg     Config
	params  *ParamBlock
	grads   *ParamBlock
	m       *Model
	st      TrainState
	ids     []int32
	targets []int32
	B, T    int
}

func newTrainFixture(t *testing.T, cfg Config, dt kernels.DType) *trainFixture {
	t.Helper()
	b := testBackend()
	f := &trainFixture{b: b, cfg: cfg, B: 2, T: min(5, cfg.MaxSeqLen)}
	var err error
	if f.params, err = AllocParams(cfg, b, dt); err != nil {
		t.Fatal(err)
	}
	if err := f.params.Set(b, RandomParams(cfg, 7)); err != nil {
		t.Fatal(err)
	}
	if f.grads, err = AllocParams(cfg, b, kernels.F32); err != nil {
		t.Fatal(err)
	}
	f.m = f.params.Model(b)
	n := f.B * f.T
	f.ids = randomIDs(n, cfg.VocabSize, 3)
	f.targets = randomIDs(n, cfg.VocabSize, 5)
	f.targets[1] = -1 // a masked position
	return f
}

// loss is the mean cross-entropy of the batch, accumulated in float64 on
// the host from a plain Forward (so the check shares no code with the
// training path beyond the kernels).
func (f *trainFixture) loss() float64 {
	logits := f.m.Logits(nil, f.ids, f.B, f.T)
	V := f.cfg.VocabSize
	var s float64
	for r, tg := range f.targets {
		if tg < 0 {
			continue
		}
		row := logits[r*V : (r+1)*V]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - m)
		}
		s += m + math.Log(z) - float64(row[tg])
	}
	return s / float64(len(f.targets))
}

// backward runs ForwardTrain + CrossEntropyBackward + Backward into grads.
func (f *trainFixture) backward() []float32 {
	b := f.b
	logits := f.m.ForwardTrain(&f.st, f.ids, f.B, f.T)
	d := b.Zeros(kernels.F32, logits.Shape()...)
	b.CrossEntropyBackward(d, logits, f.targets, 1/float32(len(f.targets)))
	f.m.Backward(&f.st, d, &f.grads.W)
	return b.ToFloat32(f.grads.Flat, nil)
}

// TestBackwardFiniteDifferences checks every parameter tensor's gradient
// (several random elements each) against central differences of the loss.
// float32 forward: with step 1e-2 the difference quotient carries about
// 1e-4 absolute noise, hence the tolerance 1e-3 + 3% relative. Dynamic
// RoPE scaling joins with an original context shorter than the
// fixture's 5 positions.
func TestBackwardFiniteDifferences(t *testing.T) {
	dynamic := dynamicConfig
	dynamic.RopeScaling.OriginalMaxSeqLen = 3
	cfgs := append(testConfigs[:len(testConfigs):len(testConfigs)], testConfigs[0])
	cfgs[len(cfgs)-1].name, cfgs[len(cfgs)-1].cfg = "llama-dynamic", dynamic
	for _, tc := range cfgs {
		t.Run(tc.name, func(t *testing.T) {
			f := newTrainFixture(t, tc.cfg, kernels.F32)
			grad := f.backward()
			host := f.b.ToFloat32(f.params.Flat, nil)
			rng := rand.New(rand.NewPCG(1, 2))
			const h = 1e-2
			for _, s := range tc.cfg.Params() {
				for range 4 {
					i := s.Offset + rng.IntN(s.Numel())
					old := host[i]
					eval := func(v float32) float64 {
						host[i] = v
						tmp := f.b.FromFloat32(kernels.F32, host, len(host))
						f.b.Copy(f.params.Flat, tmp)
						return f.loss()
					}
					fd := (eval(old+h) - eval(old-h)) / (2 * h)
					eval(old)
					g := float64(grad[i])
					if d := math.Abs(fd - g); d > 1e-3+0.03*math.Abs(fd) {
						t.Errorf("%s[%d]: backward %.6g, finite difference %.6g", s.Name, i-s.Offset, g, fd)
					}
				}
			}
		})
	}
}

// TestForwardTrainMatchesForward: the training forward gives Forward's
// logits, and Backward accumulates (two passes double the gradient).
func TestForwardTrainMatchesForward(t *testing.T) {
	for _, tc := range testConfigs {
		t.Run(tc.name, func(t *testing.T) {
			f := newTrainFixture(t, tc.cfg, kernels.F32)
			want := f.m.Logits(nil, f.ids, f.B, f.T)
			got := f.b.ToFloat32(f.m.ForwardTrain(&f.st, f.ids, f.B, f.T), nil)
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
					t.Fatalf("logit %d: ForwardTrain %v, Forward %v", i, got[i], want[i])
				}
			}
			g1 := append([]float32(nil), f.backward()...)
			g2 := f.backward()
			for i := range g1 {
				if math.Abs(float64(g2[i]-2*g1[i])) > 1e-5*math.Max(1, math.Abs(float64(g1[i]))) {
					t.Fatalf("gradient %d: after two passes %v, want 2 x %v", i, g2[i], g1[i])
				}
			}
		})
	}
}

// TestBackwardHalfWeights: bf16 and fp16 weight copies, with activations
// stored in F32 or in the same half dtype (Act), give gradients within 2%
// (bf16) or 0.4% (fp16) relative L2 of the fp32 ones, and the saved activations really are
// half while the residual stream, statistics, logits and scratch stay F32.
func TestBackwardHalfWeights(t *testing.T) {
	for _, tc := range testConfigs {
		ref := newTrainFixture(t, tc.cfg, kernels.F32).backward()
		for _, dt := range []kernels.DType{kernels.BF16, kernels.F16} {
			for _, act := range []kernels.DType{kernels.F32, dt} {
				t.Run(fmt.Sprintf("%s/%s/act=%s", tc.name, dt, act), func(t *testing.T) {
					f := newTrainFixture(t, tc.cfg, dt)
					f.st.Act = act
					got := f.backward()
					rel, tol := relL2(got, ref), 0.02 // bf16: 8 significant bits; measured <= 0.0072
					if dt == kernels.F16 {
						tol = 0.004 // 11 bits; measured <= 0.0011
					}
					if rel > tol {
						t.Errorf("relative L2 gradient error %.3g > %g", rel, tol)
					}
					t.Logf("relative L2 gradient error %.3g", rel)
					checkActDTypes(t, &f.st, act)
				})
			}
		}
	}
}

// relL2 is |got - ref| / |ref| in float64.
func relL2(got, ref []float32) float64 {
	var num, den float64
	for i := range ref {
		d := float64(got[i] - ref[i])
		num += d * d
		den += float64(ref[i]) * float64(ref[i])
	}
	return math.Sqrt(num / den)
}

// checkActDTypes checks the storage dtypes of a sized TrainState: the saved
// matmul-side activations in act, everything else F32.
func checkActDTypes(t *testing.T, a *TrainState, act kernels.DType) {
	t.Helper()
	check := func(name string, x kernels.Tensor, want kernels.DType) {
		if x != nil && x.DType() != want {
			t.Errorf("%s: dtype %s, want %s", name, x.DType(), want)
		}
	}
	for l := range a.L {
		la := &a.L[l]
		for name, x := range map[string]kernels.Tensor{"XN1": la.XN1, "Q": la.Q, "K": la.K, "V": la.V,
			"Att": la.Att, "XN2": la.XN2, "Gate": la.Gate, "Up": la.Up, "Hid": la.Hid} {
			check(fmt.Sprintf("layer %d %s", l, name), x, act)
		}
		for name, x := range map[string]kernels.Tensor{"Mean1": la.Mean1, "Rstd1": la.Rstd1, "Lse": la.Lse,
			"XMid": la.XMid, "Mean2": la.Mean2, "Rstd2": la.Rstd2} {
			check(fmt.Sprintf("layer %d %s", l, name), x, kernels.F32)
		}
	}
	check("XNF", a.XNF, act)
	for l, x := range a.Res {
		check(fmt.Sprintf("Res[%d]", l), x, kernels.F32)
	}
	for name, x := range map[string]kernels.Tensor{"MeanF": a.MeanF, "RstdF": a.RstdF, "Logits": a.Logits,
		"dX": a.dX, "dXN": a.dXN, "dQ": a.dQ, "dK": a.dK, "dV": a.dV, "dAtt": a.dAtt,
		"dGate": a.dGate, "dUp": a.dUp, "dHid": a.dHid} {
		check(name, x, kernels.F32)
	}
}

// TestTrainStateActChange: changing Act between steps reallocates the
// state in the new dtype and gives the same gradients as a fresh state.
func TestTrainStateActChange(t *testing.T) {
	cfg := testConfigs[0].cfg
	f := newTrainFixture(t, cfg, kernels.BF16)
	f.backward()
	f.st.Act = kernels.BF16
	f.b.Fill(f.grads.Flat, 0)
	got := f.backward()
	checkActDTypes(t, &f.st, kernels.BF16)
	g := newTrainFixture(t, cfg, kernels.BF16)
	g.st.Act = kernels.BF16
	if rel := relL2(got, g.backward()); rel != 0 {
		t.Errorf("gradients after changing Act differ from a fresh state's (relative L2 %.3g)", rel)
	}
	f.st.Free()
	if f.st.Act != kernels.BF16 {
		t.Errorf("Free reset Act to %s", f.st.Act)
	}
}

// TestBackwardHiddenGrad checks the hidden-state gradient path: loss =
// CE + w * sum_rows mean_c (Hidden(l) - R)^2, its gradient injected through
// HiddenGrad(l), against central differences for a few parameters.
func TestBackwardHiddenGrad(t *testing.T) {
	tc := testConfigs[0]
	f := newTrainFixture(t, tc.cfg, kernels.F32)
	ops := f.b.(kernels.TrainOps)
	const l, w = 0, 0.3
	n, C := f.B*f.T, tc.cfg.Dim
	rng := rand.New(rand.NewPCG(3, 4))
	R := make([]float32, n*C)
	for i := range R {
		R[i] = float32(rng.NormFloat64())
	}
	Rt := f.b.FromFloat32(kernels.F32, R, n, C)
	hl := f.b.Zeros(kernels.F32, n)
	total := func() float64 {
		ce := f.loss()
		f.m.ForwardTrain(&f.st, f.ids, f.B, f.T)
		ops.HiddenLoss(hl, nil, f.st.Hidden(l), Rt, kernels.HiddenMSE, 1)
		s := 0.0
		for _, v := range f.b.ToFloat32(hl, nil) {
			s += w * float64(v)
		}
		return ce + s
	}
	logits := f.m.ForwardTrain(&f.st, f.ids, f.B, f.T)
	d := f.b.Zeros(kernels.F32, logits.Shape()...)
	f.b.CrossEntropyBackward(d, logits, f.targets, 1/float32(len(f.targets)))
	ops.HiddenLoss(hl, f.st.HiddenGrad(l), f.st.Hidden(l), Rt, kernels.HiddenMSE, w)
	f.m.Backward(&f.st, d, &f.grads.W)
	grad := f.b.ToFloat32(f.grads.Flat, nil)
	host := f.b.ToFloat32(f.params.Flat, nil)
	for _, name := range []string{"blk.0.attn_q.weight", "blk.0.ffn_down.weight", NameTokenEmbd} {
		var s ParamSpec
		for _, p := range tc.cfg.Params() {
			if p.Name == name {
				s = p
			}
		}
		for k := range 3 {
			i := s.Offset + (k*7919)%s.Numel()
			old := host[i]
			eval := func(v float32) float64 {
				host[i] = v
				f.b.Copy(f.params.Flat, f.b.FromFloat32(kernels.F32, host, len(host)))
				return total()
			}
			const h = 1e-2
			fd := (eval(old+h) - eval(old-h)) / (2 * h)
			eval(old)
			if g := float64(grad[i]); math.Abs(fd-g) > 2e-3+0.03*math.Abs(fd) {
				t.Errorf("%s[%d]: backward %.6g, finite difference %.6g", name, i-s.Offset, g, fd)
			}
		}
	}
}
