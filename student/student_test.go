package student

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/distill-dev/distill/corpus"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

var tinyTeacher = model.Config{Arch: model.ArchLlama, Dim: 32, HiddenDim: 64, NLayers: 4, NHeads: 4, NKVHeads: 2,
	VocabSize: 64, MaxSeqLen: 32, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}

func newTeacher(t *testing.T, b kernels.Backend, c model.Config) *model.Model {
	t.Helper()
	p, err := model.AllocParams(c, b, kernels.F32)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Set(b, model.RandomParams(c, 1)); err != nil {
		t.Fatal(err)
	}
	return p.Model(b)
}

func randomTokens(n, v int, seed uint64) []int32 {
	rng := rand.New(rand.NewPCG(seed, 9))
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(rng.IntN(v))
	}
	return out
}

func TestResolveLayers(t *testing.T) {
	for _, tc := range []struct {
		n    int
		s    Shape
		want []int
		err  bool
	}{
		{12, Shape{EveryK: 2}, []int{1, 3, 5, 7, 9, 11}, false},
		{5, Shape{EveryK: 3}, []int{2}, false},
		{4, Shape{}, []int{0, 1, 2, 3}, false},
		{12, Shape{NLayers: 4}, []int{0, 4, 7, 11}, false},
		{12, Shape{NLayers: 1}, []int{11}, false},
		{6, Shape{Layers: []int{0, 5}}, []int{0, 5}, false},
		{6, Shape{Layers: []int{3, 2}}, nil, true},
		{6, Shape{Layers: []int{6}}, nil, true},
		{6, Shape{EveryK: 7}, nil, true},
		{6, Shape{NLayers: 7}, nil, true},
		{6, Shape{EveryK: 2, NLayers: 2}, nil, true},
	} {
		teacher := tinyTeacher
		teacher.NLayers = tc.n
		cfg, got, err := Resolve(teacher, tc.s)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) || (err == nil && cfg.NLayers != len(got)) {
			t.Errorf("Resolve(%d layers, %+v) = %v, %v; want %v (error %v)", tc.n, tc.s, got, err, tc.want, tc.err)
		}
	}
}

func TestBuildFromTeacherLayers(t *testing.T) {
	b := cpu.New(2)
	teacher := newTeacher(t, b, tinyTeacher)
	cfg, layers, err := Resolve(tinyTeacher, Shape{EveryK: 2})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NLayers != 2 || !slices.Equal(layers, []int{1, 3}) {
		t.Fatalf("config %v layers %v", cfg, layers)
	}
	p, err := Build(b, cfg, teacher, layers, InitTeacherLayers, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{
		{"blk.0.attn_q.weight", "blk.1.attn_q.weight"},
		{"blk.1.ffn_down.weight", "blk.3.ffn_down.weight"},
		{model.NameTokenEmbd, model.NameTokenEmbd},
		{model.NameOutputNorm, model.NameOutputNorm},
	} {
		got, want := b.ToFloat32(p.Views[pair[0]], nil), b.ToFloat32(teacher.Param(pair[1]), nil)
		if !slices.Equal(got, want) {
			t.Errorf("student %s is not teacher %s", pair[0], pair[1])
		}
	}
	// A narrower student cannot copy layers; random init works.
	small, sl, err := Resolve(tinyTeacher, Shape{NLayers: 2, Dim: 16, HiddenDim: 40, NHeads: 2, NKVHeads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(b, small, teacher, sl, InitTeacherLayers, 1); err == nil || !strings.Contains(err.Error(), "init importance or random") {
		t.Errorf("narrow teacher_layers init: error %v, want a hint to use init random", err)
	}
	if _, err := Build(b, small, teacher, sl, InitRandom, 1); err != nil {
		t.Error(err)
	}
}

func TestCheckVocab(t *testing.T) {
	if _, err := CheckVocab(512, 512, 0); err != nil {
		t.Error(err)
	}
	if n, err := CheckVocab(512, 576, 512); err != nil || n != 512 {
		t.Errorf("padding rows: %d, %v", n, err)
	}
	if _, err := CheckVocab(512, 1000, 1000); err == nil || !strings.Contains(err.Error(), "tokenizer") {
		t.Errorf("different vocabulary accepted: %v", err)
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule{Kind: ScheduleCosine, LR: 1, Warmup: 10, Total: 110, MinRatio: 0.1}
	for _, c := range []struct {
		step int
		want float64
	}{{1, 0.1}, {10, 1}, {60, 0.55}, {110, 0.1}, {200, 0.1}} {
		if got := s.At(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("cosine At(%d) = %v, want %v", c.step, got, c.want)
		}
	}
	s.Kind = ScheduleLinear
	if got := s.At(35); math.Abs(got-(1-0.9*0.25)) > 1e-12 {
		t.Errorf("linear At(35) = %v", got)
	}
	s.Kind = ScheduleConstant
	if s.At(1000) != 1 {
		t.Error("constant schedule decays")
	}
	if (Schedule{Kind: "step", LR: 1}).Validate() == nil {
		t.Error("unknown schedule accepted")
	}
}

func TestDecays(t *testing.T) {
	for name, want := range map[string]bool{
		"blk.0.attn_q.weight": true, "blk.0.attn_norm.weight": false, "blk.0.attn_q.bias": false,
		model.NameTokenEmbd: false, model.NamePosEmbd: false, model.NameOutput: true,
	} {
		shape := []int{4, 4}
		if strings.Contains(name, "norm") || strings.HasSuffix(name, "bias") {
			shape = []int{4}
		}
		if got := Decays(name, shape, false); got != want {
			t.Errorf("Decays(%s) = %v", name, got)
		}
	}
}

// newRun returns a trainer of a fresh student (every other teacher layer)
// on fixed random data.
func newRun(t *testing.T, o Options) *Trainer {
	return newRunShape(t, o, Shape{EveryK: 2, Init: InitTeacherLayers})
}

// newRunShape is newRun with a student of shape s.
func newRunShape(t *testing.T, o Options, s Shape) *Trainer {
	t.Helper()
	tr, err := newRunShapeErr(t, o, s)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// newRunErr is newRun returning NewTrainer's error.
func newRunErr(t *testing.T, o Options) error {
	t.Helper()
	_, err := newRunShapeErr(t, o, Shape{EveryK: 2, Init: InitTeacherLayers})
	return err
}

func newRunShapeErr(t *testing.T, o Options, s Shape) (*Trainer, error) {
	t.Helper()
	b := cpu.New(2)
	teacher := newTeacher(t, b, tinyTeacher)
	cfg, layers, err := Resolve(tinyTeacher, s)
	if err != nil {
		t.Fatal(err)
	}
	master, err := Build(b, cfg, teacher, layers, s.Init, 1)
	if err != nil {
		t.Fatal(err)
	}
	data, err := corpus.NewSampler(randomTokens(4000, cfg.VocabSize, 5), 16, 4, 11)
	if err != nil {
		t.Fatal(err)
	}
	return NewTrainer(b, teacher, master, data, o)
}

// run trains newRun's student for steps and returns the per-step losses.
func run(t *testing.T, o Options, steps int, mutate func(*Trainer)) ([]float64, *Trainer) {
	t.Helper()
	o.Steps = steps
	tr := newRun(t, o)
	if mutate != nil {
		mutate(tr)
	}
	var losses []float64
	for tr.Step < steps {
		m, err := tr.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, m.Loss)
	}
	return losses, tr
}

func kdOptions() Options {
	return Options{
		Loss:     kernels.LossParams{Divergence: kernels.ForwardKL, Temperature: 2, Alpha: 1},
		Schedule: Schedule{Kind: ScheduleConstant, LR: 3e-3}, GradClip: 1, WeightDecay: 0.01,
	}
}

func TestKDLossDecreases(t *testing.T) {
	for _, variant := range []struct {
		name string
		edit func(*Options)
	}{
		{"forward-kl", func(*Options) {}},
		{"mix-topk", func(o *Options) { o.Loss.Alpha, o.TopK = 0.5, 8 }},
		{"jsd-accum", func(o *Options) { o.Loss.Divergence, o.Loss.Beta, o.GradAccum = kernels.JSD, 0.5, 2 }},
		{"reverse-kl", func(o *Options) { o.Loss.Divergence = kernels.ReverseKL }},
		{"hidden-cosine", func(o *Options) {
			o.Hidden = &HiddenOptions{Kind: kernels.HiddenCosine, Weight: 1, Pairs: [][2]int{{0, 1}, {1, 3}}}
		}},
		{"hidden-mse", func(o *Options) {
			o.Hidden = &HiddenOptions{Kind: kernels.HiddenMSE, Weight: 0.5, Pairs: [][2]int{{1, 3}}}
		}},
	} {
		t.Run(variant.name, func(t *testing.T) {
			o := kdOptions()
			variant.edit(&o)
			losses, _ := run(t, o, 30, nil)
			first, last := mean(losses[:5]), mean(losses[len(losses)-5:])
			if !(last < 0.8*first) {
				t.Errorf("loss %.4f -> %.4f: did not drop by 20%%", first, last)
			}
		})
	}
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// TestHalfPrecisionTracksFP32: bf16 and fp16 weight copies follow the fp32
// loss curve within 5% per step over 20 steps.
func TestHalfPrecisionTracksFP32(t *testing.T) {
	o := kdOptions()
	ref, _ := run(t, o, 20, nil)
	for _, prec := range []string{BF16, FP16} {
		o.Precision = prec
		got, tr := run(t, o, 20, nil)
		if tr.Skipped != 0 {
			t.Errorf("%s: %d skipped steps", prec, tr.Skipped)
		}
		for i := range ref {
			if math.Abs(got[i]-ref[i]) > 0.05*ref[i] {
				t.Errorf("%s step %d: loss %.5f, fp32 %.5f (> 5%%)", prec, i+1, got[i], ref[i])
			}
		}
	}
}

// TestFP16OverflowSkipped forces overflow with a huge loss scale: those
// steps are skipped and counted, the scale backs off and training recovers.
func TestFP16OverflowSkipped(t *testing.T) {
	o := kdOptions()
	o.Precision = FP16
	o.LossScale = LossScale{Initial: 3e38, Growth: 5, GrowthFactor: 2, Backoff: 1e-8}
	losses, tr := run(t, o, 20, nil)
	if tr.Skipped == 0 {
		t.Fatal("no step skipped with a loss scale of 3e38")
	}
	if tr.Scale >= 3e38 {
		t.Errorf("loss scale %g did not back off", tr.Scale)
	}
	if first, last := mean(losses[:3]), mean(losses[len(losses)-3:]); !(last < 0.9*first) {
		t.Errorf("after the overflow the loss went %.4f -> %.4f", first, last)
	}
	t.Logf("skipped %d steps, final loss scale %g", tr.Skipped, tr.Scale)
}

// TestResumeSameLoss: 8 steps straight, and 4 steps + checkpoint + Resume +
// 4 steps, end with bit-identical weights and losses.
func TestResumeSameLoss(t *testing.T) {
	o := kdOptions()
	o.Schedule = Schedule{Kind: ScheduleCosine, LR: 3e-3, Warmup: 2, Total: 8, MinRatio: 0.1}
	straight, ref := run(t, o, 8, nil)

	dir := t.TempDir()
	first, tr := run(t, o, 4, nil)
	if err := tr.Save(dir); err != nil {
		t.Fatal(err)
	}
	b := cpu.New(2)
	teacher := newTeacher(t, b, tinyTeacher)
	data, _ := corpus.NewSampler(randomTokens(4000, tinyTeacher.VocabSize, 5), 16, 4, 11)
	o.Steps = 8
	var js bytes.Buffer
	o.Metrics = &js
	tr2, err := Resume(dir, b, teacher, data, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var resumed []float64
	dec := json.NewDecoder(&js)
	for dec.More() {
		var m Metrics
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		resumed = append(resumed, m.Loss)
	}
	got := append(first, resumed...)
	_ = ref
	if len(got) != len(straight) {
		t.Fatalf("%d losses, want %d", len(got), len(straight))
	}
	for i := range got {
		if got[i] != straight[i] {
			t.Errorf("step %d: resumed loss %v, uninterrupted %v", i+1, got[i], straight[i])
		}
	}
	if !slices.Equal(b.ToFloat32(tr2.Master.Flat, nil), ref.b.ToFloat32(ref.Master.Flat, nil)) {
		t.Error("resumed master weights differ from the uninterrupted run")
	}
}

func TestEstimateMemory(t *testing.T) {
	s, _, _ := Resolve(tinyTeacher, Shape{EveryK: 2})
	m := EstimateMemory(&tinyTeacher, 4, s, Options{Precision: BF16, TopK: 8}, 4, 16)
	P := int64(s.NumParams())
	if m.Student != 6*P || m.Gradients != 4*P || m.Optimizer != 8*P || m.Teacher != 4*int64(tinyTeacher.NumParams()) {
		t.Errorf("weights estimate %+v for %d parameters", m, P)
	}
	// Half activations: the saved matmul-side activations (and the stacked
	// q/k/v product) take 2 bytes instead of 4, the rest of the state
	// stays F32.
	m32 := EstimateMemory(&tinyTeacher, 4, s, Options{Precision: FP32, TopK: 8}, 4, 16)
	C, F, KV, L, N := int64(s.Dim), int64(s.HiddenDim), int64(s.KVDim()), int64(s.NLayers), int64(4*16)
	if want := 2 * N * (L*(4*C+2*KV+3*F) + C + C + 2*KV); m32.Activations-m.Activations != want {
		t.Errorf("activations fp32 %d, bf16 %d: saving %d, want %d", m32.Activations, m.Activations, m32.Activations-m.Activations, want)
	}
	if err := m.Check(m.Total()); err != nil {
		t.Error(err)
	}
	if err := m.Check(m.Total() - 1); err == nil || !strings.Contains(err.Error(), "optimizer state") {
		t.Errorf("over the limit: %v", err)
	}
}

// TestDivergedRunStops: NaN weights make every step overflow; Run gives up
// with an error instead of skipping forever.
func TestDivergedRunStops(t *testing.T) {
	o := kdOptions()
	_, tr := run(t, o, 1, nil)
	tr.b.Fill(tr.Master.Views["blk.0.attn_q.weight"], float32(math.NaN()))
	tr.Opts.Steps = 1000
	err := tr.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("Run on NaN weights: %v", err)
	}
	if tr.Skipped != MaxConsecutiveSkips {
		t.Errorf("%d skipped steps, want %d", tr.Skipped, MaxConsecutiveSkips)
	}
}

// TestHiddenProjection: a narrower student (dim 16 vs 32) with a learned
// projection: the hidden loss falls, the projection trains, and a
// checkpoint resumes bit-identically with it.
func TestHiddenProjection(t *testing.T) {
	shape := Shape{Dim: 16, NHeads: 2, NKVHeads: 1, HiddenDim: 40, NLayers: 2, Init: InitImportance}
	o := kdOptions()
	o.Loss.Alpha = 0.5
	o.Hidden = &HiddenOptions{Kind: kernels.HiddenMSE, Weight: 1, Pairs: [][2]int{{0, 1}, {1, 3}}}
	o.Steps = 30
	o.Schedule = Schedule{Kind: ScheduleConstant, LR: 3e-3}
	tr := newRunShape(t, o, shape)
	w0 := tr.b.ToFloat32(tr.proj[1].W, nil)
	var losses []float64
	for tr.Step < 30 {
		m, err := tr.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, m.Loss)
	}
	if first, last := mean(losses[:5]), mean(losses[25:]); !(last < 0.95*first) {
		t.Errorf("loss %.4f -> %.4f", first, last)
	}
	if slices.Equal(w0, tr.b.ToFloat32(tr.proj[1].W, nil)) {
		t.Error("the projection did not train")
	}
	// Resume from step 15 and finish: the same projection and weights.
	dir := t.TempDir()
	o.Steps = 15
	a := newRunShape(t, o, shape)
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(dir); err != nil {
		t.Fatal(err)
	}
	o.Steps = 30
	r, err := Resume(dir, a.b, a.Teacher, a.Data, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.b.ToFloat32(r.proj[1].W, nil), tr.b.ToFloat32(tr.proj[1].W, nil)) ||
		!slices.Equal(r.b.ToFloat32(r.Master.Flat, nil), tr.b.ToFloat32(tr.Master.Flat, nil)) {
		t.Error("resumed run with projections differs from the uninterrupted one")
	}
}

// TestHalfKeepsFP32Vectors: a bf16 student reads half matrices but its norm
// weights from the float32 master block, so AdamW's updates reach them
// unrounded; its saved activations are bf16.
func TestHalfKeepsFP32Vectors(t *testing.T) {
	o := kdOptions()
	o.Precision, o.Steps = BF16, 2
	tr := newRun(t, o)
	w := tr.Student.W
	if w.Layers[0].Q.DType() != kernels.BF16 || w.Layers[0].AttnNorm.DType() != kernels.F32 || w.OutputNorm.DType() != kernels.F32 {
		t.Fatalf("bf16 student: Q %s, attention norm %s, output norm %s; want BF16, F32, F32",
			w.Layers[0].Q.DType(), w.Layers[0].AttnNorm.DType(), w.OutputNorm.DType())
	}
	b := tr.Student.Backend
	before := b.ToFloat32(tr.Master.W.Layers[1].FFNNorm, nil)
	if _, err := tr.TrainStep(); err != nil {
		t.Fatal(err)
	}
	after := b.ToFloat32(w.Layers[1].FFNNorm, nil)
	if slices.Equal(before, after) {
		t.Error("the student's norm weights did not follow the master update")
	}
	// Half activations: the saved ones are BF16, the residual stream F32.
	if a, h, r := tr.st.AttentionOut(0).DType(), tr.st.FFNHidden(1).DType(), tr.st.Hidden(0).DType(); a != kernels.BF16 || h != kernels.BF16 || r != kernels.F32 {
		t.Errorf("bf16 student activations: attention %s, FFN hidden %s, residual %s; want BF16, BF16, F32", a, h, r)
	}
}
