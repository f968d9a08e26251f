package model

import (
	"testing"
)

func TestParamsLayout(t *testing.T) {
	c := testConfigs[0].cfg
	ps := c.Params()
	off := 0
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Offset != off || seen[p.Name] {
			t.Fatalf("%s: offset %d, want %d (or duplicate)", p.Name, p.Offset, off)
		}
		seen[p.Name] = true
		off += p.Numel()
	}
	if off != c.NumParams() {
		t.Errorf("NumParams %d, sum %d", c.NumParams(), off)
	}
	// llama tied: embd + 2 layers * 9 tensors + output_norm.
	if len(ps) != 1+2*9+1 {
		t.Errorf("%d params", len(ps))
	}
}
