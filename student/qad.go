package student

import (
	"fmt"
	"strings"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/quant"
)

// Quantization-aware distillation (QAD, as NVIDIA's ModelOpt does it): the
// student's forward and backward run on its weights fake-quantized to the
// export plan of Options.QAD (quant.Plan.FakeQuantize: every tensor
// encoded as the type the export writes it in and decoded again, row
// fallbacks and llama.cpp's per-tensor rules included), while AdamW
// updates the float32 master weights with the gradient taken at the
// quantized point (the straight-through estimator: d round(w)/dw = 1).
// Quantizing the final master weights with the same method (quant.Apply,
// distill export, a recipe's export stage) then writes exactly the model
// whose loss training minimised.

// QADPlan is the export plan of method (a quant method name such as q4_0,
// q4_k_m or int4-g32) for a student of config cfg, with the default keep
// patterns the export stage and distill export use: the per-tensor types
// QAD fake-quantizes to. GPTQ methods are refused: their weights depend on
// calibration at export time, not on round to nearest.
func QADPlan(cfg model.Config, method string) (*quant.Plan, error) {
	m, err := QADMethod(method)
	if err != nil {
		return nil, err
	}
	p, err := quant.NewPlan(cfg, m, quant.PlanOptions{})
	if err != nil {
		return nil, fmt.Errorf("student: qad %s: %w", method, err)
	}
	return p, nil
}

// QADMethod parses a QAD method name (quant.ParseMethod), refusing GPTQ.
func QADMethod(method string) (quant.Method, error) {
	m, err := quant.ParseMethod(method)
	if err != nil {
		return m, fmt.Errorf("student: qad: %w", err)
	}
	if m.GPTQ {
		return m, fmt.Errorf("student: qad %s: GPTQ weights are calibrated at export, not rounded to nearest; train with int4-g%d (the same layout) instead", method, m.GroupSize())
	}
	return m, nil
}

// initQAD plans the fake quantization and, in fp32, allocates the float32
// copy the student runs on (bf16 and fp16 runs fake-quantize into their
// half copy).
func (t *Trainer) initQAD() error {
	if t.Opts.QAD == "" {
		return nil
	}
	p, err := QADPlan(t.Config, t.Opts.QAD)
	if err != nil {
		return err
	}
	t.qad = p
	if t.Half == nil {
		if t.fake, err = model.AllocParams(t.Config, t.b, kernels.F32); err != nil {
			return err
		}
	}
	return nil
}

// runBlock is the parameter block the student's forward reads: the half
// copy, the fake-quantized copy, or the master weights themselves.
func (t *Trainer) runBlock() *model.ParamBlock {
	switch {
	case t.Half != nil:
		return t.Half
	case t.fake != nil:
		return t.fake
	}
	return t.Master
}

// syncRun refreshes the weights the student runs on from the master
// weights after they change: the half copy, and with QAD every quantized
// tensor replaced by its fake-quantized values.
func (t *Trainer) syncRun() {
	run, b := t.runBlock(), t.b
	if run == t.Master {
		return
	}
	b.Copy(run.Flat, t.Master.Flat)
	if t.qad == nil {
		return
	}
	for _, tp := range t.qad.Tensors {
		if tp.DType == kernels.F32 {
			continue
		}
		t.qadBuf = b.ToFloat32(t.Master.Views[tp.Name], t.qadBuf)
		if err := t.qad.FakeQuantize(tp.Name, t.qadBuf); err != nil {
			panic(err) // the plan was made from this config
		}
		tmp := b.FromFloat32(kernels.F32, t.qadBuf, len(t.qadBuf))
		b.Copy(run.Views[tp.Name], tmp)
		b.Free(tmp)
	}
}

// QADNote says what QAD trains for, and which tensors fall back to
// another type because their rows do not fit the method's blocks (as the
// export does); "" without QAD.
func (t *Trainer) QADNote() string {
	if t.qad == nil {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "qad: the student trains on its weights fake-quantized as %s exports them", t.qad.Method.Name)
	if fb := t.qad.Fallbacks(); len(fb) > 0 {
		fmt.Fprintf(&sb, "; %d tensors fall back as the export plan does:", len(fb))
		for _, f := range fb {
			sb.WriteString("\n  " + f)
		}
	}
	return sb.String()
}
