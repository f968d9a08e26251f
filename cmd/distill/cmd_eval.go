package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/internal/units"
)

func init() { register(evalCommand) }

func evalCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "eval",
		Usage:     "perplexity on a text or JSONL file; with --compare, top-1 agreement and KL against a reference model",
		ArgsUsage: "MODEL",
		Flags: append(corpusFlags(),
			&cli.StringFlag{Name: "data", Required: true, Usage: "evaluation text: a text file, or JSONL with one {\"text\": ...} per line"},
			&cli.IntFlag{Name: "context", Usage: "tokens the model sees per window (0 = the model's maximum sequence length)"},
			&cli.IntFlag{Name: "stride", Usage: "window stride in tokens, 1..context (0 = context: disjoint windows)"},
			&cli.IntFlag{Name: "batch", Usage: "windows per forward pass (0 = automatic)"},
			&cli.IntFlag{Name: "limit", Usage: "evaluate only the first N tokens of the stream (0 = all)"},
			&cli.StringFlag{Name: "tokenizer", Usage: "tokenizer file or folder to use instead of the model's own; refused unless it fits the model (the same tokens as an embedded one)"},
			&cli.StringFlag{Name: "compare", Usage: "reference model P (e.g. the teacher): adds top-1 agreement and KL(P||MODEL)"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
		),
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "MODEL"); err != nil {
				return err
			}
			return runEval(e, c)
		},
	}
}

type modelSummary struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Params int64  `json:"params"`
}

func summarize(m *loadedModel) modelSummary { return modelSummary{m.Path, m.Format, m.Params} }

type evalReport struct {
	Model       modelSummary  `json:"model"`
	Reference   *modelSummary `json:"reference,omitempty"`
	Data        dataSummary   `json:"data"`
	Definitions []string      `json:"definitions"`
	Result      eval.Result   `json:"result"`
	// Comparison against the reference (--compare): P is the reference,
	// Q the model.
	Comparison *eval.Comparison `json:"comparison,omitempty"`
	Seconds    float64          `json:"seconds"`
	TokPerSec  float64          `json:"tokens_per_second"` // scored tokens per second (per model)
}

func runEval(e *env, c *cli.Context) error {
	ro, bos, err := corpusOptions(e, c)
	if err != nil {
		return err
	}
	if c.Int("limit") < 0 {
		return fmt.Errorf("--limit %d is negative", c.Int("limit"))
	}
	dataPath := c.String("data")
	m, err := e.models.load(c.Args().First(), c.String("tokenizer"), e)
	if err != nil {
		return err
	}
	defer m.close()
	stream, err := corpus.TokenizeFile(dataPath, ro, m.Tok, bos)
	if err != nil {
		return err
	}
	stream = stream.Limit(c.Int("limit"))
	rep := evalReport{Model: summarize(m), Data: summarizeData(dataPath, ro, bos, stream)}
	var ref *loadedModel
	if p := c.String("compare"); p != "" {
		if ref, err = e.models.load(p, "", e); err != nil {
			return err
		}
		defer ref.close()
		s := summarize(ref)
		rep.Reference = &s
		rs, err := corpus.TokenizeFile(dataPath, ro, ref.Tok, bos)
		if err != nil {
			return err
		}
		if rs.Len() < stream.Len() || !slices.Equal(rs.IDs[:stream.Len()], stream.IDs) {
			return fmt.Errorf("%s and %s tokenize %s differently: they cannot be compared token by token", m.Path, ref.Path, dataPath)
		}
	}
	bar := e.newBar(int64(stream.Targets()), "eval "+filepath.Base(m.Path), "tok")
	o := eval.Options{Context: c.Int("context"), Stride: c.Int("stride"), Batch: c.Int("batch"),
		Progress: func(done, _ int) { bar.Set(int64(done)) }}
	start := time.Now()
	if ref == nil {
		rep.Result, err = eval.Perplexity(m.LM, stream, o)
	} else {
		var cmp eval.Comparison
		cmp, err = eval.Compare(ref.LM, m.LM, stream, o)
		rep.Result, rep.Comparison = cmp.Q, &cmp
	}
	if err != nil {
		bar.Stop()
		return err
	}
	bar.Finish()
	rep.Seconds = time.Since(start).Seconds()
	rep.TokPerSec = float64(rep.Result.Tokens) / rep.Seconds
	rep.Definitions = eval.Definitions(bos, rep.Result.Context, rep.Result.Stride)
	if ref != nil {
		rep.Definitions = append(rep.Definitions, eval.CompareDefinitions()...)
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, rep)
	}
	return printEval(e, &rep)
}

func printEval(e *env, r *evalReport) error {
	w := e.stdout
	t := newTable(w)
	t.row("model\t%s\t(%s, %s parameters)", r.Model.Path, r.Model.Format, units.Count(r.Model.Params))
	if r.Reference != nil {
		t.row("reference\t%s\t(%s, %s parameters)", r.Reference.Path, r.Reference.Format, units.Count(r.Reference.Params))
	}
	t.row("data\t%s\t(%s, %s, %s with BOS=%s)", r.Data.Path, r.Data.Format, plural(r.Data.Documents, "document"), plural(r.Data.Tokens, "token"), r.Data.BOS)
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "definitions")
	for _, d := range r.Definitions {
		fmt.Fprintf(w, "  - %s\n", d)
	}
	fmt.Fprintln(w, "result")
	t = newTable(w)
	res := r.Result
	t.row("  scored tokens\t%d\t(%s of context %d, stride %d)", res.Tokens, plural(res.Windows, "window"), res.Context, res.Stride)
	if r.Comparison == nil {
		t.row("  NLL\t%.4f\tnats/token", res.NLL)
		t.row("  PPL\t%.4f", res.PPL)
	} else {
		p := r.Comparison.P
		t.row("  \tmodel\treference")
		t.row("  NLL\t%.4f\t%.4f\tnats/token", res.NLL, p.NLL)
		t.row("  PPL\t%.4f\t%.4f", res.PPL, p.PPL)
		t.row("  top-1 agreement\t%.4f", r.Comparison.Agreement)
		t.row("  KL(reference||model)\t%.5f\tnats/token", r.Comparison.KL)
		t.row("  KL(model||reference)\t%.5f\tnats/token", r.Comparison.ReverseKL)
	}
	t.row("  time\t%.2f s\t(%.0f tokens/s)", r.Seconds, r.TokPerSec)
	return t.flush()
}
