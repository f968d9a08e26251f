package model

import (
	"fmt"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// dynamicConfig has dynamic NTK scaling past a 6-position original
// context, so that the tests' lengths fall below, at and above it.
var dynamicConfig = Config{Arch: ArchLlama, Dim: 16, HiddenDim: 20, NLayers: 2, NHeads: 2, NKVHeads: 1,
	VocabSize: 23, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 10000, RopeStyle: kernels.RoPEHalf,
	RopeScaling: RopeScaling{Kind: RopeScalingDynamic, Factor: 3, OriginalMaxSeqLen: 6}, BOS: -1, EOS: -1}

// TestDynamicRoPEForward checks full forwards of several lengths against
// the float64 reference of HF's formula (frequencies from the length T),
// and that the scaling changes the logits once T passes the original
// context (the test is not vacuous).
func TestDynamicRoPEForward(t *testing.T) {
	b := testBackend()
	m, ref := newTestModel(t, dynamicConfig, b, kernels.F32, 1)
	plain := &refModel{cfg: dynamicConfig, w: ref.w}
	plain.cfg.RopeScaling = RopeScaling{}
	for _, T := range []int{3, 6, 7, 16} {
		t.Run(fmt.Sprint("T=", T), func(t *testing.T) {
			B := 2
			ids := randomIDs(B*T, dynamicConfig.VocabSize, 3)
			got := m.Logits(nil, ids, B, T)
			if d, where := maxDiff(got, ref.logits(ids, B, T)); d > 2e-5 {
				t.Errorf("max |diff| %g > 2e-5 at %s", d, where)
			}
			d, _ := maxDiff(got, plain.logits(ids, B, T))
			if scaled := T > dynamicConfig.RopeScaling.OriginalMaxSeqLen; scaled != (d > 1e-4) {
				t.Errorf("max |diff| to unscaled RoPE %g with T %d, original context %d", d, T, dynamicConfig.RopeScaling.OriginalMaxSeqLen)
			}
		})
	}
}

// TestDynamicRoPEKVCache decodes a prompt then one token at a time, as HF
// generation does: each call's new positions turn with the frequencies of
// the total length so far, cached keys keep theirs. The reference
// rotates position t with the length of the call that first saw it.
func TestDynamicRoPEKVCache(t *testing.T) {
	b := testBackend()
	for _, prompt := range []int{4, 9} {
		t.Run(fmt.Sprint("prompt=", prompt), func(t *testing.T) {
			m, ref := newTestModel(t, dynamicConfig, b, kernels.F32, 4)
			B, T, V := 2, dynamicConfig.MaxSeqLen, dynamicConfig.VocabSize
			ref.callLen = func(t, _ int) int {
				if t < prompt {
					return prompt
				}
				return t + 1
			}
			ids := randomIDs(B*T, V, 7)
			want := ref.logits(ids, B, T)
			cache := m.NewKVCache(B, T)
			for t0 := 0; t0 < T; {
				n := 1
				if t0 == 0 {
					n = prompt
				}
				in := make([]int32, 0, B*n)
				for bb := 0; bb < B; bb++ {
					in = append(in, ids[bb*T+t0:bb*T+t0+n]...)
				}
				got := b.ToFloat32(m.Forward(in, B, n, cache), nil)
				for bb := 0; bb < B; bb++ {
					for i := 0; i < n; i++ {
						for v := 0; v < V; v++ {
							g, w := float64(got[(bb*n+i)*V+v]), want[bb*T+t0+i][v]
							if d := g - w; d > 2e-5 || d < -2e-5 {
								t.Fatalf("batch %d pos %d logit %d: cached %g, reference %g", bb, t0+i, v, g, w)
							}
						}
					}
				}
				t0 += n
			}
		})
	}
}

// TestRopeFreqFactorsAtStatic checks that the length matters only to
// dynamic scaling.
func TestRopeFreqFactorsAtStatic(t *testing.T) {
	c := dynamicConfig
	c.RopeScaling = RopeScaling{Kind: RopeScalingLinear, Factor: 2}
	if got := c.RopeFreqFactorsAt(1000); len(got) != c.HeadDim()/2 || got[0] != 2 {
		t.Errorf("linear RopeFreqFactorsAt(1000) = %v, want all 2", got)
	}
	if got := dynamicConfig.RopeFreqFactorsAt(6); got != nil {
		t.Errorf("dynamic RopeFreqFactorsAt(original length) = %v, want nil", got)
	}
}
