package corpus

import (
	"slices"
	"testing"
)

func TestSamplerDeterministic(t *testing.T) {
	toks := make([]int32, 1000)
	for i := range toks {
		toks[i] = int32(i*7919) % 50
	}
	a, _ := NewSampler(toks, 16, 4, 7)
	bs, _ := NewSampler(toks, 16, 4, 7)
	ia, ta, ib, tb := make([]int32, 64), make([]int32, 64), make([]int32, 64), make([]int32, 64)
	var epoch, pos int
	for step := range 40 { // crosses epochs (62 windows)
		if step == 20 {
			epoch, pos = a.Epoch, a.Pos
		}
		a.Next(ia, ta)
		if step == 20 {
			bs.Epoch, bs.Pos = epoch, pos // a resumed sampler
		}
		if step >= 20 {
			bs.Next(ib, tb)
			if !slices.Equal(ia, ib) || !slices.Equal(ta, tb) {
				t.Fatalf("step %d: resumed sampler differs", step)
			}
		}
		if !slices.Equal(ia[1:16], ta[:15]) {
			t.Fatalf("targets are not the inputs shifted by one")
		}
	}
	if _, err := NewSampler(toks[:20], 16, 4, 1); err == nil {
		t.Error("too short a stream accepted")
	}
}
