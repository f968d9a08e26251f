package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/checkpoint/llama2c"
	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/student"
	"github.com/distill-dev/distill/tokenizer"
)

// Result summarises a training run.
type Result struct {
	Params    int
	TrainLoss float64 // mean of the last 20 steps' losses
	ValidPPL  float64 // on validation, windows of seq_len tokens
	Seconds   float64
}

// Train trains the teacher c describes, writes c.Output atomically and
// logs progress to log.
func Train(c *Config, log io.Writer) (Result, error) {
	var res Result
	tok, err := tokenizer.Load(c.Path(c.Tokenizer))
	if err != nil {
		return res, fmt.Errorf("quickstartteacher: %w", err)
	}
	cfg, err := c.ModelConfig(tok.VocabSize())
	if err != nil {
		return res, fmt.Errorf("quickstartteacher: %w", err)
	}
	o, err := c.Options()
	if err != nil {
		return res, fmt.Errorf("quickstartteacher: %w", err)
	}
	train, err := corpus.TokenizeFile(c.Path(c.Train), corpus.ReadOptions{}, tok, corpus.BOSDocument)
	if err != nil {
		return res, fmt.Errorf("quickstartteacher: %w", err)
	}
	valid, err := corpus.TokenizeFile(c.Path(c.Validation), corpus.ReadOptions{}, tok, corpus.BOSDocument)
	if err != nil {
		return res, fmt.Errorf("quickstartteacher: %w", err)
	}
	t := c.Training
	b := cpu.New(t.Threads)
	data, err := corpus.NewSampler(train.IDs, t.SeqLen, t.BatchSize, t.Seed)
	if err != nil {
		return res, err
	}
	master, err := student.Build(b, cfg, nil, nil, student.InitRandom, t.Seed)
	if err != nil {
		return res, err
	}
	res.Params = cfg.NumParams()
	fmt.Fprintf(log, "teacher %s: %d parameters, %d training tokens (%d windows of %d)\n",
		cfg, res.Params, len(data.Tokens()), data.Windows(), t.SeqLen)
	var last []float64
	start := time.Now()
	o.OnStep = func(m student.Metrics) {
		if last = append(last, m.Loss); len(last) > 20 {
			last = last[1:]
		}
		if m.Step%50 == 0 || m.Step == o.Steps {
			fmt.Fprintf(log, "step %4d/%d loss %.4f lr %.3g grad %.3f %.0f tok/s %s\n",
				m.Step, o.Steps, m.Loss, m.LR, m.GradNorm, m.TokPerSec, time.Since(start).Round(time.Second))
		}
	}
	tr, err := student.NewTrainer(b, nil, master, data, o)
	if err != nil {
		return res, err
	}
	if err := tr.Run(context.Background()); err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	for _, l := range last {
		res.TrainLoss += l / float64(len(last))
	}
	pp, err := eval.Perplexity(tr.Student, valid, eval.Options{Context: t.SeqLen})
	if err != nil {
		return res, fmt.Errorf("quickstartteacher: validation: %w", err)
	}
	res.ValidPPL = pp.PPL
	weights := map[string][]float32{}
	for _, s := range cfg.Params() {
		weights[s.Name] = b.ToFloat32(master.Views[s.Name], nil)
	}
	h, err := checkpoint.Llama2CHeader(cfg)
	if err != nil {
		return res, fmt.Errorf("quickstartteacher: %w", err)
	}
	if err := llama2c.Write(c.Path(c.Output), h, weights); err != nil {
		return res, fmt.Errorf("quickstartteacher: %w", err)
	}
	fmt.Fprintf(log, "wrote %s: train loss %.4f (last %d steps), validation ppl %.3f, %.0f s\n",
		c.Path(c.Output), res.TrainLoss, len(last), res.ValidPPL, res.Seconds)
	return res, nil
}
