package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/checkpoint/llama2c"
	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/quant"
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
	res, err := train(c, log)
	if err != nil {
		err = fmt.Errorf("trainteacher: %w", err)
	}
	return res, err
}

func train(c *Config, log io.Writer) (Result, error) {
	var res Result
	trainDocs, err := c.documents(c.Train)
	if err != nil {
		return res, err
	}
	validDocs, err := c.documents(c.Validation)
	if err != nil {
		return res, err
	}
	tok, err := c.tokenizer(trainDocs)
	if err != nil {
		return res, err
	}
	cfg, err := c.ModelConfig(tok.VocabSize())
	if err != nil {
		return res, err
	}
	o, err := c.Options()
	if err != nil {
		return res, err
	}
	trainIDs := stream(tok, trainDocs)
	valid := stream(tok, validDocs)
	t := c.Training
	b := cpu.New(t.Threads)
	data, err := corpus.NewSampler(trainIDs.IDs, t.SeqLen, t.BatchSize, t.Seed)
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
		return res, fmt.Errorf("validation: %w", err)
	}
	res.ValidPPL = pp.PPL
	out, err := c.Path(c.Output)
	if err != nil {
		return res, fmt.Errorf("output: %w", err)
	}
	if err := write(out, cfg, b, master.Views, tok); err != nil {
		return res, err
	}
	fmt.Fprintf(log, "wrote %s: train loss %.4f (last %d steps), validation ppl %.3f, %.0f s\n",
		out, res.TrainLoss, len(last), res.ValidPPL, res.Seconds)
	return res, nil
}

// documents reads the documents of every file of texts, in order.
func (c *Config) documents(texts []Text) ([]string, error) {
	var docs []string
	for _, t := range texts {
		path, err := c.Path(t.Path)
		if err != nil {
			return nil, err
		}
		d, err := corpus.Read(path, corpus.ReadOptions{Separator: t.Separator})
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

// tokenizer loads c's tokenizer.bin or learns a BPE vocabulary from docs.
func (c *Config) tokenizer(docs []string) (tokenizer.Tokenizer, error) {
	if c.Tokenizer.BPEVocab == 0 {
		path, err := c.Path(c.Tokenizer.Path)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
		return tokenizer.Load(path)
	}
	v, err := tokenizer.TrainBPE(docs, c.Tokenizer.BPEVocab)
	if err != nil {
		return nil, err
	}
	return tokenizer.FromVocab("bpe", v)
}

// stream tokenises docs with a BOS before each, as llama2.c's teachers
// were trained.
func stream(tok tokenizer.Tokenizer, docs []string) corpus.Stream {
	b := corpus.NewBuilder(tok, corpus.BOSDocument)
	for _, d := range docs {
		b.Add(d)
	}
	return b.Stream()
}

// write stores the weights: a llama2.c checkpoint, or, for a .gguf path, an
// F16 GGUF (llama.cpp's "mostly F16": norms stay F32) with the tokenizer,
// checked by reloading it (quant.ExportGGUF).
func write(path string, cfg model.Config, b kernels.Backend, views map[string]kernels.Tensor, tok tokenizer.Tokenizer) error {
	if !strings.HasSuffix(path, ".gguf") {
		weights := map[string][]float32{}
		for _, s := range cfg.Params() {
			weights[s.Name] = b.ToFloat32(views[s.Name], nil)
		}
		h, err := checkpoint.Llama2CHeader(cfg)
		if err != nil {
			return err
		}
		return llama2c.Write(path, h, weights)
	}
	src := &model.MapSource{Name: "trained weights"}
	for _, s := range cfg.Params() {
		src.Add(model.HostTensor{Name: s.Name, DType: kernels.F32, Shape: s.Shape, Data: b.ReadBytes(views[s.Name])})
	}
	m, err := quant.ParseMethod("f16")
	if err != nil {
		return err
	}
	_, q, err := quant.Apply(cfg, src, m, quant.Options{})
	if err != nil {
		return err
	}
	_, err = quant.ExportGGUF(path, cfg, q, tok, b, checkpoint.GGUFOptions{Name: strings.TrimSuffix(filepath.Base(path), ".gguf"), FileType: "f16"})
	return err
}
