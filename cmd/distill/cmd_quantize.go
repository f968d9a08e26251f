package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/quant"
)

func init() { register(quantizeCommand) }

func quantizeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "quantize",
		Usage: "quantize a model with one or more methods and report size, perplexity, KL and top-1 agreement against the unquantized model",
		Description: "Methods: " + strings.Join(quant.MethodNames, " ") + ".\n" +
			"GGML methods (q8_0 ... q4_k_m) follow llama.cpp's per-tensor rules; int8/int4/gptq keep the embeddings,\n" +
			"classifier and norms in F32 unless --keep says otherwise. With --out (one method) the quantized model is\n" +
			"written as GGUF, read back and rerun.",
		ArgsUsage: "MODEL",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "method", Value: cli.NewStringSlice("q4_k_m"), Usage: "quantization methods, comma-separated or repeated"},
			&cli.StringFlag{Name: "data", Required: true, Usage: "evaluation text (text file, or JSONL with {\"text\": ...} per line)"},
			&cli.BoolFlag{Name: "split-docs", Value: true, Usage: "text files: blank lines separate documents"},
			&cli.IntFlag{Name: "context", Usage: "evaluation window in tokens (0 = the model's maximum sequence length)"},
			&cli.IntFlag{Name: "limit", Usage: "evaluate only the first N tokens of the stream (0 = all)"},
			&cli.StringFlag{Name: "calib", Usage: "GPTQ calibration text (default: --data)"},
			&cli.IntFlag{Name: "calib-windows", Value: 128, Usage: "GPTQ calibration windows"},
			&cli.IntFlag{Name: "calib-len", Value: 256, Usage: "tokens per calibration window (at most the model's maximum sequence length)"},
			&cli.Float64Flag{Name: "percdamp", Value: 0.01, Usage: "GPTQ damping, a fraction of mean(diag H)"},
			&cli.BoolFlag{Name: "act-order", Usage: "GPTQ: visit columns by decreasing Hessian diagonal"},
			&cli.StringSliceFlag{Name: "keep", Usage: "tensor name patterns kept in F32 (path.Match, e.g. 'token_embd.weight'); 'none' keeps only 1-D tensors (default: the method's)"},
			&cli.StringSliceFlag{Name: "override", Usage: "PATTERN=TYPE: store the matching tensors as TYPE (F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q4_K Q6_K I8CH I4S_G32 ...)"},
			&cli.StringFlag{Name: "out", Usage: "write the quantized model (one GGML method) to this GGUF file"},
			&cli.StringFlag{Name: "name", Value: "", Usage: "general.name of the written GGUF (default: the model file's name)"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing --out"},
			&cli.BoolFlag{Name: "show-plan", Usage: "print each method's per-tensor type choices before the report"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
		},
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "MODEL"); err != nil {
				return err
			}
			return runQuantize(e, c)
		},
	}
}

type quantizeReport struct {
	Model  modelSummary     `json:"model"`
	Data   string           `json:"data"`
	Report *quant.Report    `json:"report"`
	Export *quant.RoundTrip `json:"export,omitempty"`
}

func runQuantize(e *env, c *cli.Context) error {
	var methods []quant.Method
	for _, s := range c.StringSlice("method") {
		for _, name := range strings.Split(s, ",") {
			m, err := quant.ParseMethod(name)
			if err != nil {
				return err
			}
			methods = append(methods, m)
		}
	}
	out := c.String("out")
	if out != "" && (len(methods) != 1 || methods[0].Family == quant.FamilyDistill) {
		return fmt.Errorf("--out writes GGUF and needs exactly one GGML or float method (q8_0, q4_0, q4_1, q4_k, q6_k, q4_k_m, f32, f16, bf16), got %v", c.StringSlice("method"))
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
	docs, err := eval.ReadDocuments(c.String("data"), eval.ReadOptions{SplitDocs: c.Bool("split-docs")})
	if err != nil {
		return err
	}
	tc, b, err := loadTeacher4Quant(e, c.Args().First(), true)
	if err != nil {
		return err
	}
	defer tc.Close()
	ids := make([][]int32, len(docs))
	for i, d := range docs {
		ids[i] = tc.Tokenizer.Encode(d, false, false)
	}
	stream := eval.BuildStream(ids, tc.Tokenizer.BOS(), eval.BOSDocument)
	if n := c.Int("limit"); n > 0 && n < stream.Len() {
		stream.IDs, stream.Target = stream.IDs[:n], stream.Target[:n]
	}
	o := quant.Options{Plan: po, Backend: b, GPTQ: quant.GPTQOptions{PercDamp: c.Float64("percdamp"), ActOrder: c.Bool("act-order")}}
	for _, m := range methods {
		if m.GPTQ {
			calib := stream.IDs
			if p := c.String("calib"); p != "" {
				cd, err := eval.ReadDocuments(p, eval.ReadOptions{SplitDocs: c.Bool("split-docs")})
				if err != nil {
					return err
				}
				calib = nil
				for _, d := range cd {
					calib = append(calib, tc.Tokenizer.BOS())
					calib = append(calib, tc.Tokenizer.Encode(d, false, false)...)
				}
			}
			T := min(c.Int("calib-len"), tc.Config.MaxSeqLen)
			if o.Calib = quant.CalibrationWindows(calib, c.Int("calib-windows"), T); len(o.Calib) == 0 {
				return fmt.Errorf("calibration text has %d tokens, fewer than one window of %d", len(calib), T)
			}
			break
		}
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
	src := quant.SourceOf(tc.Model)
	rep, err := quant.Measure(tc.Config, src, methods, b, stream, eval.Options{Context: c.Int("context")}, o)
	if err != nil {
		return err
	}
	qr := quantizeReport{Model: modelSummary{tc.Path, tc.Format, int64(tc.Model.NumParams())}, Data: c.String("data"), Report: rep}
	if out != "" {
		_, qs, err := quant.Apply(tc.Config, src, methods[0], o)
		if err != nil {
			return err
		}
		name := c.String("name")
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(tc.Path), filepath.Ext(tc.Path))
		}
		rt, err := quant.ExportGGUF(out, tc.Config, qs, tc.Tokenizer, b, checkpoint.GGUFOptions{Name: name, FileType: methods[0].Name})
		if err != nil {
			return err
		}
		rep.Rows[0].FileBytes = rt.FileBytes
		qr.Export = &rt
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, qr)
	}
	fmt.Fprintf(e.stdout, "model %s (%s, %s parameters), data %s\n", tc.Path, tc.Format, human(qr.Model.Params), qr.Data)
	if err := rep.WriteTable(e.stdout); err != nil {
		return err
	}
	if qr.Export != nil {
		printRoundTrip(e, qr.Export)
	}
	return nil
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
		rt.Path, humanBytes(rt.FileBytes), rt.MaxLogitDiff, rt.Tokens, tok)
}
