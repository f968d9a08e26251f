package checkpoint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// realConfigs are the published config.json files of testdata/configs with
// their published parameter counts (the HF model cards and safetensors
// headers; a tied classifier counted once) and the traits each must read
// as. Qwen3-0.6B's card gives 0.6B with 0.44B non-embedding: 596,049,920
// = 440,466,432 + the 155,582,464-entry embedding + the final norm.
var realConfigs = []struct {
	dir         string
	params      int
	arch        string
	tied        bool
	headDim     int
	scaling     string
	window      int
	ropeTheta   float32
	vocab       int
	kvHeads     int
	explicitHD  bool
	ropeOrderHF kernels.RoPEStyle
}{
	{"Llama-3.2-1B", 1_235_814_400, model.ArchLlama, true, 64, "llama3", 0, 500000, 128256, 8, false, kernels.RoPEHalf},
	{"Qwen2.5-0.5B", 494_032_768, model.ArchQwen2, true, 64, "", 0, 1e6, 151936, 2, false, kernels.RoPEHalf},
	{"Qwen3-0.6B", 596_049_920, model.ArchQwen3, true, 128, "", 0, 1e6, 151936, 8, true, kernels.RoPEHalf},
	{"SmolLM2-135M", 134_515_008, model.ArchLlama, true, 64, "", 0, 100000, 49152, 3, false, kernels.RoPEHalf},
	{"TinyLlama-1.1B", 1_100_048_384, model.ArchLlama, false, 64, "", 0, 10000, 32000, 4, false, kernels.RoPEHalf},
	{"Mistral-7B", 7_241_732_096, model.ArchMistral, false, 128, "", 4096, 10000, 32000, 8, false, kernels.RoPEHalf},
}

// TestRealShapeConfigs inspects each published config.json alone (no
// weights): the family's traits, and the parameter count equal to the
// published one.
func TestRealShapeConfigs(t *testing.T) {
	for _, rc := range realConfigs {
		t.Run(rc.dir, func(t *testing.T) {
			info, err := Inspect(filepath.Join("..", "testdata", "configs", rc.dir))
			if err != nil {
				t.Fatal(err)
			}
			c := info.Config
			if info.Format != FormatConfig || info.NumParams != rc.params {
				t.Errorf("format %q, %d parameters; published %d", info.Format, info.NumParams, rc.params)
			}
			if c.Arch != rc.arch || c.TiedEmbeddings != rc.tied || c.HeadDim() != rc.headDim || c.RopeScaling.Kind != rc.scaling ||
				c.SlidingWindow != rc.window || c.RopeTheta != rc.ropeTheta || c.VocabSize != rc.vocab || c.NKVHeads != rc.kvHeads ||
				(c.ExplicitHeadDim > 0) != rc.explicitHD || c.RopeStyle != rc.ropeOrderHF {
				t.Errorf("config %s", c)
			}
			if info.TotalBytes != 2*int64(rc.params) { // bfloat16
				t.Errorf("%d bytes for %d bf16 parameters", info.TotalBytes, rc.params)
			}
		})
	}
}

// TestLlama32RopeFactors checks Llama 3.2's frequency divisors against
// values worked out by hand from HF's _compute_llama3_parameters
// (theta 5e5, head dim 64, factor 32, low 1, high 4, original 8192):
// pairs up to 14 (wavelength < 8192/4) keep their frequency, pairs from
// 18 (wavelength > 8192) are divided by 32, and pair 16 (wavelength
// 2π·5e5^(32/64) ≈ 4442.9) blends.
func TestLlama32RopeFactors(t *testing.T) {
	info, err := Inspect(filepath.Join("..", "testdata", "configs", "Llama-3.2-1B", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := info.Config.RopeFreqFactors()
	if len(f) != 32 || f[0] != 1 || f[14] != 1 || f[18] != 32 || f[31] != 32 {
		t.Fatalf("factors %v", f)
	}
	// s = (8192/4442.883 - 1)/3 = 0.281283; 1/((1-s)/32 + s) = 3.292262.
	if d := f[16] - 3.292262; d > 1e-5 || d < -1e-5 {
		t.Errorf("pair 16: divisor %.7g, want 3.292262", f[16])
	}
}

// TestFamilyBadInput: HF checkpoints of issue 11's families that distill
// cannot run give one error naming the file, the field or tensor, and what
// is supported.
func TestFamilyBadInput(t *testing.T) {
	b := cpu.New(2)
	var qwen2 model.Config
	for _, c := range crossConfigs {
		if c.Arch == model.ArchQwen2 {
			qwen2 = c
		}
	}
	src, _ := crossSource(t, b, qwen2, kernels.F32)
	setConfig := func(edit func(map[string]any)) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, "config.json")
			js, _ := os.ReadFile(p)
			var m map[string]any
			if err := json.Unmarshal(js, &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			js, _ = json.Marshal(m)
			os.WriteFile(p, js, 0o644)
		}
	}
	cases := []struct {
		name string
		edit func(t *testing.T, dir string)
		want []string
	}{
		{"missing-bias", func(t *testing.T, dir string) {
			rewriteST(t, dir, func(ts []safetensors.Tensor) []safetensors.Tensor {
				return slices.DeleteFunc(ts, func(x safetensors.Tensor) bool { return x.Name == "model.layers.1.self_attn.k_proj.bias" })
			})
		}, []string{"model.safetensors", "missing tensor model.layers.1.self_attn.k_proj.bias", "qwen2"}},
		{"rope-scaling-yarn", setConfig(func(m map[string]any) { m["rope_scaling"] = map[string]any{"rope_type": "yarn", "factor": 4} }),
			[]string{"config.json", "rope_scaling", "rope_scaling:yarn is not supported by family qwen2"}},
		{"head-dim-odd", setConfig(func(m map[string]any) { m["head_dim"] = 9 }), []string{"config.json", "head_dim 9", "even"}},
		{"sliding-window-on", setConfig(func(m map[string]any) { m["use_sliding_window"] = true }), []string{"config.json", "use_sliding_window true"}},
		{"unknown-family", setConfig(func(m map[string]any) { m["architectures"] = []string{"Gemma3ForCausalLM"} }),
			[]string{"config.json", "unknown architecture [Gemma3ForCausalLM]", "supported: ", "Qwen3ForCausalLM"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			writeHF(t, d, qwen2, src, 0)
			tc.edit(t, d)
			_, err := Load(d, b, LoadOptions{})
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("err = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

// TestGGUFLlama3WithoutDistillKeys: a Llama 3 GGUF as llama.cpp's
// converter writes it (rope_freqs.weight, no distill.rope_scaling.* keys)
// loads with Llama 3's published scaling parameters and the logits of the
// in-memory model; a rope_freqs tensor those parameters do not reproduce
// is refused.
func TestGGUFLlama3WithoutDistillKeys(t *testing.T) {
	b := cpu.New(2)
	var cfg model.Config
	for _, c := range crossConfigs {
		if c.RopeScaling.Kind == model.RopeScalingLlama3 {
			cfg = c
		}
	}
	src, want := crossSource(t, b, cfg, kernels.F32)
	kv, ts := ggufParts(t, cfg, src)
	kv = slices.DeleteFunc(kv, func(p gguf.KV) bool { return strings.HasPrefix(p.Key, metaLlama3) })
	path := filepath.Join(t.TempDir(), "llama3.gguf")
	if err := gguf.Write(path, kv, ts); err != nil {
		t.Fatal(err)
	}
	tt, got := loadLogits(t, path, b, cfg)
	sameBits(t, "GGUF without distill's keys", got, want)
	if tt.Config.RopeScaling != cfg.RopeScaling {
		t.Errorf("scaling read as %+v, want %+v", tt.Config.RopeScaling, cfg.RopeScaling)
	}
	for i := range ts {
		if ts[i].Name == ggufRopeFreqs {
			d := slices.Clone(ts[i].Data)
			d[4*4+3] ^= 0x01 // the blended pair's divisor, changed in its exponent
			ts[i].Data = d
		}
	}
	if err := gguf.Write(path, kv, ts); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, b, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "rope_freqs.weight[4]") || !strings.Contains(err.Error(), "published scaling") {
		t.Errorf("altered rope_freqs: err = %v", err)
	}
}
