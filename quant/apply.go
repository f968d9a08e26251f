package quant

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// Options gathers what Apply needs beyond the method.
type Options struct {
	Plan PlanOptions
	GPTQ GPTQOptions
	// Calib are the calibration windows (equal length) for GPTQ.
	Calib [][]int32
	// Backend runs the calibration forward passes (GPTQ only).
	Backend kernels.Backend
	// Imatrix, when set, weights round-to-nearest encoding into the GGML
	// types that take one (see QuantizeWeighted); Apply checks it against
	// the model.
	Imatrix Imatrix
}

// Apply plans and quantizes the parameters of src (a model with config
// cfg) with method m: GPTQ for the gptq methods, round to nearest
// otherwise.
func Apply(cfg model.Config, src model.TensorSource, m Method, o Options) (*Plan, *model.MapSource, error) {
	p, err := NewPlan(cfg, m, o.Plan)
	if err != nil {
		return nil, nil, err
	}
	if o.Imatrix != nil {
		if err := o.Imatrix.Check(cfg); err != nil {
			return nil, nil, err
		}
	}
	if !m.GPTQ {
		out, err := QuantizeWeighted(src, p, o.Imatrix)
		return p, out, err
	}
	if o.Backend == nil {
		return nil, nil, fmt.Errorf("quant: %s needs a backend for calibration", m.Name)
	}
	g := o.GPTQ
	g.ActOrder = g.ActOrder || m.ActOrder
	if g.Imatrix == nil {
		g.Imatrix = o.Imatrix
	}
	out, err := GPTQ(src, p, o.Backend, o.Calib, g)
	return p, out, err
}
