package pipeline

import (
	"context"
	"fmt"
	"github.com/distill-dev/distill/corpus"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/internal/units"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/quant"
	"github.com/distill-dev/distill/recipe"
)

// Quantize applies each quantization method to the trained student,
// measures the result against the teacher like the eval stage, writes it as
// quantize/<label>.gguf (llama.cpp methods) and records everything in
// quantize/metrics.json.
type Quantize struct{}

func (Quantize) Name() string { return StageQuantize }

func (Quantize) Inputs(r *recipe.Recipe) Inputs {
	in := Eval{}.Inputs(r)
	in.Sections = append(in.Sections, "quantization")
	in.Files = append(in.Files, string(r.Data.Train))
	if c := r.Quantization.Calibration; c != "" {
		in.Files = append(in.Files, string(c))
	}
	return in
}

// quantName is the package quant name of a recipe method.
func quantName(m recipe.Method) string {
	switch m.Method {
	case recipe.MethodInt4G32, recipe.MethodInt4G64, recipe.MethodInt4G128:
		if m.Asymmetric {
			return "int4a" + m.Method[len("int4"):]
		}
	case recipe.MethodGPTQInt4:
		n := fmt.Sprintf("gptq-int4-g%d", m.GroupSize)
		if m.ActOrder {
			n += "-act"
		}
		return n
	}
	if m.GPTQ {
		if m.ActOrder {
			return "gptq-" + m.Method + "-act"
		}
		return "gptq-" + m.Method
	}
	return m.Method
}

func (Quantize) Run(ctx context.Context, env *Env) ([]string, error) {
	r := env.Recipe
	es, err := newEvalSet(env, 1+len(r.Quantization.Methods)) // the teacher, then each method
	if err != nil {
		return nil, err
	}
	defer es.Close()
	st := es.student
	src := quant.SourceOf(st.Model)
	var calibIDs []int32
	var qm QuantMetrics
	outs := []string{}
	for i, rm := range r.Quantization.Methods {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		o := quant.Options{Plan: quant.PlanOptions{Keep: rm.Keep}, Backend: es.b,
			GPTQ: quant.GPTQOptions{PercDamp: rm.Damp, ActOrder: rm.ActOrder}}
		if rm.Calibrated() {
			if calibIDs == nil {
				cs, err := calibrationStream(r, es.teacher.Tokenizer)
				if err != nil {
					return nil, err
				}
				calibIDs = cs.IDs
			}
			o.Calib = corpus.CalibrationWindows(calibIDs, rm.CalibrationSamples, r.Data.SeqLen)
		}
		var m quant.Method
		if rm.Method == recipe.MethodPlan {
			if m, err = planMethod(st, src, es, rm, o.Calib); err != nil {
				return nil, fmt.Errorf("pipeline: quantize %s: %w", rm.Label(), err)
			}
		} else if m, err = quant.ParseMethod(quantName(rm)); err != nil {
			return nil, r.Errorf(fmt.Sprintf("quantization.methods[%d]", i), "%v", err)
		}
		if m.Family == "gguf" {
			o.Plan.Keep = nil // llama.cpp's own rules decide what stays in high precision
		}
		_, qsrc, err := quant.Apply(st.Config, src, m, o)
		if err != nil {
			return nil, fmt.Errorf("pipeline: quantize %s: %w", rm.Label(), err)
		}
		qmodel, err := model.New(st.Config, es.b, qsrc)
		if err != nil {
			return nil, fmt.Errorf("pipeline: quantize %s: %w", rm.Label(), err)
		}
		mm, err := es.measure(rm.Label(), qmodel)
		if err == nil && (rm.Method == recipe.MethodPlan || r.Gates.ForMethod(rm.Label()).QuantKLMax != nil) {
			// KL to the unquantized student on the evaluation text: the
			// planner's target checked on held-out text.
			var cmp eval.Comparison
			if cmp, err = eval.Compare(st.Model, qmodel, es.stream, es.opts); err == nil {
				mm.QuantKL = &cmp.KL
			}
		}
		qmodel.Free()
		if err != nil {
			return nil, err
		}
		mm.Params = int64(st.Model.NumParams())
		mm.SizeBytes = quant.WeightBytes(st.Config, qsrc)
		if m.Family == "gguf" {
			rel := filepath.ToSlash(filepath.Join(StageQuantize, rm.Label()+".gguf"))
			rt, err := quant.ExportGGUF(env.Path(rel), st.Config, qsrc, es.teacher.Tokenizer, es.b, checkpoint.GGUFOptions{Name: r.Name, FileType: m.FileType()})
			if err != nil {
				return nil, fmt.Errorf("pipeline: quantize %s: %w", rm.Label(), err)
			}
			mm.Path, mm.SizeBytes = rel, rt.FileBytes
			outs = append(outs, rel)
		}
		fmt.Fprintf(env.Log, "quantize  %-10s ppl %.3f KL %.4f agreement %.3f size %s\n", rm.Label(), mm.PPL, *mm.KL, *mm.Agreement, units.Bytes(mm.SizeBytes))
		qm.Methods = append(qm.Methods, mm)
	}
	if err := writeJSON(env.Path(QuantMetricsFile), qm); err != nil {
		return nil, err
	}
	return append(outs, QuantMetricsFile), nil
}

// planMethod runs the quality-budget planner for a plan method on the
// student (calibration windows calib) and returns the method it chose.
func planMethod(st *checkpoint.Loaded, src model.TensorSource, es *evalSet, rm recipe.Method, calib [][]int32) (quant.Method, error) {
	bud, err := quant.PlanBudget(st.Config, src, es.b, calib, quant.Target{KL: rm.TargetKL, PPLDeltaPct: rm.TargetPPLDelta}, quant.BudgetOptions{Margin: quant.DefaultMargin})
	if err != nil {
		return quant.Method{}, err
	}
	m := bud.Method
	m.GPTQ = rm.GPTQ
	return m, nil
}
