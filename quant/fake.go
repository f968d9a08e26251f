package quant

import (
	"fmt"
	"strings"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
)

// FakeQuantize replaces the values of the named tensor, w (row-major, rows
// of the tensor's last dimension), by what the model stored under the plan
// computes with: each row encoded as its planned type by the same round to
// nearest as Quantize and decoded again. Quantization-aware training runs
// its forward on these values, so the file Quantize then writes holds
// exactly the weights that were trained. A tensor planned as F32 is left
// as it is.
func (p *Plan) FakeQuantize(name string, w []float32) error {
	i, ok := p.index[name]
	if !ok {
		return fmt.Errorf("quant: fake-quantize: no tensor %s in the %s plan", name, p.Method.Name)
	}
	tp := p.Tensors[i]
	if tp.DType == kernels.F32 {
		return nil
	}
	rows, k := shapeRows(tp.Shape)
	if len(w) != rows*k {
		return fmt.Errorf("quant: fake-quantize: %s has %d values, shape %v wants %d", name, len(w), tp.Shape, rows*k)
	}
	rowBytes, err := tp.DType.RowBytes(k)
	if err != nil {
		return fmt.Errorf("quant: fake-quantize: %s %v as %s: %w", name, tp.Shape, tp.DType, err)
	}
	parallelRows(rows, 0, func(r int, _ []float32) {
		buf := make([]byte, rowBytes)
		row := w[r*k : (r+1)*k]
		qblock.EncodeRow(tp.DType, buf, row)
		qblock.DecodeRow(tp.DType, row, buf)
	})
	return nil
}

// Fallbacks lists the tensors whose planned type is not the method's base
// type because their rows do not fit its blocks (see the package
// documentation), one "name shape: why" line each.
func (p *Plan) Fallbacks() []string {
	var out []string
	for _, t := range p.Tensors {
		if len(t.Shape) >= 2 && t.DType != p.Method.Base && strings.Contains(t.Why, "fallback") {
			out = append(out, fmt.Sprintf("%s %v: %s", t.Name, t.Shape, t.Why))
		}
	}
	return out
}
