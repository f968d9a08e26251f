package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/quant"
)

func init() { register(exportCommand) }

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write a model as GGUF (llama.cpp) or HF safetensors (transformers), then reload it and compare logits",
		Description: "--format gguf takes --dtype " + quant.FileMethods() + " (llama.cpp's per-tensor rules);\n" +
			"--format safetensors takes --dtype f32 f16 bf16 and writes a directory with config.json,\n" +
			"generation_config.json and the tokenizer files.",
		ArgsUsage: "MODEL",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Required: true, Usage: "gguf or safetensors"},
			&cli.StringFlag{Name: "dtype", Value: "f32", Usage: "storage type (see above)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "output file (gguf) or directory (safetensors)"},
			&cli.StringFlag{Name: "name", Usage: "general.name of a GGUF file (default: the model file's name)"},
			&cli.StringFlag{Name: "imatrix", Usage: "gguf: importance matrix (llama.cpp's imatrix.dat or GGUF) weighting Q4_0/Q4_1/k-quant encoding; `distill quantize --imatrix-calib --out` computes one from text"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing --out"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
		},
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "MODEL"); err != nil {
				return err
			}
			return runExport(e, c)
		},
	}
}

func runExport(e *env, c *cli.Context) error {
	format, dtype, out := strings.ToLower(c.String("format")), strings.ToLower(c.String("dtype")), c.String("out")
	m, err := quant.ParseMethod(dtype)
	if err != nil {
		return fmt.Errorf("--dtype: %w", err)
	}
	switch format {
	case "gguf":
		if m.Family == quant.FamilyDistill {
			return fmt.Errorf("--dtype %s: GGUF holds %s", dtype, quant.FileMethods())
		}
		if m.GPTQ {
			return fmt.Errorf("--dtype %s calibrates on text: use distill quantize --method %s --data FILE --out PATH", dtype, dtype)
		}
	case "safetensors":
		if m.Family != quant.FamilyFloat {
			return fmt.Errorf("--dtype %s: safetensors export holds f32, f16 or bf16", dtype)
		}
	default:
		return fmt.Errorf("--format %q: want gguf or safetensors", format)
	}
	if err := guardOutput("--out", out, c.Bool("force"), c.Args().First()); err != nil {
		return err
	}
	tc, b, err := loadTeacher4Quant(e, c.Args().First(), false)
	if err != nil {
		return err
	}
	defer tc.Close()
	if tc.Tokenizer == nil {
		fmt.Fprintf(e.stderr, "distill: warning: %s has no tokenizer; the export will have none\n", tc.Path)
	}
	if c.String("imatrix") != "" && format != "gguf" {
		return fmt.Errorf("--imatrix applies to --format gguf only")
	}
	im, err := readImatrixFlag(c, tc)
	if err != nil {
		return err
	}
	src := quant.SourceOf(tc.Model)
	var rt quant.RoundTrip
	if format == "gguf" {
		_, qs, err := quant.Apply(tc.Config, src, m, quant.Options{Imatrix: im})
		if err != nil {
			return err
		}
		name := c.String("name")
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(tc.Path), filepath.Ext(tc.Path))
		}
		rt, err = quant.ExportGGUF(out, tc.Config, qs, tc.Tokenizer, b, checkpoint.GGUFOptions{Name: name, FileType: m.Name})
		if err != nil {
			return err
		}
	} else {
		rt, err = quant.ExportHF(out, tc.Config, src, tc.Tokenizer, map[string]kernels.DType{"f32": kernels.F32, "f16": kernels.F16, "bf16": kernels.BF16}[m.Name], b)
		if err != nil {
			return err
		}
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, rt)
	}
	printRoundTrip(e, &rt)
	return nil
}
