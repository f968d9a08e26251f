package student

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// Job is one distillation job: what `distill train` and `distill teach`
// and the recipe's teach and train stages run. The command line and the
// recipe each only fill a Job (thin adapters) and call Open, then Teach or
// Trainer, so the two doors read the data, name the teacher, choose the
// soft-label source, estimate memory, count calibration batches, resume
// and write metrics the same way: the same seed and options through either
// door give the same student, bit for bit.
type Job struct {
	Teacher   string // checkpoint: llama2.c .bin, HF folder or .gguf
	Tokenizer string // tokenizer file or folder; "": the one beside the checkpoint
	// StudentTokenizer is the tokenizer the student is meant to use, when
	// one is named: it must be the teacher's (checkStudentTokenizer).
	StudentTokenizer string

	Data      corpus.Split // the training text (and the validation text, if any)
	MaxTokens int          // keep only the first MaxTokens training tokens (0: all)
	SeqLen    int          // tokens per window
	Batch     int          // windows per micro-batch (and per teacher pass in Teach)
	Seed      uint64       // data order and random init; importance calibration uses Seed+1

	Shape Shape
	// WeightImportance ranks heads and channels by weight norms instead of
	// activation norms on CalibrationBatches batches (Shape.Init
	// InitImportance only).
	WeightImportance   bool
	CalibrationBatches int // default DefaultCalibrationBatches

	// Options are the trainer's. Options.TopK is the teacher's top-k: of
	// the cache (Teach writes it, Trainer requires it; 0 accepts any) or,
	// online, taken on the device (0: the full distribution). A nil
	// Options.Hidden.Pairs pairs each student layer with the teacher layer
	// it came from. Cache, TokenVocab, Metrics and CheckpointDir are set by
	// the job.
	Options Options

	// SoftLabels is the soft-label cache folder: Teach writes it, Trainer
	// reads the teacher's labels from it instead of running the teacher,
	// unless the teacher must run anyway (a hidden-state loss: its top-k is
	// then taken on the device) or is not used at all (alpha 0).
	SoftLabels   string
	ShardWindows int // windows per cache shard; 0: about 64 MiB per shard
	// Part makes Teach write only this part of the cache (distill teach
	// --shard i/n, one process of several; see Part); nil: all of it.
	Part *Part

	MemoryLimit int64 // refuse to train above this estimate in bytes; 0: no limit

	Out     string // checkpoint folder: the student, its tokenizer and optimizer state
	Metrics string // per-step metrics JSONL; "": Out/metrics.jsonl
	// Resume continues from the checkpoint in Out (there must be one),
	// first dropping the metric lines written after it, so that a stopped
	// job ends with the same weights and metrics as one never stopped.
	Resume bool

	// HashFile hashes one input file for the teacher's identity (HashFile
	// when nil; the pipeline passes its cached hasher).
	HashFile func(path string) (string, error)
}

// DefaultCalibrationBatches is the number of training batches activation
// importance measures by default.
const DefaultCalibrationBatches = 8

// shardBytes is the target size of one soft-label shard.
const shardBytes = 64 << 20

// Session is an open Job: its teacher loaded, its data tokenised.
type Session struct {
	Job      *Job
	Backend  kernels.Backend
	Teacher  *checkpoint.Loaded
	Train    corpus.Stream // what the sampler and the soft-label cache cut into windows
	Valid    corpus.Stream // empty when the job names no validation text
	Identity Manifest      // the teacher's and tokenizer's hashes (TeacherIdentity)
	Student  model.Config  // the student's config (Resolve)
	Layers   []int         // the teacher layer each student layer comes from
	Memory   Memory        // the estimate checked against MemoryLimit

	closers []io.Closer
}

// UsesCache reports whether training reads the soft-label cache (and so
// whether Teach must write it first).
func (j *Job) UsesCache() bool {
	return j.SoftLabels != "" && j.Options.Hidden == nil && j.Options.Loss.Alpha > 0
}

// Estimate resolves the student against the teacher's header (no weights
// are loaded) and estimates the training memory (EstimateMemory), with the
// teacher stored at the checkpoint's bytes per parameter.
func (j *Job) Estimate() (Memory, model.Config, []int, error) {
	info, err := checkpoint.Inspect(j.Teacher)
	if err != nil {
		return Memory{}, model.Config{}, nil, err
	}
	cfg, layers, err := Resolve(info.Config, j.Shape)
	if err != nil {
		return Memory{}, model.Config{}, nil, err
	}
	o := j.trainerOptions(layers)
	var tc *model.Config
	if o.Loss.Alpha > 0 && !j.UsesCache() {
		tc = &info.Config // the teacher runs
	}
	m := EstimateMemory(tc, TeacherBytesPerParam(info), cfg, o, j.Batch, j.SeqLen)
	if tc == nil { // Open loads (maps) the teacher even when it does not run
		m.Teacher = int64(TeacherBytesPerParam(info) * float64(info.NumParams))
	}
	return m, cfg, layers, nil
}

// TeacherBytesPerParam is the memory a loaded checkpoint takes per
// parameter: its stored bytes (used in place, memory-mapped), the bytes
// loading copies (Info.HostBytes), and the panels the CPU backend repacks
// Q8_0, Q4_0, Q4_K, Q5_K and Q6_K matrices into.
func TeacherBytesPerParam(info *checkpoint.Info) float64 {
	b := info.TotalBytes + info.HostBytes
	for _, t := range info.Tensors {
		// The CPU backend keeps a repacked copy of these beside the
		// mapped file (kernels/cpu panels.go); counted wherever the
		// machine's CPU would make one (an over-count under
		// --no-repack or on another device: the estimate refuses
		// runs, so it errs high).
		if t.Supported && qblock.PanelKernel(t.DType) && len(t.Shape) > 0 {
			rows, k := 1, t.Shape[len(t.Shape)-1] // the row length, innermost
			for _, d := range t.Shape[:len(t.Shape)-1] {
				rows *= d
			}
			b += int64(qblock.PanelBytes(t.DType, rows, k))
		}
	}
	return float64(b) / float64(max(info.NumParams, 1))
}

// trainerOptions are Options with the job's defaults: hidden pairs from
// the kept layers, and no online top-k when the cache supplies labels.
func (j *Job) trainerOptions(layers []int) Options {
	o := j.Options
	if h := o.Hidden; h != nil && h.Pairs == nil {
		hh := *h
		for i, l := range layers {
			hh.Pairs = append(hh.Pairs, [2]int{i, l})
		}
		o.Hidden = &hh
	}
	if j.UsesCache() {
		o.TopK = 0
	}
	return o
}

// Open checks the memory estimate (refusing costs nothing: no weights are
// loaded yet), then loads the teacher onto b with its tokenizer, tokenises
// the data and hashes the teacher.
func (j *Job) Open(b kernels.Backend) (*Session, error) {
	if j.SeqLen < 1 || j.Batch < 1 {
		return nil, fmt.Errorf("student: job: seq_len %d and batch %d must be >= 1", j.SeqLen, j.Batch)
	}
	mem, cfg, layers, err := j.Estimate()
	if err != nil {
		return nil, err
	}
	if err := mem.Check(j.MemoryLimit); err != nil {
		return nil, err
	}
	if err := j.checkStudentTokenizer(); err != nil {
		return nil, err
	}
	t, err := checkpoint.Load(j.Teacher, b, checkpoint.LoadOptions{Tokenizer: j.Tokenizer})
	if err != nil {
		return nil, err
	}
	s := &Session{Job: j, Backend: b, Teacher: t, Student: cfg, Layers: layers, Memory: mem, closers: []io.Closer{t}}
	if err := s.open(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Session) open() error {
	j, t := s.Job, s.Teacher
	if t.Tokenizer == nil {
		return fmt.Errorf("student: %s: no tokenizer found beside the checkpoint (the data are tokenised with the teacher's)", j.Teacher)
	}
	if j.SeqLen > t.Config.MaxSeqLen {
		return fmt.Errorf("student: seq_len %d exceeds the teacher's max_seq_len %d", j.SeqLen, t.Config.MaxSeqLen)
	}
	var err error
	if s.Train, s.Valid, err = j.Data.Streams(t.Tokenizer); err != nil {
		return fmt.Errorf("student: data: %w", err)
	}
	if n := j.MaxTokens; n > 0 && n < s.Train.Len() {
		s.Train = s.Train.Limit(n)
	}
	s.Identity, err = TeacherIdentity(j.Teacher, t.Tokenizer, j.HashFile)
	return err
}

// Close releases the teacher and whatever the trainer opened.
func (s *Session) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i].Close())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// cacheManifest is what the job's soft-label cache must match.
func (s *Session) cacheManifest() Manifest {
	j := s.Job
	m := s.Identity
	m.K, m.SeqLen, m.Temperature = j.Options.TopK, j.SeqLen, j.Options.Loss.Temperature
	m.TokensHash = HashTokens(s.Train.IDs)
	return m
}

// TeachManifest is the manifest Teach writes (before its shards): it tells
// whether a folder already holds this job's cache (CacheMismatch).
func (s *Session) TeachManifest() Manifest {
	j := s.Job
	m := s.cacheManifest()
	m.TokensHash = "" // Teach fills it in
	m.ShardWindows = j.ShardWindows
	m.Part = j.Part
	if m.ShardWindows == 0 && j.SeqLen > 0 && m.K > 0 {
		m.ShardWindows = max(1, shardBytes/(j.SeqLen*m.K*6))
	}
	return m
}

// Teach writes the job's soft-label cache to SoftLabels: the teacher's
// top-Options.TopK log-probabilities at Options.Loss.Temperature for every
// window of the training stream; it resumes after the last finished shard
// and keeps a finished cache of the same inputs (see TeachProgress).
func (s *Session) Teach(ctx context.Context, onShard func(done, total int)) (*Manifest, error) {
	if s.Job.SoftLabels == "" {
		return nil, errors.New("student: teach: no soft-label folder given")
	}
	return TeachProgress(ctx, s.Job.SoftLabels, s.Teacher.Model, s.Train.IDs, s.Job.Batch, s.TeachManifest(), onShard)
}

// Trainer builds the student (or resumes it from the checkpoint in Out),
// opens the soft-label cache when training reads it, writes the teacher's
// tokenizer beside the checkpoint (so it loads on its own) and opens the
// metrics file. Set OnStep on the returned trainer's Opts, then Run it.
func (s *Session) Trainer() (*Trainer, error) {
	j, b, t := s.Job, s.Backend, s.Teacher
	o := j.trainerOptions(s.Layers)
	o.TokenVocab, o.TokenizerHash = t.Tokenizer.VocabSize(), s.Identity.TokenizerHash
	o.CheckpointDir = j.Out
	data, err := corpus.NewSampler(s.Train.IDs, j.SeqLen, j.Batch, j.Seed)
	if err != nil {
		return nil, fmt.Errorf("student: training data: %w", err)
	}
	if j.UsesCache() {
		cache, err := OpenSoftLabels(j.SoftLabels, s.cacheManifest())
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, cache)
		o.Cache = cache
	}
	metrics := j.MetricsPath()
	var tr *Trainer
	if j.Resume {
		step, err := CheckpointStep(j.Out)
		if err != nil {
			return nil, fmt.Errorf("student: resume: no checkpoint in %s: %w", j.Out, err)
		}
		if err := trimMetrics(metrics, step); err != nil {
			return nil, err
		}
		if tr, err = Resume(j.Out, b, t.Model, data, o); err != nil {
			return nil, err
		}
	} else {
		master, err := s.build(data)
		if err != nil {
			return nil, err
		}
		if tr, err = NewTrainer(b, t.Model, master, data, o); err != nil {
			return nil, err
		}
		if err := os.Remove(metrics); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("student: metrics: %w", err)
		}
	}
	if err := os.MkdirAll(j.Out, 0o755); err != nil {
		return nil, fmt.Errorf("student: %w", err)
	}
	if err := writeTokenizer(j.Out, t.Tokenizer); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(metrics), 0o755); err != nil {
		return nil, fmt.Errorf("student: metrics: %w", err)
	}
	mf, err := os.OpenFile(metrics, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("student: metrics: %w", err)
	}
	s.closers = append(s.closers, mf)
	tr.Opts.Metrics = mf
	return tr, nil
}

// MetricsPath is where the job writes its per-step metrics.
func (j *Job) MetricsPath() string {
	if j.Metrics != "" {
		return j.Metrics
	}
	return filepath.Join(j.Out, "metrics.jsonl")
}

// build initialises the student's master weights as Shape.Init says;
// activation importance scores heads and channels on CalibrationBatches
// batches of a sampler of its own (seed Seed+1), so the training order is
// unchanged.
func (s *Session) build(data *corpus.Sampler) (*model.ParamBlock, error) {
	j, b, t := s.Job, s.Backend, s.Teacher.Model
	if j.Shape.Init == InitImportance && !j.WeightImportance {
		calib, err := corpus.NewSampler(data.Tokens(), j.SeqLen, j.Batch, j.Seed+1)
		if err != nil {
			return nil, err
		}
		n := j.CalibrationBatches
		if n == 0 {
			n = DefaultCalibrationBatches
		}
		return BuildImportance(b, s.Student, t, s.Layers, calib, n)
	}
	return Build(b, s.Student, t, s.Layers, j.Shape.Init, j.Seed)
}

// CheckpointStep reads the optimizer step of the checkpoint in dir.
func CheckpointStep(dir string) (int, error) {
	js, err := os.ReadFile(filepath.Join(dir, FileState))
	if err != nil {
		return 0, err
	}
	var st trainerState
	if err := json.Unmarshal(js, &st); err != nil {
		return 0, fmt.Errorf("%s: %w", filepath.Join(dir, FileState), err)
	}
	return st.Step, nil
}

// trimMetrics rewrites the metrics file keeping the complete lines of steps
// up to step (lines without a step are dropped too): those after the
// checkpoint are written again when training repeats them.
func trimMetrics(path string, step int) error {
	rows, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("student: metrics: %w", err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		for _, line := range bytes.Split(rows, []byte("\n")) {
			var s struct {
				Step *int `json:"step"`
			}
			if json.Unmarshal(line, &s) != nil || s.Step == nil || *s.Step > step {
				continue // a torn line, or a step training repeats
			}
			if _, err := w.Write(append(line, '\n')); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeTokenizer saves the teacher's tokenizer beside the student, so that
// the checkpoint loads (distill eval, generate) on its own.
func writeTokenizer(dir string, t tokenizer.Tokenizer) error {
	v := tokenizer.VocabOf(t)
	if v == nil {
		return errors.New("student: the teacher's tokenizer cannot be exported")
	}
	return atomicfile.Write(filepath.Join(dir, "tokenizer.json"), func(w io.Writer) error {
		return tokenizer.WriteHFTokenizerJSON(w, v)
	})
}
