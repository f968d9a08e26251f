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

func TestParseLayerName(t *testing.T) {
	for _, tc := range []struct {
		name, part, kind string
		l                int
		ok               bool
	}{
		{"blk.0.attn_q.weight", AttnQ, "weight", 0, true},
		{"blk.12.ffn_down.bias", FFNDown, "bias", 12, true},
		{LayerName(3, AttnQKV, "weight"), AttnQKV, "weight", 3, true},
		{"token_embd.weight", "", "", 0, false},
		{"blk.x.attn_q.weight", "", "", 0, false},
		{"blk.-1.attn_q.weight", "", "", 0, false},
		{"blk.01.attn_q.weight", "", "", 0, false},
		{"blk.1.attn_q", "", "", 0, false},
		{"blk.1..weight", "", "", 0, false},
	} {
		l, part, kind, ok := ParseLayerName(tc.name)
		if ok != tc.ok || l != tc.l || part != tc.part || kind != tc.kind {
			t.Errorf("ParseLayerName(%q) = %d, %q, %q, %v; want %d, %q, %q, %v", tc.name, l, part, kind, ok, tc.l, tc.part, tc.kind, tc.ok)
		}
	}
}
