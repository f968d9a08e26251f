package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/internal/benchstat"
	"github.com/distill-dev/distill/internal/cputime"
	"github.com/distill-dev/distill/internal/sysmem"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/student"
)

// result is one measurement, as the measuring process prints it (JSON).
type result struct {
	Kind     string  `json:"kind"`
	LoadS    float64 `json:"load_s"`        // checkpoint.Load (forward) or Job.Open (teach, kd: also tokenising and hashing)
	RSSLoad  int64   `json:"rss_load"`      // VmRSS after loading
	FileLoad int64   `json:"rss_file_load"` // of which mapped file pages (RssFile)
	TokPerS  float64 `json:"tok_s"`
	GFLOPs   float64 `json:"gflop_s,omitempty"` // forward only
	// GFLOPCPU is GFLOP per CPU-second (user + system, all threads) of
	// the forward: on a shared machine, what compares between programs.
	GFLOPCPU  float64 `json:"gflop_per_cpu_s,omitempty"`
	Tokens    int     `json:"tokens"`
	Peak      int64   `json:"peak"`      // VmHWM at the end
	PeakAnon  int64   `json:"peak_anon"` // the highest RssAnon sampled (every 20 ms)
	Estimate  int64   `json:"estimate"`  // distill's memory estimate (KD: the job's; the driver fills the others)
	Breakdown string  `json:"breakdown"`
}

// measureMain runs one measurement of the model in dir and prints it.
func measureMain(kind, dir string, o options) error {
	var r result
	var err error
	stop := sysmem.WatchPeak("RssAnon")
	switch kind {
	case "forward":
		r, err = measureForward(dir, o)
	case "teach", "kd":
		r, err = measureJob(kind, dir, o)
	default:
		err = fmt.Errorf("unknown measurement %q (forward, teach, kd)", kind)
	}
	if err != nil {
		return err
	}
	r.Kind = kind
	st, err := sysmem.Status()
	if err != nil {
		return err
	}
	r.Peak, r.PeakAnon = st["VmHWM"], stop()
	return json.NewEncoder(os.Stdout).Encode(r)
}

// afterLoad records the resident memory after loading.
func (r *result) afterLoad(t0 time.Time) {
	r.LoadS = time.Since(t0).Seconds()
	if st, err := sysmem.Status(); err == nil {
		r.RSSLoad, r.FileLoad = st["VmRSS"], st["RssFile"]
	}
}

// backend is the CPU backend of a measurement.
func (o options) backend() kernels.Backend {
	return cpu.NewWith(cpu.Options{Threads: o.threads, BF16Compute: o.bf16Matmul})
}

// measureForward loads the model and times forward passes of batch x seq
// tokens (one warm-up, then reps; the median).
func measureForward(dir string, o options) (result, error) {
	var r result
	t0 := time.Now()
	l, err := checkpoint.Load(dir, o.backend(), checkpoint.LoadOptions{NoTokenizer: true})
	if err != nil {
		return r, err
	}
	defer l.Close()
	r.afterLoad(t0)
	m := l.Model
	B, T := o.batch, o.seq
	ids := make([]int32, B*T)
	for i := range ids {
		ids[i] = int32((i * 7919) % m.VocabSize())
	}
	var secs, cpus []float64
	for i := range o.reps + 1 {
		if i == 1 && o.cpuProfile != "" {
			f, err := os.Create(o.cpuProfile)
			if err != nil {
				return r, err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return r, err
			}
			defer pprof.StopCPUProfile()
		}
		t, c := time.Now(), cputime.Process().Seconds()
		m.Forward(ids, B, T, nil)
		m.Backend.Sync()
		if i > 0 {
			secs = append(secs, time.Since(t).Seconds())
			cpus = append(cpus, cputime.Process().Seconds()-c)
		}
	}
	s := benchstat.Median(secs)
	r.Tokens = B * T * o.reps
	r.TokPerS = float64(B*T) / s
	r.GFLOPs = m.Config.ForwardFLOPs(B, T) / s / 1e9
	if c := benchstat.Median(cpus); c > 0 {
		r.GFLOPCPU = m.Config.ForwardFLOPs(B, T) / c / 1e9
	}
	return r, nil
}

// measureJob runs `distill teach` (top-k 64) or a half-depth KD student
// (online teacher, forward KL) through student.Job, the path of the
// commands and recipes.
func measureJob(kind, dir string, o options) (result, error) {
	var r result
	scratch, err := os.MkdirTemp(filepath.Dir(dir), "scratch-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(scratch)
	info, err := checkpoint.Inspect(dir)
	if err != nil {
		return r, err
	}
	j := &student.Job{Teacher: dir, Data: corpus.Split{Train: o.data}, SeqLen: o.seq, Batch: o.batch, Seed: 1,
		Options: student.Options{Loss: kernels.LossParams{Divergence: kernels.ForwardKL, Temperature: 1, Alpha: 1}}}
	if kind == "teach" {
		j.MaxTokens = o.teachTokens + 1
		j.SoftLabels, j.Options.TopK = filepath.Join(scratch, "cache"), 64
	} else {
		j.MaxTokens = (o.kdSteps + 1) * o.batch * (o.seq + 1)
		j.Shape = student.Shape{NLayers: info.Config.NLayers / 2, Init: student.InitTeacherLayers}
		j.Options.Steps = o.kdSteps
		j.Options.Schedule = student.Schedule{Kind: "constant", LR: 1e-4}
		j.Out = filepath.Join(scratch, "student")
	}
	t0 := time.Now()
	s, err := j.Open(o.backend())
	if err != nil {
		return r, err
	}
	defer s.Close()
	r.afterLoad(t0)
	r.Estimate, r.Breakdown = s.Memory.Total(), s.Memory.String()
	if kind == "teach" {
		t := time.Now()
		m, err := s.Teach(context.Background(), nil)
		if err != nil {
			return r, err
		}
		r.Tokens = m.Windows * o.seq
		r.TokPerS = float64(r.Tokens) / time.Since(t).Seconds()
		return r, nil
	}
	tr, err := s.Trainer()
	if err != nil {
		return r, err
	}
	var tps []float64
	for i := range o.kdSteps {
		m, err := tr.TrainStep()
		if err != nil {
			return r, err
		}
		if i > 0 || o.kdSteps == 1 {
			tps = append(tps, m.TokPerSec)
		}
		r.Tokens += o.batch * o.seq
	}
	r.TokPerS = benchstat.Median(tps)
	return r, nil
}
