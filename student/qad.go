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
//
// Options.QADSteps = N > 0 turns the fake quantization on for the last N
// optimizer steps only: the run trains the fp32 student as without QAD (bit
// for bit: it runs on an exact copy of the master weights) and then
// fine-tunes it as its export, at the schedule's tail learning rate, with
// the AdamW moments carried over. That is ModelOpt's recipe (quantize the
// trained model, then fine-tune it under fake quantization for a small
// fraction of the steps at a low learning rate), inside the one training
// loop. Checkpoints record the method and the step the phase starts after,
// so a resumed run crosses the switch exactly where the uninterrupted one
// does.

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

// checkQAD validates the QAD options (fill calls it, after Steps is checked).
func (o *Options) checkQAD() error {
	if o.QADSteps < 0 || o.QADSteps > o.Steps {
		return fmt.Errorf("student: qad steps %d outside [0, %d] (the run's steps; 0: the whole run)", o.QADSteps, o.Steps)
	}
	if o.QAD == "" {
		if o.QADSteps > 0 {
			return fmt.Errorf("student: qad steps %d without a qad method", o.QADSteps)
		}
		return nil
	}
	_, err := QADMethod(o.QAD)
	return err
}

// qadFrom is the number of steps before fake quantization starts (0 with
// QAD over the whole run).
func (o *Options) qadFrom() int {
	if o.QADSteps == 0 {
		return 0
	}
	return o.Steps - o.QADSteps
}

// qadOn reports whether the next step runs fake-quantized: QAD is set and
// its phase has begun.
func (t *Trainer) qadOn() bool {
	return t.qad != nil && t.Step >= t.Opts.qadFrom()
}

// checkQAD refuses to resume a checkpoint that has trained under fake
// quantization with other QAD settings: the run would not be the one it
// continues. A checkpoint from before the phase (or without QAD) resumes
// into any of them, as the steps so far are the same.
func (st *trainerState) checkQAD(path string, o Options) error {
	if st.QAD == "" || st.Step <= st.QADFrom {
		return nil
	}
	if o.QAD != st.QAD || o.qadFrom() != st.QADFrom {
		return fmt.Errorf("student: resume: %s: the checkpoint (step %d) trained with qad %s from step %d; resume with the same qad and qad steps (this run: qad %q from step %d)",
			path, st.Step, st.QAD, st.QADFrom, o.QAD, o.qadFrom())
	}
	return nil
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
// weights after they change: the half copy, and once the QAD phase is on
// every quantized tensor replaced by its fake-quantized values (before it,
// the fp32 copy is the master weights exactly).
func (t *Trainer) syncRun() {
	run, b := t.runBlock(), t.b
	if run == t.Master {
		return
	}
	b.Copy(run.Flat, t.Master.Flat)
	if !t.qadOn() {
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
	if n := t.Opts.QADSteps; n > 0 {
		fmt.Fprintf(&sb, " for the last %d of %d steps (from step %d)", n, t.Opts.Steps, t.Opts.qadFrom()+1)
	}
	if fb := t.qad.Fallbacks(); len(fb) > 0 {
		fmt.Fprintf(&sb, "; %d tensors fall back as the export plan does:", len(fb))
		for _, f := range fb {
			sb.WriteString("\n  " + f)
		}
	}
	return sb.String()
}
