package quant

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

func gpt2Config() model.Config {
	return model.Config{Arch: model.ArchGPT2, Dim: 256, HiddenDim: 512, NLayers: 2, NHeads: 4, NKVHeads: 4,
		VocabSize: 300, MaxSeqLen: 64, NormEps: 1e-5, TiedEmbeddings: true, BOS: -1, EOS: -1}
}

// Random models of both families, exported in every GGUF type and as HF
// safetensors, read back and rerun: the GGUF files must give bit-identical
// logits (same bytes, same kernels); HF files in F32 too.
func TestExportRoundTrip(t *testing.T) {
	b := cpu.New(0)
	for _, cfg := range []model.Config{llamaConfig(256, 512, 2, false), llamaConfig(256, 512, 2, true), gpt2Config()} {
		src := model.EncodeParams("random", cfg, b, model.RandomParams(cfg, 7), kernels.F32)
		for _, method := range []string{"f32", "f16", "q8_0", "q4_0", "q5_1", "q2_k", "q3_k_m", "q4_k_m", "q5_k_s"} {
			m, _ := ParseMethod(method)
			_, qs, err := Apply(cfg, src, m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "m.gguf")
			rt, err := ExportGGUF(path, cfg, qs, nil, b, checkpoint.GGUFOptions{FileType: method})
			if err != nil {
				t.Fatalf("%s %s: %v", cfg.Arch, method, err)
			}
			if rt.MaxLogitDiff != 0 {
				t.Errorf("%s tied=%v %s: GGUF round trip max |Δlogit| = %g, want 0", cfg.Arch, cfg.TiedEmbeddings, method, rt.MaxLogitDiff)
			}
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range requiredKeys(cfg.Arch) {
				if _, ok := f.Get(key); !ok {
					t.Errorf("%s %s: metadata key %s missing", cfg.Arch, method, key)
				}
			}
			if cfg.Arch == model.ArchGPT2 {
				if _, err := f.Tensor("blk.0.attn_qkv.weight"); err != nil {
					t.Errorf("gpt2 %s: no fused attn_qkv: %v", method, err)
				}
			}
			f.Close()
		}
		for _, dt := range []kernels.DType{kernels.F32, kernels.F16, kernels.BF16} {
			dir := filepath.Join(t.TempDir(), "hf")
			rt, err := ExportHF(dir, cfg, src, nil, dt, b)
			if err != nil {
				t.Fatalf("%s %s: %v", cfg.Arch, dt, err)
			}
			tol := map[kernels.DType]float64{kernels.F32: 0, kernels.F16: 0.01, kernels.BF16: 0.1}[dt]
			if rt.MaxLogitDiff > tol {
				t.Errorf("%s %s: HF round trip max |Δlogit| = %g, want <= %g", cfg.Arch, dt, rt.MaxLogitDiff, tol)
			}
			for _, f := range []string{"config.json", "generation_config.json", "model.safetensors"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Error(err)
				}
			}
		}
	}
}

func requiredKeys(arch string) []string {
	keys := []string{"general.architecture", "general.name", "general.file_type", "general.quantization_version",
		arch + ".context_length", arch + ".embedding_length", arch + ".block_count", arch + ".feed_forward_length",
		arch + ".attention.head_count", arch + ".attention.head_count_kv"}
	if arch == model.ArchLlama {
		return append(keys, arch+".attention.layer_norm_rms_epsilon", arch+".rope.dimension_count", arch+".rope.freq_base")
	}
	return append(keys, arch+".attention.layer_norm_epsilon")
}

// A model using rotate_half RoPE (HF layout) is written to GGUF with its
// q/k rows un-permuted, and reloads (as interleaved) to the same logits.
func TestGGUFFromHalfRoPE(t *testing.T) {
	b := cpu.New(0)
	cfg := llamaConfig(256, 512, 2, true)
	cfg.RopeStyle = kernels.RoPEHalf
	src := model.EncodeParams("random", cfg, b, model.RandomParams(cfg, 9), kernels.F32)
	rt, err := ExportGGUF(filepath.Join(t.TempDir(), "half.gguf"), cfg, src, nil, b, checkpoint.GGUFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rt.MaxLogitDiff > 1e-4 {
		t.Errorf("max |Δlogit| %g after un-permuting q/k for GGUF", rt.MaxLogitDiff)
	}
}

// Distill's own formats have no GGUF type: refused with a clear error.
func TestGGUFRefusesDistillTypes(t *testing.T) {
	b := cpu.New(1)
	cfg := llamaConfig(256, 512, 1, true)
	src := model.EncodeParams("random", cfg, b, model.RandomParams(cfg, 1), kernels.F32)
	m, _ := ParseMethod("int4-g32")
	_, qs, err := Apply(cfg, src, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ExportGGUF(filepath.Join(t.TempDir(), "x.gguf"), cfg, qs, nil, b, checkpoint.GGUFOptions{}); err == nil {
		t.Error("int4 tensors written to GGUF without error")
	}
	if _, err := ExportHF(filepath.Join(t.TempDir(), "x"), cfg, qs, nil, kernels.Q8_0, b); err == nil {
		t.Error("safetensors export in Q8_0 accepted")
	}
}
