package quant

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// calibratedBeatsPlain measures every GGML method plain and as gptq-method
// and checks that GPTQ's KL to the unquantized model on stream (text not
// calibrated on) is lower.
func calibratedBeatsPlain(t *testing.T, cfg model.Config, src model.TensorSource, b kernels.Backend, stream corpus.Stream, calib [][]int32, methods []string) {
	t.Helper()
	var ms []Method
	for _, n := range methods {
		for _, name := range []string{n, "gptq-" + n} {
			m, err := ParseMethod(name)
			if err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
	}
	rep, err := Measure(cfg, src, ms, b, stream, eval.Options{Context: min(256, cfg.MaxSeqLen)}, Options{Calib: calib})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep.WriteTable(&sb)
	t.Logf("\n%s", sb.String())
	for _, n := range methods {
		plain, _ := rep.Find(n)
		gq, _ := rep.Find("gptq-" + n)
		if plain.Bytes != gq.Bytes {
			t.Errorf("%s: GPTQ stores %d bytes, plain %d", n, gq.Bytes, plain.Bytes)
		}
		if !(gq.KL < plain.KL) {
			t.Errorf("%s: GPTQ KL %.5f is not below plain %.5f", n, gq.KL, plain.KL)
		}
	}
}

// On stories260K (rows of 64 and 172: the 32-element grids) GPTQ onto each
// llama.cpp grid is closer to the unquantized model than round to nearest,
// on validation text it was not calibrated on.
func TestGPTQGridsStories260K(t *testing.T) {
	if testing.Short() {
		t.Skip("calibrates ten models")
	}
	b := cpu.New(0)
	tc, stream, calibIDs := stories(t, b, 48)
	calibratedBeatsPlain(t, tc.Config, SourceOf(tc.Model), b, stream, corpus.CalibrationWindows(calibIDs, 16, 256),
		[]string{"q8_0", "q4_0", "q4_1", "q5_0", "q5_1"})
}

// On a random model with 256-wide rows (the k-quant super-blocks) GPTQ onto
// Q4_K, Q5_K, Q6_K and the Q4_K_M mix beats round to nearest, on tokens it
// was not calibrated on.
func TestGPTQGridsKQuants(t *testing.T) {
	if testing.Short() {
		t.Skip("calibrates eight models")
	}
	b := cpu.New(0)
	cfg := llamaConfig(256, 512, 2, false)
	src := model.EncodeParams("random", cfg, b, model.RandomParams(cfg, 7), kernels.F32)
	r := rand.New(rand.NewPCG(8, 9))
	tokens := func(n int) []int32 {
		ids := make([]int32, n)
		for i := range ids {
			ids[i] = int32(3 + r.IntN(cfg.VocabSize-3))
		}
		return ids
	}
	calib := corpus.CalibrationWindows(tokens(32*64), 32, 64)
	calibratedBeatsPlain(t, cfg, src, b, corpus.NewStream(tokens(4096)), calib, []string{"q4_k", "q5_k", "q6_k", "q4_k_m"})
}

// GPTQ onto a type it has no grid for (Q2_K, Q3_K, or a mix that uses
// them) is refused when the method is parsed, before anything is written.
func TestGPTQUnsupportedType(t *testing.T) {
	for _, name := range []string{"gptq-q3_k", "gptq-q2_k", "gptq-q3_k_m", "gptq-f16", "gptq-int4a-g32"} {
		_, err := ParseMethod(name)
		if err == nil {
			t.Errorf("ParseMethod(%s): no error", name)
			continue
		}
		t.Logf("%s: %v", name, err)
		if strings.Contains(name, "q3") || strings.Contains(name, "q2") {
			if !strings.Contains(err.Error(), "GPTQ cannot write") {
				t.Errorf("%s: error %q does not say GPTQ cannot write the type", name, err)
			}
		}
	}
	for _, name := range []string{"gptq-q4_k_m", "gptq-q6_k", "gptq-q8_0-act", "gptq-q5_k_s"} {
		m, err := ParseMethod(name)
		if err != nil || !m.GPTQ || m.Family != FamilyGGUF {
			t.Errorf("ParseMethod(%s) = %+v, %v", name, m, err)
		}
	}
	if m, _ := ParseMethod("gptq-q4_k_m"); m.Mix != "q4_k_m" || m.FileType() != "q4_k_m" {
		t.Errorf("gptq-q4_k_m: mix %q, file type %q", m.Mix, m.FileType())
	}
}
