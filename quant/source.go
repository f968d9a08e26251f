package quant

import (
	"github.com/distill-dev/distill/model"
)

// SourceOf copies the parameters of a loaded model back to host memory as
// a tensor source (canonical names, storage types as on the backend), so
// any model (a loaded checkpoint, a trained student) can be quantized and
// exported.
func SourceOf(m *model.Model) *model.MapSource {
	src := &model.MapSource{Name: "model"}
	for _, p := range m.Config.Params() {
		t := m.Param(p.Name)
		if t == nil {
			continue
		}
		src.Add(model.HostTensor{Name: p.Name, DType: t.DType(), Shape: append([]int(nil), t.Shape()...), Data: m.Backend.ReadBytes(t)})
	}
	return src
}
