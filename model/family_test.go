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

// TestUnimplementedTraitsRefused checks that traits and config features a
// family may declare before distill implements them are refused by
// Validate with an error naming them.
func TestUnimplementedTraitsRefused(t *testing.T) {
	base := Config{Arch: ArchLlama, Dim: 8, HiddenDim: 12, NLayers: 1, NHeads: 2, NKVHeads: 1, VocabSize: 5,
		MaxSeqLen: 4, NormEps: 1e-5, RopeTheta: 10000, BOS: -1, EOS: -1}
	qk := *Llama
	qk.Name, qk.QKNorm = "test-qknorm", true
	Register(&qk)
	defer Unregister(qk.Name)
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"rope-scaling-llama3", func(c *Config) { c.RopeScaling = RopeScaling{Kind: "llama3", Factor: 8} }, "rope_scaling:llama3 is not implemented"},
		{"rope-scaling-unknown", func(c *Config) { c.RopeScaling = RopeScaling{Kind: "yarn"} }, "llama does not support rope_scaling:yarn"},
		{"sliding-window", func(c *Config) { c.SlidingWindow = 4096 }, "llama does not support sliding_window"},
		{"qk-norm", func(c *Config) { c.Arch = qk.Name }, "q/k norm is not implemented"},
		{"gpt2-rope-scaling", func(c *Config) {
			c.Arch, c.NKVHeads, c.TiedEmbeddings = ArchGPT2, 2, true
			c.RopeScaling = RopeScaling{Kind: "linear", Factor: 2}
		}, "gpt2 does not support rope_scaling:linear"},
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
