package quant

import (
	"github.com/distill-dev/distill/corpus"
	"os"
	"path/filepath"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
)

// sharedData returns ../shared/data (formattest.SharedData), skipping the
// test when stories260K is not there.
func sharedData(t testing.TB) string {
	t.Helper()
	data := formattest.SharedData(t)
	if _, err := os.Stat(filepath.Join(data, "stories260K", "stories260K.bin")); err != nil {
		t.Skip("quant: ../shared/data/stories260K not found")
	}
	return data
}

// stories loads stories260K and returns it with the token streams of a
// slice of the validation text and of calibration text.
func stories(t testing.TB, b kernels.Backend, validDocs int) (*checkpoint.Loaded, corpus.Stream, []int32) {
	data := sharedData(t)
	tc, err := checkpoint.Load(filepath.Join(data, "stories260K", "stories260K.bin"), b, checkpoint.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	docs, err := corpus.Read(filepath.Join(data, "tinystories-gen", "valid.txt"), corpus.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if validDocs > 0 && validDocs < len(docs) {
		docs = docs[:validDocs]
	}
	stream := corpus.Tokenize(tc.Tokenizer, docs, corpus.BOSDocument)
	train, err := corpus.Read(filepath.Join(data, "tinystories-gen", "train.txt"), corpus.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	calib := corpus.Tokenize(tc.Tokenizer, train[:min(len(train), 256)], corpus.BOSDocument).IDs
	return tc, stream, calib
}

// The checks on the real model: int8 within 0.5% of fp32
// perplexity, Q4_K_M within 5%, GPTQ better than round to nearest at the
// same group size.
func TestStories260K(t *testing.T) {
	b := cpu.New(0)
	// 64 of the 512 validation stories (about 16k tokens) keep the test
	// near 15 s; the full-file numbers are in the report.
	docs, windows := 64, 24
	if testing.Short() {
		docs, windows = 48, 16
	}
	tc, stream, calibIDs := stories(t, b, docs)
	cfg := tc.Config
	src := SourceOf(tc.Model)
	var methods []Method
	for _, n := range []string{"int8", "q4_k_m", "int4-g32", "gptq-int4-g32", "int4-g64", "gptq-int4-g64"} {
		m, err := ParseMethod(n)
		if err != nil {
			t.Fatal(err)
		}
		methods = append(methods, m)
	}
	o := Options{Calib: corpus.CalibrationWindows(calibIDs, windows, 256)}
	rep, err := Measure(cfg, src, methods, b, stream, eval.Options{Context: 256}, o)
	if err != nil {
		t.Fatal(err)
	}
	var sb stringsBuilder
	rep.WriteTable(&sb)
	t.Logf("stories260K on %d validation documents:\n%s", docs, sb.String())
	get := func(name string) Row {
		r, ok := rep.Find(name)
		if !ok {
			t.Fatalf("no row %s", name)
		}
		return r
	}
	if r := get("int8"); r.DeltaPct > 0.5 || r.DeltaPct < -0.5 {
		t.Errorf("int8 perplexity %.4f is %.2f%% off fp32 %.4f (want within 0.5%%)", r.PPL, r.DeltaPct, rep.Reference.PPL)
	}
	if r := get("q4_k_m"); r.DeltaPct > 5 || r.DeltaPct < -5 {
		t.Errorf("q4_k_m perplexity %.4f is %.2f%% off fp32 %.4f (want within 5%%)", r.PPL, r.DeltaPct, rep.Reference.PPL)
	}
	for _, g := range []string{"32", "64"} {
		rtn, gq := get("int4-g"+g), get("gptq-int4-g"+g)
		if !(gq.PPL < rtn.PPL) {
			t.Errorf("g%s: GPTQ perplexity %.4f is not below round-to-nearest %.4f", g, gq.PPL, rtn.PPL)
		}
	}
}
