package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/quant"
	"github.com/distill-dev/distill/recipe"
)

// Export writes the trained student in each export format: GGUF
// (export/student-<dtype>.gguf, quantized by the dtype's method) or HF
// safetensors (export/hf-<dtype>/), each reloaded and checked against the
// in-memory model by package quant.
type Export struct{}

func (Export) Name() string { return StageExport }

func (Export) Inputs(r *recipe.Recipe) Inputs {
	return Inputs{Sections: []string{"teacher", "export"}, Files: teacherFiles(r)}
}

func (Export) Run(ctx context.Context, env *Env) ([]string, error) {
	r := env.Recipe
	b, t, err := loadTeacher(r)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	st, err := loadStudent(env, b)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	src := quant.SourceOf(st.Model)
	var outs []string
	for i, e := range r.Export {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch e.Format {
		case "gguf":
			m, err := quant.ParseMethod(e.DType)
			if err != nil {
				return nil, r.Errorf(fmt.Sprintf("export[%d].dtype", i), "%v", err)
			}
			_, qsrc, err := quant.Apply(st.Config, src, m, quant.Options{Backend: b})
			if err != nil {
				return nil, fmt.Errorf("pipeline: export gguf %s: %w", e.DType, err)
			}
			rel := filepath.ToSlash(filepath.Join(StageExport, "student-"+e.DType+".gguf"))
			if _, err := quant.ExportGGUF(env.Path(rel), st.Config, qsrc, t.Tokenizer, b, checkpoint.GGUFOptions{Name: r.Name, FileType: e.DType}); err != nil {
				return nil, fmt.Errorf("pipeline: export: %w", err)
			}
			outs = append(outs, rel)
		case "safetensors":
			dt, ok := map[string]kernels.DType{"f32": kernels.F32, "f16": kernels.F16, "bf16": kernels.BF16}[e.DType]
			if !ok {
				return nil, r.Errorf(fmt.Sprintf("export[%d].dtype", i), "safetensors export takes f32, f16 or bf16, not %s", e.DType)
			}
			rel := filepath.ToSlash(filepath.Join(StageExport, "hf-"+e.DType))
			if _, err := quant.ExportHF(env.Path(rel), st.Config, src, t.Tokenizer, dt, b); err != nil {
				return nil, fmt.Errorf("pipeline: export: %w", err)
			}
			outs = append(outs, rel+"/model.safetensors", rel+"/config.json")
		}
	}
	return outs, nil
}
