package model

import (
	"strings"
	"testing"
)

// TestFamiliesDeclared checks the declarations every family must make
// consistently: names in every format, tensor tables naming only canonical
// parts, and traits that Params reflects.
func TestFamiliesDeclared(t *testing.T) {
	for _, f := range Families() {
		t.Run(f.Name, func(t *testing.T) {
			if len(f.HF.Architectures) == 0 || f.HF.ModelType == "" || f.HF.Layer == "" || f.GGUF.Arch == "" {
				t.Errorf("incomplete names: HF %+v, GGUF %+v", f.HF.Architectures, f.GGUF)
			}
			cfg := Config{Arch: f.Name, Dim: 8, HiddenDim: 12, NLayers: 1, NHeads: 2, NKVHeads: 2, VocabSize: 5,
				MaxSeqLen: 4, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: f.Tied == TiedAlways, BOS: -1, EOS: -1}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			params := map[string]bool{}
			for _, p := range cfg.Params() {
				params[p.Name] = true
			}
			// Every parameter has an HF name, and every HF name a parameter.
			covered := map[string]bool{}
			for _, g := range f.HF.Globals {
				covered[g.Canon] = true
			}
			for _, lt := range f.HF.Layers {
				part, kind, _ := strings.Cut(lt.Canon, ".")
				if part == AttnQKV {
					for _, p := range []string{AttnQ, AttnK, AttnV} {
						covered[LayerName(0, p, kind)] = true
					}
					continue
				}
				covered[LayerName(0, part, kind)] = true
				if !params[LayerName(0, part, kind)] {
					t.Errorf("HF layer tensor %s maps to %s, which is no parameter", lt.HF, lt.Canon)
				}
			}
			for name := range params {
				if !covered[name] {
					t.Errorf("parameter %s has no HF name", name)
				}
			}
			if got := params[NamePosEmbd]; got != (f.Pos == Learned) {
				t.Errorf("position_embd present %v with Pos %d", got, f.Pos)
			}
			if got := params[LayerName(0, FFNGate, "weight")]; got != f.FFN.Gated() {
				t.Errorf("ffn_gate present %v with FFN %d", got, f.FFN)
			}
		})
	}
}

// TestFeaturesRefused checks that config features a family does not
// support, or distill does not implement, are refused by Validate with an
// error naming them and what is supported.
func TestFeaturesRefused(t *testing.T) {
	base := Config{Arch: ArchLlama, Dim: 8, HiddenDim: 12, NLayers: 1, NHeads: 2, NKVHeads: 1, VocabSize: 5,
		MaxSeqLen: 4, NormEps: 1e-5, RopeTheta: 10000, BOS: -1, EOS: -1}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"rope-scaling-dynamic-no-original", func(c *Config) { c.RopeScaling = RopeScaling{Kind: "dynamic", Factor: 2} },
			"original max_position_embeddings 0 must be > 0"},
		{"rope-scaling-unknown", func(c *Config) { c.RopeScaling = RopeScaling{Kind: "yarn"} }, "rope_scaling:yarn is not supported by family llama"},
		{"rope-scaling-llama3-incomplete", func(c *Config) { c.RopeScaling = RopeScaling{Kind: "llama3", Factor: 8} }, "low_freq_factor 0 and high_freq_factor 0"},
		{"rope-scaling-linear-no-factor", func(c *Config) { c.RopeScaling = RopeScaling{Kind: "linear"} }, "factor 0 must be"},
		{"sliding-window", func(c *Config) { c.SlidingWindow = 4096 }, "sliding_window is not supported by family llama"},
		{"head-dim-odd", func(c *Config) { c.ExplicitHeadDim = 5 }, "head dim 5 is odd"},
		{"head-dim-negative", func(c *Config) { c.ExplicitHeadDim = -2 }, "head_dim -2 out of range"},
		{"dim-not-multiple", func(c *Config) { c.Dim = 9 }, "give head_dim explicitly"},
		{"gpt2-rope-scaling", func(c *Config) {
			c.Arch, c.NKVHeads, c.TiedEmbeddings = ArchGPT2, 2, true
			c.RopeScaling = RopeScaling{Kind: "linear", Factor: 2}
		}, "rope_scaling:linear is not supported by family gpt2 (it supports none"},
		{"gpt2-gqa", func(c *Config) { c.Arch, c.TiedEmbeddings = ArchGPT2, true }, "no grouped-query attention"},
		{"unknown", func(c *Config) { c.Arch = "falcon" }, `unknown architecture "falcon"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
