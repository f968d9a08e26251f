package checkpoint

import (
	"path/filepath"
	"testing"

	"github.com/distill-dev/distill/kernels"
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
