package student

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/internal/finitejson"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/quant"
)

// Precisions of the student's forward and backward.
const (
	FP32 = "fp32"
	BF16 = "bf16"
	FP16 = "fp16"
)

// LossScale is fp16 dynamic loss scaling: the loss is multiplied by Scale
// before backward; a step whose gradients hold an inf or NaN is skipped and
// Scale multiplied by Backoff; after Growth consecutive good steps Scale is
// multiplied by GrowthFactor.
type LossScale struct {
	Initial      float64
	Growth       int
	GrowthFactor float64
	Backoff      float64
}

// DefaultLossScale is torch.amp.GradScaler's default.
var DefaultLossScale = LossScale{Initial: 65536, Growth: 1000, GrowthFactor: 2, Backoff: 0.5}

// Options configure a Trainer.
type Options struct {
	// Loss: divergence, temperature, alpha (0: hard labels only, the
	// teacher is not run), beta. Scale is set by the trainer.
	Loss kernels.LossParams
	// TopK > 0 distils from the teacher's top-k log-probabilities (extracted
	// on the device, as cached soft labels store them) instead of its full
	// distribution.
	TopK int
	// Cache, when set, supplies the teacher's top-k log-probabilities from
	// a soft-label cache (distill teach) instead of running the teacher. Its
	// temperature must be Loss.Temperature and its tokens the sampler's.
	Cache *SoftLabelCache
	// TokenVocab is the tokenizer's vocabulary size (0: unknown). When it
	// is set, a student whose vocabulary differs from the teacher's only
	// in padding rows at ids >= TokenVocab is accepted (see padLogits).
	TokenVocab int
	// TokenizerHash (tokenizer.Hash of the teacher's tokenizer) is
	// recorded in every checkpoint Save writes, so loading the student with
	// another tokenizer is refused.
	TokenizerHash string

	Steps     int // optimizer steps
	GradAccum int // micro-batches per step (default 1)
	Schedule  Schedule

	Beta1, Beta2, Eps, WeightDecay float64
	DecayAll                       bool    // also decay norms, biases and embeddings
	GradClip                       float64 // global L2 norm; 0: off

	Precision string    // FP32 (default), BF16, FP16
	LossScale LossScale // FP16 only; zero value: DefaultLossScale

	// Hidden, when set, adds a hidden-state loss (needs Loss.Alpha > 0, as
	// the teacher must run).
	Hidden *HiddenOptions
	// QAD, when set, is the quantization method (quant.ParseMethod: q4_0,
	// q4_k_m, int4-g32, ...) whose export the student trains as:
	// quantization-aware distillation (see qad.go).
	QAD string
	// QADSteps > 0 fake-quantizes only the last QADSteps of the Steps
	// (the trained fp32 student fine-tuned as its export, at the
	// schedule's tail learning rate); 0: the whole run. At most Steps.
	QADSteps int
	// OnPolicy, when set, samples a fraction of the micro-batches from the
	// student and distils on them (GKD; see onpolicy.go). It needs the
	// online teacher.
	OnPolicy *OnPolicyOptions

	// Metrics receives one JSON object per optimizer step (JSONL); nil: none.
	Metrics io.Writer
	// CheckpointDir, when set, receives a checkpoint every CheckpointEvery
	// steps and at the end.
	CheckpointDir   string
	CheckpointEvery int
	// OnStep, when set, is called after every optimizer step.
	OnStep func(Metrics)
}

// Metrics describe one optimizer step.
type Metrics struct {
	Step       int     `json:"step"`
	Loss       float64 `json:"loss"`
	LR         float64 `json:"lr"`
	GradNorm   float64 `json:"grad_norm"`
	LossScale  float64 `json:"loss_scale"`
	Skipped    bool    `json:"skipped"`
	SkippedAll int     `json:"skipped_total"`
	Tokens     int64   `json:"tokens"`
	TokPerSec  float64 `json:"tokens_per_s"`
	// OnPolicy counts the step's micro-batches sampled from the student.
	OnPolicy int `json:"on_policy,omitempty"`
}

// Trainer distils a teacher into a student: online KD, AdamW on float32
// master weights, optional half-precision weight copies.
type Trainer struct {
	Opts    Options
	Config  model.Config
	Teacher *model.Model // nil when Loss.Alpha is 0

	// Master weights, gradients and AdamW moments share one layout.
	Master, Grads, M, V *model.ParamBlock
	// Half is the bf16/fp16 copy the student runs on (nil in fp32).
	Half    *model.ParamBlock
	Student *model.Model
	Data    *corpus.Sampler

	Step      int
	Scale     float64 // current loss scale (1 unless fp16)
	GoodSteps int     // fp16 steps since the last overflow or growth
	Skipped   int
	Tokens    int64
	// Batches counts the micro-batches drawn (the on-policy generators'
	// key); OnPolicyBatches those sampled from the student.
	Batches         int64
	OnPolicyBatches int64

	b       kernels.Backend
	ops     kernels.TrainOps
	st      model.TrainState
	tst     model.TrainState // the teacher's, with hidden-state loss
	hl      kernels.Tensor   // per-row hidden losses
	proj    []*hiddenProj    // per hidden pair; nil entries: equal widths
	ids     []int32
	targets []int32
	losses  kernels.Tensor
	topIDs  kernels.Tensor
	topLP   kernels.Tensor
	hostL   []float32
	// fixedTeacher, when set, replaces the online teacher forward with
	// these logits (benchmarks: PyTorch's KD step uses precomputed ones).
	fixedTeacher kernels.Tensor
	padded       kernels.Tensor // teacher logits in the student's vocabulary (padLogits)
	cacheIDs     []byte         // host buffers of cached labels (cachedLabels)
	cacheLPs     []byte
	qad          *quant.Plan       // QAD's export plan (nil: off)
	fake         *model.ParamBlock // QAD in fp32: the fake-quantized weights the student runs on
	qadBuf       []float32
}

// NewTrainer prepares training of master (the student's F32 weights, e.g.
// from Build) against teacher (may be nil when Loss.Alpha is 0) on data.
// The backend must implement kernels.TrainOps.
func NewTrainer(b kernels.Backend, teacher *model.Model, master *model.ParamBlock, data *corpus.Sampler, o Options) (*Trainer, error) {
	ops, ok := b.(kernels.TrainOps)
	if !ok {
		return nil, fmt.Errorf("student: backend %s cannot train (no kernels.TrainOps)", b.Name())
	}
	if err := o.fill(); err != nil {
		return nil, err
	}
	cfg := master.Config
	if c := o.Cache; c != nil {
		if o.Loss.Alpha == 0 || o.Hidden != nil {
			return nil, errors.New("student: a soft-label cache needs alpha > 0 and no hidden-state loss")
		}
		if c.VocabSize != cfg.VocabSize {
			return nil, fmt.Errorf("student: soft-label cache of a %d-token vocabulary, student has %d (padding rows are handled only with the online teacher)", c.VocabSize, cfg.VocabSize)
		}
		if err := c.compatible(&Manifest{SeqLen: data.SeqLen, TokensHash: HashTokens(data.Tokens())}); err != nil {
			return nil, fmt.Errorf("student: soft-label cache does not match the training data: %w", err)
		}
		if c.Temperature != o.Loss.Temperature {
			return nil, fmt.Errorf("student: soft-label cache made at temperature %g, training at %g", c.Temperature, o.Loss.Temperature)
		}
		teacher = nil
	} else if o.Loss.Alpha > 0 {
		if teacher == nil {
			return nil, errors.New("student: alpha > 0 needs a teacher")
		}
		if _, err := CheckVocab(teacher.Config.VocabSize, cfg.VocabSize, o.TokenVocab); err != nil {
			return nil, err
		}
		if data.SeqLen > teacher.Config.MaxSeqLen {
			return nil, fmt.Errorf("student: seq_len %d exceeds the teacher's max_seq_len %d", data.SeqLen, teacher.Config.MaxSeqLen)
		}
		if o.TopK > teacher.Config.VocabSize {
			return nil, fmt.Errorf("student: top_k %d exceeds the teacher's vocabulary of %d tokens", o.TopK, teacher.Config.VocabSize)
		}
	} else {
		teacher = nil
	}
	if o.Hidden != nil && teacher == nil {
		return nil, errors.New("student: a hidden-state loss needs alpha > 0 (the teacher must run)")
	}
	if data.SeqLen > cfg.MaxSeqLen {
		return nil, fmt.Errorf("student: seq_len %d exceeds the student's max_seq_len %d", data.SeqLen, cfg.MaxSeqLen)
	}
	t := &Trainer{Opts: o, Config: cfg, Teacher: teacher, Master: master, Data: data, b: b, ops: ops, Scale: 1}
	var err error
	alloc := func(dt kernels.DType) *model.ParamBlock {
		if err != nil {
			return nil
		}
		var p *model.ParamBlock
		p, err = model.AllocParams(cfg, b, dt)
		return p
	}
	t.Grads, t.M, t.V = alloc(kernels.F32), alloc(kernels.F32), alloc(kernels.F32)
	switch o.Precision {
	case BF16:
		t.Half = alloc(kernels.BF16)
	case FP16:
		t.Half = alloc(kernels.F16)
		t.Scale = o.LossScale.Initial
	}
	if err != nil {
		return nil, err
	}
	if err := t.initHidden(); err != nil {
		return nil, err
	}
	if err := t.initQAD(); err != nil {
		return nil, err
	}
	if err := t.checkOnPolicy(); err != nil {
		return nil, err
	}
	t.syncRun()
	t.Student = t.runBlock().Model(b)
	if t.Half != nil {
		fp32Vectors(&t.Student.W, &master.W)
		// Half activations too (issue 3 item 5): the saved activations take
		// the weight copies' dtype; residual stream, statistics, logits and
		// gradients stay F32 (see model/train.go).
		t.st.Act = t.Half.Flat.DType()
	}
	n := data.Batch * data.SeqLen
	t.ids, t.targets = make([]int32, n), make([]int32, n)
	t.losses = b.Zeros(kernels.F32, n)
	if o.TopK > 0 {
		t.topIDs, t.topLP = b.Zeros(kernels.I32, n, o.TopK), b.Zeros(kernels.F32, n, o.TopK)
	}
	return t, nil
}

// fp32Vectors points the half-precision student's norm weights and biases
// at the float32 master copies (AdamW updates them in place): they are a
// sliver of the parameters, rounding a norm gain near 1 to bf16 costs 3
// significant digits, and the vector kernels read float32 natively.
func fp32Vectors(w, master *model.Weights) {
	w.OutputNorm, w.OutputNormBias = master.OutputNorm, master.OutputNormBias
	for l := range w.Layers {
		d, s := &w.Layers[l], &master.Layers[l]
		d.AttnNorm, d.AttnNormBias, d.FFNNorm, d.FFNNormBias = s.AttnNorm, s.AttnNormBias, s.FFNNorm, s.FFNNormBias
		d.QBias, d.KBias, d.VBias, d.AttnOutputBias = s.QBias, s.KBias, s.VBias, s.AttnOutputBias
		d.FFNUpBias, d.FFNDownBias = s.FFNUpBias, s.FFNDownBias
	}
}

// fill applies defaults and validates o.
func (o *Options) fill() error {
	if o.GradAccum == 0 {
		o.GradAccum = 1
	}
	if o.Precision == "" {
		o.Precision = FP32
	}
	if o.LossScale == (LossScale{}) {
		o.LossScale = DefaultLossScale
	}
	if o.Loss.Temperature == 0 {
		o.Loss.Temperature = 1
	}
	if o.Beta1 == 0 && o.Beta2 == 0 {
		o.Beta1, o.Beta2 = 0.9, 0.95
	}
	if o.Eps == 0 {
		o.Eps = 1e-8
	}
	if o.Schedule.Total == 0 {
		o.Schedule.Total = o.Steps
	}
	if o.Schedule.Kind == "" {
		o.Schedule.Kind = ScheduleCosine
	}
	switch o.Precision {
	case FP32, BF16, FP16:
	default:
		return fmt.Errorf("student: unknown precision %q (want fp32, bf16 or fp16)", o.Precision)
	}
	if o.Steps < 1 || o.GradAccum < 1 || o.TopK < 0 || o.GradClip < 0 {
		return fmt.Errorf("student: steps %d, grad_accum %d, top_k %d, grad_clip %g out of range", o.Steps, o.GradAccum, o.TopK, o.GradClip)
	}
	if err := o.checkQAD(); err != nil {
		return err
	}
	if ls := o.LossScale; !(ls.Initial > 0) || ls.Growth < 1 || !(ls.GrowthFactor >= 1) || !(ls.Backoff > 0 && ls.Backoff < 1) {
		return fmt.Errorf("student: loss scale %+v out of range", ls)
	}
	return o.Schedule.Validate()
}

// TrainStep runs one optimizer step: GradAccum micro-batches of teacher
// forward, student forward, fused loss, backward; then (unless the fp16
// gradients overflowed) clipping and AdamW on the master weights.
func (t *Trainer) TrainStep() (Metrics, error) {
	start := time.Now()
	b, o := t.b, t.Opts
	B, T := t.Data.Batch, t.Data.SeqLen
	b.Fill(t.Grads.Flat, 0)
	for _, pj := range t.projs() {
		b.Fill(pj.G, 0)
	}
	var lossSum float64
	onPolicy := 0
	for range o.GradAccum {
		t.Data.Next(t.ids, t.targets)
		rows, err := t.onPolicyBatch()
		if err != nil {
			return Metrics{}, err
		}
		p := o.Loss
		p.Scale = float32(t.Scale / float64(len(t.ids)*o.GradAccum))
		hiddenScale := p.Scale
		if rows < len(t.ids) { // sampled from the student: the divergence alone, per sampled token
			onPolicy++
			p.Alpha = 1
			p.Scale = float32(t.Scale / float64(max(rows, 1)*o.GradAccum))
		}
		var soft kernels.SoftLabels
		if c := o.Cache; c != nil {
			var err error
			if soft, err = t.cachedLabels(c); err != nil {
				return Metrics{}, err
			}
		} else if t.Teacher != nil {
			var tl kernels.Tensor
			if t.fixedTeacher != nil {
				tl = t.fixedTeacher
			} else if o.Hidden != nil {
				tl = t.Teacher.ForwardTrain(&t.tst, t.ids, B, T)
			} else {
				tl = t.Teacher.Forward(t.ids, B, T, nil)
			}
			if tl.Shape()[1] != t.Config.VocabSize {
				tl = t.padLogits(tl)
			}
			if o.TopK > 0 {
				t.ops.TopKLogProbs(t.topIDs, t.topLP, tl, o.TopK, p.Temperature)
				soft = kernels.SoftLabels{IDs: t.topIDs, LogProbs: t.topLP}
			} else {
				soft = kernels.SoftLabels{Logits: tl}
			}
		}
		logits := t.Student.ForwardTrain(&t.st, t.ids, B, T)
		t.ops.DistillLoss(t.losses, logits, logits, soft, t.targets, p)
		if o.Cache != nil { // uploaded per micro-batch: give device memory back
			b.Free(soft.IDs)
			b.Free(soft.LogProbs)
		}
		t.hostL = b.ToFloat32(t.losses, t.hostL)
		var sum float64
		for _, l := range t.hostL {
			sum += float64(l)
		}
		if rows < len(t.ids) {
			sum *= float64(len(t.ids)) / float64(max(rows, 1))
		}
		lossSum += sum
		lossSum += t.hiddenLoss(hiddenScale)
		t.Student.Backward(&t.st, logits, &t.Grads.W)
	}
	t.Tokens += int64(o.GradAccum * B * T)
	t.Step++
	m := Metrics{Step: t.Step, Loss: lossSum / float64(o.GradAccum*B*T), LR: o.Schedule.At(t.Step), LossScale: t.Scale, Tokens: t.Tokens, OnPolicy: onPolicy}
	// An inf or NaN gradient makes the sum of squares inf or NaN (squares
	// are >= 0, so infinities cannot cancel): one pass finds both the norm
	// and an overflow, without a separate NonFinite scan.
	sq := t.ops.SumSquares(t.Grads.Flat)
	for _, pj := range t.projs() {
		sq += t.ops.SumSquares(pj.G)
	}
	m.GradNorm = math.Sqrt(sq) / t.Scale
	if math.IsNaN(sq) || math.IsInf(sq, 0) {
		// Overflow: skip the update. Only fp16 recovers by backing off; in
		// fp32/bf16 the step is skipped and counted all the same.
		t.Skipped++
		m.Skipped = true
		if o.Precision == FP16 {
			t.Scale *= o.LossScale.Backoff
		}
		t.GoodSteps = 0
		t.Step-- // the schedule does not advance on a skipped step
		m.Step = t.Step
	} else {
		t.update(m.LR, m.GradNorm)
		if o.Precision == FP16 {
			if t.GoodSteps++; t.GoodSteps >= o.LossScale.Growth {
				t.Scale *= o.LossScale.GrowthFactor
				t.GoodSteps = 0
			}
		}
	}
	m.SkippedAll = t.Skipped
	if d := time.Since(start).Seconds(); d > 0 {
		m.TokPerSec = float64(o.GradAccum*B*T) / d
	}
	return m, nil
}

// cachedLabels gathers the cached top-k labels of the sampler's last batch.
func (t *Trainer) cachedLabels(c *SoftLabelCache) (kernels.SoftLabels, error) {
	n, k := len(t.ids), c.K
	// The host buffers are reused: the tensors made from them are freed
	// after the step's loss.
	idb, lpb := t.cacheIDs[:0], t.cacheLPs[:0]
	for _, w := range t.Data.Last {
		ids, lps, err := c.Window(w)
		if err != nil {
			return kernels.SoftLabels{}, err
		}
		idb, lpb = append(idb, ids...), append(lpb, lps...)
	}
	t.cacheIDs, t.cacheLPs = idb, lpb
	return kernels.SoftLabels{IDs: t.b.FromBytes(kernels.I32, idb, n, k), LogProbs: t.b.FromBytes(kernels.F16, lpb, n, k)}, nil
}

// update applies AdamW to every parameter, folding loss scale and clipping
// into the gradient divisor, and refreshes the half copy.
func (t *Trainer) update(lr, norm float64) {
	o := t.Opts
	gs := t.Scale
	if o.GradClip > 0 && norm > o.GradClip {
		gs *= norm / o.GradClip
	}
	ap := kernels.AdamWParams{LR: float32(lr), Beta1: float32(o.Beta1), Beta2: float32(o.Beta2), Eps: float32(o.Eps),
		Step: t.Step, GradScale: float32(gs)}
	for _, s := range t.Config.Params() {
		ap.WeightDecay = 0
		if Decays(s.Name, s.Shape, o.DecayAll) {
			ap.WeightDecay = float32(o.WeightDecay)
		}
		t.ops.AdamW(t.Master.Views[s.Name], t.Grads.Views[s.Name], t.M.Views[s.Name], t.V.Views[s.Name], ap)
	}
	ap.WeightDecay = 0
	for _, pj := range t.projs() {
		t.ops.AdamW(pj.W, pj.G, pj.M, pj.V, ap)
	}
	t.syncRun()
}

// Run trains until Opts.Steps optimizer steps are done (counting those of
// a resumed run) or ctx is cancelled, writing metrics and checkpoints.
func (t *Trainer) Run(ctx context.Context) error {
	o := t.Opts
	skips := 0 // consecutive skipped steps
	for t.Step < o.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := t.TrainStep()
		if err != nil {
			return err
		}
		// The step is recorded first: its non-finite gradient norm is
		// written as null, so the overflow path below stays reachable.
		if o.Metrics != nil {
			line, err := finitejson.Marshal(m)
			if err == nil {
				_, err = o.Metrics.Write(append(line, '\n'))
			}
			if err != nil {
				return fmt.Errorf("student: writing metrics: %w", err)
			}
		}
		// fp16 backs off while the scale can still come down; overflow that
		// persists at a scale <= 1 (or in fp32/bf16) is divergence.
		skips = (skips + 1) * btoi(m.Skipped)
		if skips >= MaxConsecutiveSkips && (o.Precision != FP16 || t.Scale <= 1) {
			return fmt.Errorf("student: training diverged at step %d: %d consecutive steps with inf/NaN gradients (loss scale %g); lower the learning rate or resume from an earlier checkpoint", t.Step+1, skips, t.Scale)
		}
		if o.OnStep != nil {
			o.OnStep(m)
		}
		if o.CheckpointDir != "" && !m.Skipped && (t.Step == o.Steps || (o.CheckpointEvery > 0 && t.Step%o.CheckpointEvery == 0)) {
			if err := t.Save(o.CheckpointDir); err != nil {
				return err
			}
		}
	}
	return nil
}

// Train builds a Trainer and runs it to Options.Steps: the online KD loop
// (teacher forward per batch). It returns the trainer for its weights and
// counters, also when ctx ends the run early (with ctx's error).
func Train(ctx context.Context, b kernels.Backend, teacher *model.Model, master *model.ParamBlock, data *corpus.Sampler, o Options) (*Trainer, error) {
	t, err := NewTrainer(b, teacher, master, data, o)
	if err != nil {
		return nil, err
	}
	return t, t.Run(ctx)
}

// MaxConsecutiveSkips ends Run with an error: gradients that overflow this
// many steps in a row (whatever the loss scale) mean the weights diverged.
const MaxConsecutiveSkips = 64

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
