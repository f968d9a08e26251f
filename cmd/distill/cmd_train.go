package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/internal/progress"
	"github.com/distill-dev/distill/internal/sysmem"
	"github.com/distill-dev/distill/internal/units"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/student"
)

func init() { register(trainCommand) }

func trainCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "train",
		Usage:     "distil TEACHER into a smaller student (knowledge distillation, or hard labels with --alpha 0)",
		ArgsUsage: "TEACHER",
		Flags: append(dataFlags(),
			&cli.StringFlag{Name: "out", Required: true, Usage: "student checkpoint directory (model.safetensors, config.json, tokenizer.json, optimizer state)"},
			&cli.BoolFlag{Name: "resume", Usage: "continue from the checkpoint in --out with the same data order"},
			&cli.BoolFlag{Name: "force", Usage: "replace what an existing --out holds (without --resume)"},
			// Student shape.
			&cli.IntFlag{Name: "n-layers", Usage: "keep this many evenly spaced teacher layers"},
			&cli.IntFlag{Name: "every-k", Usage: "keep teacher layers k-1, 2k-1, ... (DistilBERT)"},
			&cli.StringFlag{Name: "layers", Usage: "keep these teacher layers, e.g. 0,2,4"},
			&cli.IntFlag{Name: "dim", Usage: "student width (0 = the teacher's)"},
			&cli.IntFlag{Name: "heads", Usage: "attention heads (0 = the teacher's)"},
			&cli.IntFlag{Name: "kv-heads", Usage: "key/value heads (0 = the teacher's; with --heads, the most up to the teacher's that group them evenly)"},
			&cli.IntFlag{Name: "hidden-dim", Usage: "FFN width (0 = the teacher's)"},
			&cli.StringFlag{Name: "student-tokenizer", Usage: "the tokenizer the student should use: refused before any work unless it is the teacher's (naming the first token that differs)"},
			&cli.StringFlag{Name: "init", Value: student.InitTeacherLayers, Usage: "initialisation: teacher_layers, importance (slice heads and FFN channels by importance), random"},
			&cli.StringFlag{Name: "importance", Value: "activations", Usage: "with --init importance: rank by activations (norms on calibration batches) or weights (weight norms)"},
			&cli.IntFlag{Name: "calibration-batches", Value: student.DefaultCalibrationBatches, Usage: "batches of training data that measure activation importance"},
			// Optimisation.
			&cli.IntFlag{Name: "steps", Value: 1000, Usage: "optimizer steps"},
			&cli.IntFlag{Name: "batch", Value: 8, Usage: "windows per micro-batch"},
			&cli.IntFlag{Name: "grad-accum", Value: 1, Usage: "micro-batches per optimizer step"},
			&cli.Float64Flag{Name: "lr", Value: 3e-4, Usage: "peak learning rate"},
			&cli.StringFlag{Name: "schedule", Value: student.ScheduleCosine, Usage: "learning-rate decay after warmup: cosine, linear, constant"},
			&cli.IntFlag{Name: "warmup", Usage: "warmup steps"},
			&cli.Float64Flag{Name: "min-lr-ratio", Value: 0.1, Usage: "final learning rate as a fraction of --lr"},
			&cli.Float64Flag{Name: "weight-decay", Value: 0.01, Usage: "AdamW decoupled weight decay (matrices only)"},
			&cli.Float64Flag{Name: "grad-clip", Value: 1, Usage: "clip gradients to this global L2 norm (0 = off)"},
			&cli.StringFlag{Name: "precision", Value: student.FP32, Usage: "fp32, bf16 or fp16 (half weights, fp32 master weights and optimizer)"},
			// Loss.
			&cli.Float64Flag{Name: "alpha", Value: 0.5, Usage: "weight of the distillation term; 0 trains on hard labels only (no teacher run)"},
			&cli.Float64Flag{Name: "temperature", Value: 2, Usage: "distillation temperature"},
			&cli.StringFlag{Name: "divergence", Value: "kl", Usage: "kl (forward KL, also spelled forward_kl), reverse_kl or jsd, as recipes spell them"},
			&cli.Float64Flag{Name: "beta", Value: 0.5, Usage: "JSD mixture weight"},
			&cli.IntFlag{Name: "top-k", Usage: "distil from the teacher's top-k log-probabilities (0 = full distribution)"},
			&cli.StringFlag{Name: "soft-labels", Usage: "train from a soft-label cache written by distill teach instead of running the teacher"},
			&cli.StringFlag{Name: "hidden-loss", Value: "none", Usage: "hidden-state loss between paired block outputs: none, mse, cosine (a learned projection when widths differ)"},
			&cli.Float64Flag{Name: "hidden-weight", Value: 1, Usage: "weight of the hidden-state loss"},
			&cli.Float64Flag{Name: "on-policy", Usage: "on-policy KD (GKD): the fraction lambda in [0, 1] of batches whose continuations the student samples and the teacher scores (0 = off)"},
			&cli.IntFlag{Name: "on-policy-tokens", Value: 64, Usage: "with --on-policy: tokens sampled per window (at most --seq-len; the rest of the window is the prompt)"},
			&cli.Float64Flag{Name: "on-policy-temperature", Value: 1, Usage: "with --on-policy: sampling temperature (0 = greedy)"},
			&cli.StringFlag{Name: "qad", Usage: "quantization-aware distillation: train on the weights fake-quantized as this export type (q4_0, q4_k_m, int4-g32, ...) and export the same type"},
			&cli.IntFlag{Name: "qad-steps", Usage: "with --qad: fake-quantize only the last N steps (fine-tune the trained fp32 student as its export, at the schedule's tail learning rate; 0 = the whole run)"},
			&cli.StringFlag{Name: "hidden-pairs", Usage: "student:teacher layer pairs, e.g. 0:1,1:3 (default: each student layer with the teacher layer it came from)"},
			// Outputs and limits.
			&cli.StringFlag{Name: "metrics", Usage: "per-step metrics JSONL (default OUT/metrics.jsonl)"},
			&cli.IntFlag{Name: "checkpoint-every", Value: 500, Usage: "checkpoint every N steps (and at the end)"},
			&cli.BoolFlag{Name: "json", Usage: "print the result (steps, last step's metrics, paths) as JSON"},
			&cli.StringFlag{Name: "memory-limit", Usage: "refuse to train when the estimated memory exceeds this, e.g. 8GiB, 512MiB (default: the machine's or cgroup's memory)"},
		),
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "TEACHER"); err != nil {
				return err
			}
			return runTrain(e, c)
		},
	}
}

// dataFlags are the flags train and teach share to read a training set.
func dataFlags() []cli.Flag {
	return append(corpusFlags(),
		&cli.StringFlag{Name: "data", Required: true, Usage: "training text (text file, or JSONL with {\"text\": ...} per line)"},
		&cli.IntFlag{Name: "max-tokens", Usage: "use only the first N tokens of the data (0 = all)"},
		&cli.IntFlag{Name: "seq-len", Value: 256, Usage: "tokens per training window (at most the teacher's max_seq_len)"},
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the data order (and of random init)"},
	)
}

// flagJob is the student.Job that train and teach share, from the data
// flags: the recipe stages fill the same Job from a recipe.
func flagJob(e *env, c *cli.Context) (*student.Job, error) {
	ro, bos, err := corpusOptions(e, c)
	if err != nil {
		return nil, err
	}
	return &student.Job{Teacher: c.Args().First(), Data: corpus.Split{Train: c.String("data"), Read: ro, BOS: bos},
		MaxTokens: c.Int("max-tokens"), SeqLen: c.Int("seq-len"), Batch: c.Int("batch"), Seed: c.Uint64("seed")}, nil
}

// shapeFlags names the flag of each student.Shape setting.
var shapeFlags = map[string]string{"every_k": "--every-k", "layers": "--layers", "n_layers": "--n-layers", "dim": "--dim",
	"n_heads": "--heads", "n_kv_heads": "--kv-heads", "hidden_dim": "--hidden-dim"}

// shapeFlagErrors restates student.Resolve's errors in terms of the flags.
func shapeFlagErrors(err error) error {
	var se *student.ShapeError
	if !errors.As(err, &se) {
		return err
	}
	var out []error
	for _, e := range student.ShapeErrors(err) {
		setting, _, _ := strings.Cut(e.Setting, "[")
		if f, ok := shapeFlags[setting]; ok {
			out = append(out, fmt.Errorf("%s: %s", f, e.Msg))
		} else {
			out = append(out, e)
		}
	}
	return errors.Join(out...)
}

// parseBytes reads --memory-limit ("" is 0) as recipes write sizes.
func parseBytes(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := recipe.ParseByteSize(s)
	return int64(b), err
}

func parseLayers(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		l, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("--layers %q: want comma-separated layer indices", s)
		}
		out = append(out, l)
	}
	return out, nil
}

// trainOptions builds the trainer options from the flags.
func trainOptions(c *cli.Context) (student.Options, error) {
	div, err := student.ParseDivergence(c.String("divergence"))
	if err != nil {
		return student.Options{}, fmt.Errorf("--divergence: %w", err)
	}
	if a := c.Float64("alpha"); a < 0 || a > 1 {
		return student.Options{}, fmt.Errorf("--alpha %g outside [0, 1]", a)
	}
	op, err := onPolicyFlags(c)
	if err != nil {
		return student.Options{}, err
	}
	if q := c.String("qad"); q != "" {
		if _, err := student.QADMethod(q); err != nil {
			return student.Options{}, fmt.Errorf("--qad: %w", err)
		}
	}
	if n, steps := c.Int("qad-steps"), c.Int("steps"); c.IsSet("qad-steps") && (c.String("qad") == "" || n < 0 || n > steps) {
		return student.Options{}, fmt.Errorf("--qad-steps %d: want --qad and 0 <= N <= --steps %d", n, steps)
	}
	return student.Options{
		Loss: kernels.LossParams{Divergence: div, Temperature: float32(c.Float64("temperature")),
			Alpha: float32(c.Float64("alpha")), Beta: float32(c.Float64("beta"))},
		TopK:  c.Int("top-k"),
		Steps: c.Int("steps"), GradAccum: c.Int("grad-accum"),
		Schedule: student.Schedule{Kind: c.String("schedule"), LR: c.Float64("lr"), Warmup: c.Int("warmup"),
			Total: c.Int("steps"), MinRatio: c.Float64("min-lr-ratio")},
		WeightDecay: c.Float64("weight-decay"), GradClip: c.Float64("grad-clip"),
		Precision: c.String("precision"), CheckpointEvery: c.Int("checkpoint-every"),
		QAD: c.String("qad"), QADSteps: c.Int("qad-steps"), OnPolicy: op,
	}, nil
}

// onPolicyFlags reads --on-policy and its settings (nil: off).
func onPolicyFlags(c *cli.Context) (*student.OnPolicyOptions, error) {
	if !c.IsSet("on-policy") {
		return nil, nil
	}
	op := &student.OnPolicyOptions{Lambda: c.Float64("on-policy"), MaxNewTokens: c.Int("on-policy-tokens"), Temperature: c.Float64("on-policy-temperature")}
	// checkFlags has checked the ranges that need no other flag.
	switch seqLen := c.Int("seq-len"); {
	case op.MaxNewTokens > seqLen:
		return nil, fmt.Errorf("--on-policy-tokens %d is beyond --seq-len %d: samples continue prompts cut from the training windows", op.MaxNewTokens, seqLen)
	case c.String("soft-labels") != "":
		return nil, errors.New("--on-policy needs the online teacher: a soft-label cache cannot score the student's new samples; drop --soft-labels")
	}
	return op, nil
}

func runTrain(e *env, c *cli.Context) error {
	o, err := trainOptions(c)
	if err != nil {
		return err
	}
	limit, err := parseBytes(c.String("memory-limit"))
	if err != nil {
		return fmt.Errorf("--memory-limit: %w", err)
	}
	if limit == 0 {
		limit = sysmem.Limit() // the machine's (or the cgroup's) memory
	}
	layers, err := parseLayers(c.String("layers"))
	if err != nil {
		return err
	}
	if o.Hidden, err = hiddenOptions(c); err != nil {
		return err
	}
	if imp := c.String("importance"); imp != "activations" && imp != "weights" {
		return fmt.Errorf("--importance %q: want activations or weights", imp)
	}
	out := c.String("out")
	// --resume continues what --out holds; anything else asks for --force.
	if err := guardOutput("--out", out, c.Bool("force") || c.Bool("resume"), c.Args().First(), c.String("data"), c.String("soft-labels")); err != nil {
		if !c.Bool("resume") {
			err = fmt.Errorf("%w (or --resume to continue its checkpoint)", err)
		}
		return err
	}
	j, err := flagJob(e, c)
	if err != nil {
		return err
	}
	j.Shape = student.Shape{EveryK: c.Int("every-k"), Layers: layers, NLayers: c.Int("n-layers"), Dim: c.Int("dim"),
		NHeads: c.Int("heads"), NKVHeads: c.Int("kv-heads"), HiddenDim: c.Int("hidden-dim"), Init: c.String("init")}
	j.WeightImportance, j.CalibrationBatches = c.String("importance") == "weights", c.Int("calibration-batches")
	j.Options, j.SoftLabels, j.MemoryLimit = o, c.String("soft-labels"), limit
	j.Out, j.Metrics, j.Resume = out, c.String("metrics"), c.Bool("resume")
	j.StudentTokenizer = c.String("student-tokenizer")
	if j.SoftLabels != "" && !j.UsesCache() {
		return errors.New("--soft-labels: the cache replaces the teacher's run, so it needs --alpha > 0 and no --hidden-loss")
	}
	if j.Resume {
		if _, err := student.CheckpointStep(out); err != nil {
			return fmt.Errorf("--resume: no checkpoint in %s (%w); drop --resume to start afresh", out, err)
		}
	}
	b, err := openBackend(e)
	if err != nil {
		return err
	}
	s, err := j.Open(b) // refuses (the breakdown in the message) before loading weights
	if err != nil {
		return shapeFlagErrors(err)
	}
	defer s.Close()
	fmt.Fprintf(e.stderr, "student: %d layers (teacher layers %v), dim %d, %s parameters (teacher %s)\nestimated memory:\n%s",
		s.Student.NLayers, s.Layers, s.Student.Dim, units.Count(int64(s.Student.NumParams())), units.Count(int64(s.Teacher.Config.NumParams())), s.Memory)
	tr, err := s.Trainer()
	if err != nil {
		return err
	}
	if j.Resume {
		fmt.Fprintf(e.stderr, "resuming %s at step %d of %d\n", out, tr.Step, o.Steps)
	}
	if note := tr.QADNote(); note != "" {
		fmt.Fprintln(e.stderr, note)
	}

	perStep := int64(j.Batch * j.SeqLen * tr.Opts.GradAccum)
	bar := progress.New(int64(o.Steps)*perStep, "train", progress.Options{Writer: e.stderr, Mode: e.progress, Unit: "tok"})
	bar.Set(int64(tr.Step) * perStep)
	var last student.Metrics
	tr.Opts.OnStep = func(m student.Metrics) {
		last = m
		bar.SetFields(progress.F("step", "%d", m.Step), progress.F("loss", "%.4f", m.Loss), progress.F("lr", "%.2e", m.LR),
			progress.F("scale", "%g", m.LossScale), progress.F("skipped", "%d", m.SkippedAll))
		bar.Set(int64(m.Step) * perStep)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := tr.Run(ctx); err != nil {
		bar.Stop()
		if ctx.Err() != nil {
			// Run stops between steps, so the trainer is consistent: save
			// it, and a resumed run loses nothing.
			if err := tr.Save(out); err != nil {
				return fmt.Errorf("interrupted at step %d, and saving failed: %w", tr.Step, err)
			}
			return fmt.Errorf("interrupted: checkpoint of step %d saved in %s; continue with --resume", tr.Step, out)
		}
		return err
	}
	bar.Finish()
	if c.Bool("json") {
		return writeJSON(e.stdout, trainReport{Steps: tr.Step, Skipped: tr.Skipped, Tokens: tr.Tokens, Last: last, Out: out, Metrics: j.MetricsPath()})
	}
	fmt.Fprintf(e.stdout, "trained %d steps (%d skipped), final loss %.4f, %s tokens; student in %s, metrics in %s\n",
		tr.Step, tr.Skipped, last.Loss, units.Count(tr.Tokens), out, j.MetricsPath())
	return nil
}

// trainReport is train's --json output.
type trainReport struct {
	Steps   int             `json:"steps"`
	Skipped int             `json:"skipped"`
	Tokens  int64           `json:"tokens"`
	Last    student.Metrics `json:"last_step"`
	Out     string          `json:"out"`
	Metrics string          `json:"metrics"`
}

// hiddenOptions reads the hidden-state loss flags; without --hidden-pairs
// the job pairs each student layer with the teacher layer it came from.
func hiddenOptions(c *cli.Context) (*student.HiddenOptions, error) {
	if c.String("hidden-loss") == "none" {
		return nil, nil
	}
	kind, err := student.ParseHiddenLoss(c.String("hidden-loss"))
	if err != nil {
		return nil, fmt.Errorf("--hidden-loss: %w (or none)", err)
	}
	h := &student.HiddenOptions{Kind: kind, Weight: c.Float64("hidden-weight")}
	if s := c.String("hidden-pairs"); s != "" {
		for _, f := range strings.Split(s, ",") {
			a, b, ok := strings.Cut(strings.TrimSpace(f), ":")
			sl, err1 := strconv.Atoi(a)
			tl, err2 := strconv.Atoi(b)
			if !ok || err1 != nil || err2 != nil {
				return nil, fmt.Errorf("--hidden-pairs %q: want student:teacher layer pairs such as 0:1,1:3", s)
			}
			h.Pairs = append(h.Pairs, [2]int{sl, tl})
		}
	}
	return h, nil
}
