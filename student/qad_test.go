package student

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/quant"
)

// TestQADTrainsTheExportedModel checks that a QAD student runs on exactly
// the weights the export of its master weights decodes to, after every
// step, while AdamW moves the float32 master weights.
func TestQADTrainsTheExportedModel(t *testing.T) {
	o := kdOptions()
	o.QAD = "q4_0"
	_, tr := run(t, o, 3, nil)
	b := tr.b
	plan, err := QADPlan(tr.Config, "q4_0")
	if err != nil {
		t.Fatal(err)
	}
	exported, err := quant.Quantize(quant.SourceOf(tr.Master.Model(b)), plan)
	if err != nil {
		t.Fatal(err)
	}
	quantized := 0
	for _, tp := range plan.Tensors {
		et, _ := exported.Lookup(tp.Name)
		want, err := quant.Float32(et)
		if err != nil {
			t.Fatal(err)
		}
		got := b.ToFloat32(tr.Student.Param(tp.Name), nil)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s[%d]: the student runs on %v, the %s export holds %v", tp.Name, i, got[i], tp.DType, want[i])
			}
		}
		if tp.DType == kernels.Q4_0 {
			quantized++
			if master := b.ToFloat32(tr.Master.Views[tp.Name], nil); equalF32(master, got) {
				t.Errorf("%s: the master weights are the quantized ones (the straight-through update must keep them fp32)", tp.Name)
			}
		}
	}
	if quantized == 0 {
		t.Error("no tensor is quantized as Q4_0")
	}
	if !strings.Contains(tr.QADNote(), "q4_0") {
		t.Errorf("QADNote %q", tr.QADNote())
	}

	// bf16 runs fake-quantize into their half copy: the student's weights
	// are the export's values rounded to bf16.
	o.Precision = BF16
	_, half := run(t, o, 2, nil)
	name := "blk.0.attn_q.weight"
	plan, _ = QADPlan(half.Config, "q4_0")
	want := half.b.ToFloat32(half.Master.Views[name], nil)
	if err := plan.FakeQuantize(name, want); err != nil {
		t.Fatal(err)
	}
	got := half.b.ToFloat32(half.Student.Param(name), nil)
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-2*math.Abs(float64(want[i]))+1e-6 {
			t.Fatalf("bf16 QAD: %s[%d] = %v, fake-quantized %v", name, i, got[i], want[i])
		}
	}
}

func equalF32(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestQADRefusesBadMethods: unknown and GPTQ methods are refused before
// anything is allocated, with the method's name in the error.
func TestQADRefusesBadMethods(t *testing.T) {
	for _, tc := range []struct{ method, want string }{
		{"q4_z", "unknown method"},
		{"gptq-int4", "int4-g128"},
		{"int4-g16", "group size"},
	} {
		o := kdOptions()
		o.Steps, o.QAD = 1, tc.method
		if err := o.fill(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("qad %s: error %v, want %q", tc.method, err, tc.want)
		}
	}
}

// TestQADBeatsTrainThenQuantize is the short version of issue 13's QAD
// comparison: a 2-layer stories260K student trained by KD with the same
// steps, data order and seed, once plainly and once with QAD at Q4_0; the
// Q4_0 export of the QAD student must lose less perplexity against its own
// fp32 weights than the plain student's Q4_0 export does.
func TestQADBeatsTrainThenQuantize(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two students (about 10 s)")
	}
	const steps, B, T = 120, 8, 64
	tch, train, valid := storiesData(t, 600_000, 60_000)
	defer tch.Close()
	gap := map[string]float64{}
	for _, qad := range []string{"", "q4_0"} {
		start := time.Now()
		tr := trainStories(t, tch, train, steps, B, T, 42, Options{
			Loss: kernels.LossParams{Divergence: kernels.ForwardKL, Temperature: 1, Alpha: 1}, QAD: qad})
		fp32 := tr.Master.Model(tr.b)
		pplF, _ := evalVs(fp32, tch.Model, valid, B, T)
		q4 := exportQ4(t, fp32)
		pplQ, _ := evalVs(q4, tch.Model, valid, B, T)
		q4.Free()
		name := map[string]string{"": "train-then-quantize", "q4_0": "qad q4_0"}[qad]
		gap[qad] = math.Abs(pplQ - pplF)
		t.Logf("%-19s: fp32 ppl %.4f, Q4_0 export ppl %.4f (gap %.4f; %d steps of %d x %d tokens, %.0f s)",
			name, pplF, pplQ, gap[qad], steps, B, T, time.Since(start).Seconds())
	}
	if !(gap["q4_0"] < gap[""]) {
		t.Errorf("the QAD student's Q4_0 export is %.4f perplexity from its fp32 weights, train-then-quantize's %.4f: QAD did not help", gap["q4_0"], gap[""])
	}
}

// exportQ4 is m quantized to Q4_0 as distill export writes it.
func exportQ4(t *testing.T, m *model.Model) *model.Model {
	t.Helper()
	meth, _ := quant.ParseMethod("q4_0")
	_, src, err := quant.Apply(m.Config, quant.SourceOf(m), meth, quant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := model.New(m.Config, m.Backend, src)
	if err != nil {
		t.Fatal(err)
	}
	return q
}
