package model

import (
	"math"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// stacking is the CPU backend asking New to stack q/k/v and gate/up, as
// the CUDA backend does.
type stacking struct{ kernels.Backend }

func (stacking) StacksWeights() bool { return true }

// maxAbs is the largest |a[i] - b[i]|.
func maxAbs(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > worst || math.IsNaN(d) {
			worst = d
		}
	}
	return worst
}

// TestNewStacksProjections loads every test family in several storage
// dtypes twice, separate (the CPU backend) and stacked (a backend that asks
// for it), and checks which layers stack, that the per-name
// weights are still the checkpoint's, and that full forwards and KV-cached
// decoding give the same logits (bit for bit: the CPU sums each product
// in the same order).
func TestNewStacksProjections(t *testing.T) {
	for _, tc := range testConfigs {
		for _, dt := range []kernels.DType{kernels.F32, kernels.BF16, kernels.Q8_0} {
			cfg := tc.cfg
			if dt == kernels.Q8_0 && cfg.Dim%32 != 0 {
				continue
			}
			t.Run(tc.name+"/"+dt.String(), func(t *testing.T) {
				b := testBackend()
				src := EncodeParams("random", cfg, b, RandomParams(cfg, 5), dt)
				sep, err := New(cfg, b, src)
				if err != nil {
					t.Fatal(err)
				}
				st, err := New(cfg, stacking{b}, src)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Free()
				gated := cfg.Family().FFN.Gated()
				for l, w := range st.W.Layers {
					if w.QKV == nil || (w.GateUp != nil) != gated {
						t.Fatalf("layer %d: QKV %v, GateUp %v (gated FFN %v)", l, w.QKV, w.GateUp, gated)
					}
					if sl := sep.W.Layers[l]; sl.QKV != nil || sl.GateUp != nil {
						t.Fatalf("layer %d stacked on a backend that does not ask for it", l)
					}
				}
				for _, p := range cfg.Params() {
					if got, want := b.ReadBytes(st.Param(p.Name)), b.ReadBytes(sep.Param(p.Name)); string(got) != string(want) {
						t.Fatalf("%s: stacked storage differs from the checkpoint's", p.Name)
					}
				}
				B, T := 2, min(7, cfg.MaxSeqLen)
				ids := randomIDs(B*T, cfg.VocabSize, 1)
				if d := maxAbs(st.Logits(nil, ids, B, T), sep.Logits(nil, ids, B, T)); d != 0 {
					t.Errorf("forward: stacked and separate logits differ by %g", d)
				}
				cs, cp := st.NewKVCache(B, T), sep.NewKVCache(B, T)
				step := make([]int32, B)
				for pos := range T {
					for bi := range B {
						step[bi] = ids[bi*T+pos]
					}
					got := b.ToFloat32(st.Forward(step, B, 1, cs), nil)
					want := b.ToFloat32(sep.Forward(step, B, 1, cp), nil)
					if d := maxAbs(got, want); d != 0 {
						t.Fatalf("decoding position %d: logits differ by %g", pos, d)
					}
				}
			})
		}
	}
}

// TestParamBlockStacks checks which families' parameter blocks hold
// stacked views (those whose parts Params lays back to back), and that
// training through them (forward with one MatMul per group, backward per
// part) gives the logits and gradients of the same weights run unstacked,
// bit for bit.
func TestParamBlockStacks(t *testing.T) {
	for _, tc := range testConfigs {
		for _, act := range []kernels.DType{kernels.F32, kernels.BF16} {
			cfg := tc.cfg
			t.Run(tc.name+"/"+act.String(), func(t *testing.T) {
				b := testBackend()
				p, err := AllocParams(cfg, b, kernels.F32)
				if err != nil {
					t.Fatal(err)
				}
				if err := p.Set(b, RandomParams(cfg, 9)); err != nil {
					t.Fatal(err)
				}
				fam := cfg.Family()
				wantQKV := !fam.HasBias(AttnQ) && !fam.HasBias(AttnK)
				for l, w := range p.W.Layers {
					if (w.QKV != nil) != wantQKV || (w.GateUp != nil) != fam.FFN.Gated() {
						t.Fatalf("layer %d: QKV %v (want %v), GateUp %v (want %v)", l, w.QKV, wantQKV, w.GateUp, fam.FFN.Gated())
					}
					if w.QKV != nil {
						got, want := b.ToFloat32(w.QKV, nil), b.ToFloat32(w.Q, nil)
						want = append(want, b.ToFloat32(w.K, nil)...)
						want = append(want, b.ToFloat32(w.V, nil)...)
						if maxAbs(got, want) != 0 {
							t.Fatalf("layer %d: QKV is not Q; K; V", l)
						}
					}
				}
				run := func(m *Model) (logits, grads []float32) {
					g, err := AllocParams(cfg, b, kernels.F32)
					if err != nil {
						t.Fatal(err)
					}
					st := TrainState{Act: act}
					B, T := 2, min(5, cfg.MaxSeqLen)
					ids := randomIDs(B*T, cfg.VocabSize, 2)
					lt := m.ForwardTrain(&st, ids, B, T)
					logits = b.ToFloat32(lt, nil)
					d := b.Zeros(kernels.F32, lt.Shape()...)
					b.CrossEntropyBackward(d, lt, randomIDs(B*T, cfg.VocabSize, 4), 0.1)
					m.Backward(&st, d, &g.W)
					return logits, b.ToFloat32(g.Flat, nil)
				}
				plain, err := NewFromTensors(cfg, b, p.Views)
				if err != nil {
					t.Fatal(err)
				}
				l1, g1 := run(p.Model(b))
				l2, g2 := run(plain)
				if d := maxAbs(l1, l2); d != 0 {
					t.Errorf("logits differ by %g", d)
				}
				if d := maxAbs(g1, g2); d != 0 {
					t.Errorf("gradients differ by %g", d)
				}
			})
		}
	}
}
