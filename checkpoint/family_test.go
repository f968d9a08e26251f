package checkpoint

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// TestDeclaredFamilyRoundTrips declares a new family in one place (a
// Llama with q/k/v biases, as Qwen2 has, under its own names in every
// format) and checks that the readers and writers need nothing else: HF
// and GGUF files of a random model load back to bit-identical logits, the
// biases going through the HF q/k row permutation with their weights.
func TestDeclaredFamilyRoundTrips(t *testing.T) {
	fam := *model.Llama
	fam.Name = "test-qkv-bias"
	fam.Biases = model.Biases{QKV: true}
	fam.HF.Architectures, fam.HF.ModelType = []string{"TestQKVBiasForCausalLM"}, "test-qkv-bias"
	fam.HF.Layers = append(slices.Clone(fam.HF.Layers),
		model.HFTensor{HF: "self_attn.q_proj.bias", Canon: model.AttnQ + ".bias"},
		model.HFTensor{HF: "self_attn.k_proj.bias", Canon: model.AttnK + ".bias"},
		model.HFTensor{HF: "self_attn.v_proj.bias", Canon: model.AttnV + ".bias"})
	fam.GGUF.Arch = "test-qkv-bias"
	registerForTest(t, &fam)

	b := cpu.New(2)
	cfg := crossConfigs[0]
	cfg.Arch = fam.Name
	src, want := crossSource(t, b, cfg, kernels.F32)
	if _, ok := src.Lookup(model.LayerName(1, model.AttnK, "bias")); !ok {
		t.Fatal("the family's Biases trait added no attn_k bias")
	}
	dir := t.TempDir()
	writeHF(t, dir, cfg, src, 0)
	tt, got := loadLogits(t, dir, b, cfg)
	sameBits(t, "HF "+fam.Name, got, want)
	if tt.Config.Arch != fam.Name {
		t.Errorf("HF reloads as %s", tt.Config.Arch)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	writeGGUF(t, path, cfg, src)
	tt, got = loadLogits(t, path, b, cfg)
	sameBits(t, "GGUF "+fam.Name, got, want)
	if tt.Config != cfg {
		t.Errorf("GGUF reloads as %+v, want %+v", tt.Config, cfg)
	}
}

// registerForTest registers f for the duration of the test.
func registerForTest(t *testing.T, f *model.Family) {
	model.Register(f)
	t.Cleanup(func() { model.Unregister(f.Name) })
}

// TestDeclaredRotateHalfFamily declares a family whose own RoPE pairing is
// rotate_half (GPT-NeoX and Qwen2 store q/k that way in every format): HF
// and GGUF files keep the rows as they are and load back bit-identical,
// with RoPEHalf.
func TestDeclaredRotateHalfFamily(t *testing.T) {
	fam := *model.Llama
	fam.Name, fam.RopeOrder = "test-neox-rope", kernels.RoPEHalf
	fam.HF.Architectures, fam.HF.ModelType = []string{"TestNeoXRoPEForCausalLM"}, "test-neox-rope"
	fam.GGUF.Arch = "test-neox-rope"
	registerForTest(t, &fam)

	b := cpu.New(2)
	cfg := crossConfigs[0]
	cfg.Arch, cfg.RopeStyle = fam.Name, kernels.RoPEHalf
	src, want := crossSource(t, b, cfg, kernels.F32)
	dir := t.TempDir()
	writeHF(t, dir, cfg, src, 0)
	tt, got := loadLogits(t, dir, b, cfg)
	sameBits(t, "HF "+fam.Name, got, want)
	path := filepath.Join(t.TempDir(), "m.gguf")
	writeGGUF(t, path, cfg, src)
	tg, got := loadLogits(t, path, b, cfg)
	sameBits(t, "GGUF "+fam.Name, got, want)
	if tt.Config.RopeStyle != kernels.RoPEHalf || tg.Config != cfg {
		t.Errorf("reloaded RoPE styles %d (HF), %+v (GGUF), want RoPEHalf", tt.Config.RopeStyle, tg.Config)
	}
}
