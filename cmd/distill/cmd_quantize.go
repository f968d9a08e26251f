package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/internal/units"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/quant"
)

func init() { register(quantizeCommand) }

func quantizeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "quantize",
		Usage: "quantize a model with one or more methods and report size, perplexity, KL and top-1 agreement against the unquantized model",
		Description: "Methods: " + strings.Join(quant.MethodNames, " ") + ".\n" +
			"GGUF methods (" + quant.FileMethods() + ") follow llama.cpp's per-tensor rules; int8/int4/gptq keep the embeddings,\n" +
			"classifier and norms in F32 unless --keep says otherwise. With --out (one method) the quantized model is\n" +
			"written as GGUF, read back and rerun.",
		ArgsUsage: "MODEL",
		Flags: append(corpusFlags(),
			&cli.StringSliceFlag{Name: "method", Value: cli.NewStringSlice("q4_k_m"), Usage: "quantization methods, comma-separated or repeated"},
			&cli.StringFlag{Name: "data", Required: true, Usage: "evaluation text (text file, or JSONL with {\"text\": ...} per line)"},
			&cli.IntFlag{Name: "context", Usage: "evaluation window in tokens (0 = the model's maximum sequence length)"},
			&cli.IntFlag{Name: "stride", Usage: "window stride in tokens, 1..context (0 = context: disjoint windows)"},
			&cli.IntFlag{Name: "limit", Usage: "evaluate only the first N tokens of the stream (0 = all)"},
			&cli.StringFlag{Name: "calib", Usage: "GPTQ calibration text, read like --data (default: the last documents of --data, enough for the calibration windows but at most half, held out of the evaluation)"},
			&cli.IntFlag{Name: "calib-windows", Value: 128, Usage: "GPTQ calibration windows"},
			&cli.IntFlag{Name: "calib-len", Value: 256, Usage: "tokens per calibration window (at most the model's maximum sequence length; with --target-kl/--target-ppl-delta the default is the evaluation context)"},
			&cli.Float64Flag{Name: "percdamp", Value: 0.01, Usage: "GPTQ damping, a fraction of mean(diag H)"},
			&cli.BoolFlag{Name: "act-order", Usage: "GPTQ: visit columns by decreasing Hessian diagonal"},
			&cli.StringFlag{Name: "imatrix", Usage: "importance matrix written by llama.cpp's llama-imatrix (imatrix.dat or GGUF): weights Q4_0/Q4_1/Q5_0/Q5_1/k-quant encoding as llama-quantize --imatrix does"},
			&cli.BoolFlag{Name: "imatrix-calib", Usage: "compute the importance matrix from the calibration text (--calib, or held out of --data) and weight the encoding with it"},
			&cli.StringSliceFlag{Name: "keep", Usage: "tensor name patterns kept in F32 (path.Match, e.g. 'token_embd.weight'); 'none' keeps only 1-D tensors (default: the method's)"},
			&cli.StringSliceFlag{Name: "override", Usage: "PATTERN=TYPE: store the matching tensors as TYPE (F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K I8CH I4S_G32 ...)"},
			&cli.StringFlag{Name: "out", Usage: "write the quantized model (one method) to this GGUF file, or for gptq-int4* to this directory in the GPTQ safetensors layout (transformers, vLLM)"},
			&cli.StringFlag{Name: "name", Value: "", Usage: "general.name of the written GGUF (default: the model file's name)"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing --out"},
			&cli.BoolFlag{Name: "show-plan", Usage: "print each method's per-tensor type choices before the report"},
			&cli.BoolFlag{Name: "gptq", Usage: "calibrate every GGUF method with GPTQ onto its llama.cpp grids (as naming it gptq-METHOD; not q2_k, q3_k, q3_k_m)"},
			&cli.Float64Flag{Name: "target-kl", Usage: "quality-budget planner: choose per-tensor types with mean KL(unquantized || quantized) <= X nats/token on the calibration text at the fewest bytes; the choice is reported as method target:kl<=X"},
			&cli.Float64Flag{Name: "target-ppl-delta", Usage: "quality-budget planner: as --target-kl, for a perplexity increase of at most P percent"},
			&cli.StringSliceFlag{Name: "target-types", Usage: "planner candidate types (default Q3_K,Q4_K,Q5_K,Q6_K,Q8_0,F16; rows that fit no 256-block fall back as llama.cpp's)"},
			&cli.Float64Flag{Name: "target-margin", Value: quant.DefaultMargin, Usage: "planner: aim at (1 - margin) x the target on the calibration text, so that held-out text meets it too"},
			&cli.BoolFlag{Name: "target-measure-all", Usage: "planner: measure the KL of every (tensor, type) pair instead of predicting all but the cheapest from the importance-weighted error"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
		),
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "MODEL"); err != nil {
				return err
			}
			return runQuantize(e, c)
		},
	}
}

type quantizeReport struct {
	Model       modelSummary        `json:"model"`
	Data        dataSummary         `json:"data"` // the evaluated text
	Calibration *calibrationSummary `json:"calibration,omitempty"`
	Budget      *quant.Budget       `json:"budget,omitempty"` // the quality-budget planner's choice
	Report      *quant.Report       `json:"report"`
	Export      *quant.RoundTrip    `json:"export,omitempty"`
}

// calibrationSummary describes the text GPTQ calibrated on.
type calibrationSummary struct {
	// Source is the --calib file, or "held out of DATA" for the last
	// documents of --data (then never evaluated).
	Source    string `json:"source"`
	Documents int    `json:"documents"`
	Tokens    int    `json:"tokens"`
	Windows   int    `json:"windows"`
	WindowLen int    `json:"window_len"`
}

func runQuantize(e *env, c *cli.Context) error {
	out := c.String("out")
	target := quant.Target{KL: c.Float64("target-kl"), PPLDeltaPct: c.Float64("target-ppl-delta")}
	planning := c.IsSet("target-kl") || c.IsSet("target-ppl-delta")
	if planning {
		if err := target.Check(); err != nil {
			return fmt.Errorf("--target-kl / --target-ppl-delta: give one, positive: %w", err)
		}
	}
	var methods []quant.Method
	for _, s := range c.StringSlice("method") {
		if planning && !c.IsSet("method") {
			break // the planner's method alone, unless others are asked for beside it
		}
		for _, name := range strings.Split(s, ",") {
			if c.Bool("gptq") && !strings.HasPrefix(strings.TrimSpace(name), "gptq-") {
				if m, err := quant.ParseMethod(name); err == nil && m.Family == quant.FamilyGGUF {
					name = "gptq-" + strings.TrimSpace(name)
				}
			}
			m, err := quant.ParseMethod(name)
			if err != nil {
				return err
			}
			methods = append(methods, m)
		}
	}
	var cands []kernels.DType
	for _, s := range c.StringSlice("target-types") {
		for _, n := range strings.Split(s, ",") {
			dt, err := kernels.ParseDType(strings.ToUpper(strings.TrimSpace(n)))
			if err != nil {
				return fmt.Errorf("--target-types %q: %w", n, err)
			}
			cands = append(cands, dt)
		}
	}
	if planning && out != "" && len(methods) > 0 {
		return fmt.Errorf("--out with --target-kl/--target-ppl-delta writes the planner's choice: leave --method out")
	}
	// A gptq-int4 method writes the GPTQ safetensors layout (a directory
	// transformers and vLLM load); the GGML and float methods write GGUF.
	hfGPTQ := len(methods) == 1 && methods[0].GPTQ && methods[0].Family == quant.FamilyDistill
	if out != "" && !planning && (len(methods) != 1 || methods[0].Family == quant.FamilyDistill && !hfGPTQ) {
		return fmt.Errorf("--out writes GGUF (one GGML or float method: %s) or GPTQ safetensors (one gptq-int4 method), got %v", quant.FileMethods(), c.StringSlice("method"))
	}
	if out != "" {
		if err := guardOutput("--out", out, c.Bool("force"), c.Args().First(), c.String("data"), c.String("calib")); err != nil {
			return err
		}
	}
	po, err := planOptions(c)
	if err != nil {
		return err
	}
	if c.Int("limit") < 0 || c.Int("calib-windows") < 1 || c.Int("calib-len") < 1 {
		return fmt.Errorf("--limit must be >= 0 and --calib-windows, --calib-len >= 1")
	}
	ro, bos, err := corpusOptions(e, c)
	if err != nil {
		return err
	}
	tc, b, err := loadTeacher4Quant(e, c.Args().First(), true)
	if err != nil {
		return err
	}
	defer tc.Close()
	dataPath := c.String("data")
	stream, err := corpus.TokenizeFile(dataPath, ro, tc.Tokenizer, bos)
	if err != nil {
		return err
	}
	o := quant.Options{Plan: po, Backend: b, GPTQ: quant.GPTQOptions{PercDamp: c.Float64("percdamp"), ActOrder: c.Bool("act-order")}}
	if o.Imatrix, err = readImatrixFlag(c, tc); err != nil {
		return err
	}
	var calib *calibrationSummary
	if planning || c.Bool("imatrix-calib") || slices.ContainsFunc(methods, func(m quant.Method) bool { return m.GPTQ }) {
		if stream, calib, o.Calib, err = calibrate(e, c, ro, bos, tc, stream); err != nil {
			return err
		}
	}
	if c.Bool("imatrix-calib") {
		if o.Imatrix != nil {
			return fmt.Errorf("--imatrix and --imatrix-calib both give an importance matrix: pick one")
		}
		if o.Imatrix, err = quant.CollectImatrix(tc.Config, quant.SourceOf(tc.Model), b, o.Calib); err != nil {
			return fmt.Errorf("--imatrix-calib: %w", err)
		}
	}
	stream = stream.Limit(c.Int("limit"))
	src := quant.SourceOf(tc.Model)
	var bud *quant.Budget
	if planning {
		bo := quant.BudgetOptions{Candidates: cands, Plan: po, Imatrix: o.Imatrix, MeasureAll: c.Bool("target-measure-all"), Margin: c.Float64("target-margin")}
		if bud, err = quant.PlanBudget(tc.Config, src, b, o.Calib, target, bo); err != nil {
			if len(cands) > 0 {
				return fmt.Errorf("--target-types: %w", err)
			}
			return err
		}
		if c.Bool("gptq") {
			// The planner measured round to nearest; GPTQ onto the same
			// types only lowers the error.
			bud.Method.GPTQ, bud.Method.Name = true, bud.Method.Name+"+gptq"
		}
		methods = append([]quant.Method{bud.Method}, methods...)
	}
	if c.Bool("show-plan") && !c.Bool("json") {
		for _, m := range methods {
			p, err := quant.NewPlan(tc.Config, m, po)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "plan for %s:\n", m.Name)
			if err := p.WriteTable(e.stdout); err != nil {
				return err
			}
		}
	}
	rep, err := quant.Measure(tc.Config, src, methods, b, stream, eval.Options{Context: c.Int("context"), Stride: c.Int("stride")}, o)
	if err != nil {
		return err
	}
	qr := quantizeReport{Model: modelSummary{tc.Path, tc.Format, int64(tc.Model.NumParams())},
		Data: summarizeData(dataPath, ro, bos, stream), Calibration: calib, Budget: bud, Report: rep}
	if out != "" {
		_, qs, err := quant.Apply(tc.Config, src, methods[0], o)
		if err != nil {
			return err
		}
		name := c.String("name")
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(tc.Path), filepath.Ext(tc.Path))
		}
		var rt quant.RoundTrip
		if hfGPTQ {
			rt, err = quant.ExportHF(out, tc.Config, qs, tc.Tokenizer, kernels.F16, b)
		} else {
			rt, err = quant.ExportGGUF(out, tc.Config, qs, tc.Tokenizer, b, checkpoint.GGUFOptions{Name: name, FileType: methods[0].FileType()})
		}
		if err != nil {
			return err
		}
		rep.Rows[0].FileBytes = rt.FileBytes
		qr.Export = &rt
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, qr)
	}
	d := qr.Data
	fmt.Fprintf(e.stdout, "model %s (%s, %s parameters)\nevaluated on %s: %s, %s with BOS=%s\n", tc.Path, tc.Format, units.Count(qr.Model.Params),
		d.Path, plural(d.Documents, "document"), plural(d.Tokens, "token"), d.BOS)
	if ca := qr.Calibration; ca != nil {
		fmt.Fprintf(e.stdout, "calibrated on %s: %s, %s; %s of %d tokens\n", ca.Source, plural(ca.Documents, "document"),
			plural(ca.Tokens, "token"), plural(ca.Windows, "window"), ca.WindowLen)
	}
	if bud != nil {
		if c.Bool("show-plan") {
			if err := bud.WriteTable(e.stdout); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(e.stdout, "planner (%s): %s; on the calibration text KL %.4g, Δppl %+.2f%% (%d forward passes); held out below\n",
				bud.Target, formatCounts(bud), bud.KL, bud.PPLDeltaPct, bud.Passes)
		}
	}
	if err := rep.WriteTable(e.stdout); err != nil {
		return err
	}
	if qr.Export != nil {
		printRoundTrip(e, qr.Export)
	}
	return nil
}

// calibrate returns the GPTQ calibration windows: from --calib when given,
// else from the last documents of the evaluation stream, which are then
// held out of it so that no method is scored on its own calibration text.
func calibrate(e *env, c *cli.Context, ro corpus.ReadOptions, bos corpus.BOS, tc *checkpoint.Loaded, stream corpus.Stream) (corpus.Stream, *calibrationSummary, [][]int32, error) {
	n, T := c.Int("calib-windows"), min(c.Int("calib-len"), tc.Config.MaxSeqLen)
	if (c.IsSet("target-kl") || c.IsSet("target-ppl-delta")) && !c.IsSet("calib-len") {
		// The planner measures KL on the calibration windows: as long as
		// the evaluation's, since KL depends on the context (stories3M:
		// 256-token windows predicted 0.005 for a mix at 0.0078 in
		// 512-token ones, 512-token windows 0.0053).
		T = tc.Config.MaxSeqLen
		if ctx := c.Int("context"); ctx > 0 {
			T = min(ctx, T)
		}
	}
	var cs corpus.Stream
	var err error
	sum := &calibrationSummary{Source: c.String("calib"), WindowLen: T}
	if sum.Source != "" {
		if cs, err = corpus.TokenizeFile(sum.Source, ro, tc.Tokenizer, bos); err != nil {
			return stream, nil, nil, fmt.Errorf("--calib: %w", err)
		}
		if a, errA := os.Stat(sum.Source); errA == nil {
			if b, errB := os.Stat(c.String("data")); errB == nil && os.SameFile(a, b) {
				fmt.Fprintf(e.stderr, "distill: warning: --calib is --data: GPTQ rows are scored on their own calibration text (leave --calib out to hold part of --data out)\n")
			}
		}
	} else {
		sum.Source = "held out of " + c.String("data")
		if stream, cs, err = corpus.HoldOut(stream, n*T); err != nil {
			return stream, nil, nil, fmt.Errorf("--data: %w", err)
		}
	}
	windows := corpus.CalibrationWindows(cs.IDs, n, T)
	if len(windows) == 0 {
		return stream, nil, nil, fmt.Errorf("calibration text (%s) has %d tokens, fewer than one window of %d", sum.Source, cs.Len(), T)
	}
	sum.Documents, sum.Tokens, sum.Windows = cs.Docs(), cs.Len(), len(windows)
	return stream, sum, windows, nil
}

// readImatrixFlag reads --imatrix (nil when not given) and checks it
// against the model before anything is written.
func readImatrixFlag(c *cli.Context, tc *checkpoint.Loaded) (quant.Imatrix, error) {
	path := c.String("imatrix")
	if path == "" {
		return nil, nil
	}
	im, err := quant.ReadImatrix(path)
	if err == nil {
		err = im.Check(tc.Config)
	}
	if err != nil {
		return nil, fmt.Errorf("--imatrix %s: %w", path, err)
	}
	return im, nil
}

// planOptions parses --keep and --override.
func planOptions(c *cli.Context) (quant.PlanOptions, error) {
	var po quant.PlanOptions
	for _, k := range c.StringSlice("keep") {
		for _, p := range strings.Split(k, ",") {
			if p == "none" {
				po.Keep = []string{}
				continue
			}
			po.Keep = append(po.Keep, p)
		}
	}
	for _, ov := range c.StringSlice("override") {
		pat, typ, ok := strings.Cut(ov, "=")
		if !ok {
			return po, fmt.Errorf("--override %q: want PATTERN=TYPE", ov)
		}
		dt, err := kernels.ParseDType(strings.ToUpper(typ))
		if err != nil {
			return po, fmt.Errorf("--override %q: %w", ov, err)
		}
		po.Overrides = append(po.Overrides, quant.Override{Pattern: pat, DType: dt})
	}
	return po, nil
}

// loadTeacher4Quant loads a checkpoint on --device for quantizing or
// exporting; needTok makes a missing tokenizer an error.
func loadTeacher4Quant(e *env, path string, needTok bool) (*checkpoint.Loaded, kernels.Backend, error) {
	b, err := openBackend(e)
	if err != nil {
		return nil, nil, err
	}
	tc, err := checkpoint.Load(path, b, checkpoint.LoadOptions{})
	if err != nil {
		return nil, nil, err
	}
	if needTok && tc.Tokenizer == nil {
		tc.Close()
		return nil, nil, fmt.Errorf("%s: no tokenizer found beside the checkpoint", path)
	}
	return tc, b, nil
}

func printRoundTrip(e *env, rt *quant.RoundTrip) {
	tok := "no tokenizer"
	if rt.TokenizerChecked {
		tok = "tokenizer reloads identically"
	}
	fmt.Fprintf(e.stdout, "wrote %s (%s): reloaded, max |logit difference| %.3g over %d positions vs the in-memory model; %s\n",
		rt.Path, units.Bytes(rt.FileBytes), rt.MaxLogitDiff, rt.Tokens, tok)
}

// formatCounts is "Q4_K:12,Q6_K:3" for the planner's choice.
func formatCounts(bu *quant.Budget) string {
	n := map[string]int{}
	var keys []string
	for _, t := range bu.Tensors {
		if n[t.Type] == 0 {
			keys = append(keys, t.Type)
		}
		n[t.Type]++
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, n[k])
	}
	return strings.Join(parts, ",")
}
