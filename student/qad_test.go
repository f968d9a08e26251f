package student

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
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
// steps, data order and seed, plainly (train-then-quantize), with QAD on
// the last tenth of the steps (the README's recommended setting) and with
// QAD over the whole run; the Q4_0 export of each QAD student must be
// closer to the plain student's fp32 perplexity than the plain student's
// own Q4_0 export is.
func TestQADBeatsTrainThenQuantize(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three students (about 15 s)")
	}
	const steps, B, T = 120, 8, 64
	tch, train, valid := storiesData(t, 600_000, 60_000)
	defer tch.Close()
	var ref float64 // the plain student's fp32 perplexity
	gap := map[string]float64{}
	for _, v := range []struct {
		name  string
		qad   string
		steps int
	}{
		{"train-then-quantize", "", 0},
		{"qad q4_0, last 12 steps", "q4_0", steps / 10},
		{"qad q4_0, whole run", "q4_0", 0},
	} {
		start := time.Now()
		tr := trainStories(t, tch, train, steps, B, T, 42, Options{
			Loss: kernels.LossParams{Divergence: kernels.ForwardKL, Temperature: 1, Alpha: 1}, QAD: v.qad, QADSteps: v.steps})
		fp32 := tr.Master.Model(tr.b)
		pplF, _ := evalVs(fp32, tch.Model, valid, B, T)
		if v.qad == "" {
			ref = pplF
		}
		q4 := exportQ4(t, fp32)
		pplQ, _ := evalVs(q4, tch.Model, valid, B, T)
		q4.Free()
		gap[v.name] = math.Abs(pplQ - ref)
		t.Logf("%-24s: fp32 master ppl %.4f, Q4_0 export ppl %.4f (%.4f from the plain fp32 student; %d steps of %d x %d tokens, %.0f s)",
			v.name, pplF, pplQ, gap[v.name], steps, B, T, time.Since(start).Seconds())
	}
	for _, name := range []string{"qad q4_0, last 12 steps", "qad q4_0, whole run"} {
		if !(gap[name] < gap["train-then-quantize"]) {
			t.Errorf("%s: the Q4_0 export is %.4f perplexity from the plain fp32 student, train-then-quantize's %.4f: QAD did not help", name, gap[name], gap["train-then-quantize"])
		}
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

// TestQADTail: with QADSteps the run equals the plain run bit for bit up to
// the switch and differs after it; resuming from checkpoints before, at
// and after the switch (and from a plain run's checkpoint before it) ends
// with the uninterrupted run's weights, and a checkpoint inside the phase
// refuses other QAD settings.
func TestQADTail(t *testing.T) {
	const steps, tail = 8, 3
	opts := func(qad string, n int) Options {
		o := kdOptions()
		o.Schedule = Schedule{Kind: ScheduleCosine, LR: 3e-3, Warmup: 2, Total: steps, MinRatio: 0.1}
		o.Steps, o.QAD, o.QADSteps = steps, qad, n
		return o
	}
	to := func(tr *Trainer, k int) *Trainer {
		for tr.Step < k {
			if _, err := tr.TrainStep(); err != nil {
				t.Fatal(err)
			}
		}
		return tr
	}
	weights := func(tr *Trainer) []float32 { return tr.b.ToFloat32(tr.Master.Flat, nil) }
	plain, qad := newRun(t, opts("", 0)), newRun(t, opts("q4_0", tail))
	if !strings.Contains(qad.QADNote(), "last 3 of 8 steps (from step 6)") {
		t.Errorf("QADNote %q", qad.QADNote())
	}
	if !slices.Equal(weights(to(plain, steps-tail)), weights(to(qad, steps-tail))) {
		t.Fatalf("before the QAD phase the weights differ from the plain run's")
	}
	want := weights(to(qad, steps))
	if slices.Equal(weights(to(plain, steps)), want) {
		t.Fatal("the QAD phase changed nothing")
	}

	resume := func(from *Trainer, o Options) (*Trainer, error) {
		dir := t.TempDir()
		if err := from.Save(dir); err != nil {
			t.Fatal(err)
		}
		b := cpu.New(2)
		data, _ := corpus.NewSampler(randomTokens(4000, tinyTeacher.VocabSize, 5), 16, 4, 11)
		return Resume(dir, b, newTeacher(t, b, tinyTeacher), data, o)
	}
	for _, tc := range []struct {
		name string
		from Options
		at   int
	}{
		{"before", opts("q4_0", tail), 3},
		{"at the switch", opts("q4_0", tail), steps - tail},
		{"inside", opts("q4_0", tail), steps - tail + 1},
		{"plain run before", opts("", 0), steps - tail},
	} {
		tr, err := resume(to(newRun(t, tc.from), tc.at), opts("q4_0", tail))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := weights(to(tr, steps)); !slices.Equal(got, want) {
			t.Errorf("resumed %s (step %d): final weights differ from the uninterrupted run's", tc.name, tc.at)
		}
	}
	inside := to(newRun(t, opts("q4_0", tail)), steps-tail+1)
	for _, o := range []Options{opts("", 0), opts("q4_0", tail-1), opts("q4_0", 0), opts("q8_0", tail)} {
		if _, err := resume(inside, o); err == nil || !strings.Contains(err.Error(), "trained with qad q4_0 from step 5") {
			t.Errorf("resume with qad %q steps %d: error %v", o.QAD, o.QADSteps, err)
		}
	}
}

// TestQADStepsRange: QAD steps outside [0, steps], or without a method,
// are refused before anything is allocated.
func TestQADStepsRange(t *testing.T) {
	for _, tc := range []struct {
		qad             string
		steps, qadSteps int
		want            string
	}{
		{"q4_0", 10, 11, "qad steps 11 outside [0, 10]"},
		{"q4_0", 10, -1, "qad steps -1 outside [0, 10]"},
		{"", 10, 5, "qad steps 5 without a qad method"},
	} {
		o := kdOptions()
		o.Steps, o.QAD, o.QADSteps = tc.steps, tc.qad, tc.qadSteps
		if err := o.fill(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("qad %q steps %d of %d: error %v, want %q", tc.qad, tc.qadSteps, tc.steps, err, tc.want)
		}
	}
	o := kdOptions()
	o.Steps, o.QAD, o.QADSteps = 10, "q4_0", 10
	if err := o.fill(); err != nil {
		t.Errorf("qad steps = steps: %v", err)
	}
}
