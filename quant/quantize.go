package quant

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
	"github.com/distill-dev/distill/model"
)

// Quantize encodes every parameter of src (canonical names, any storage
// type the kernels decode) to the type p planned for it, by round to
// nearest (llama.cpp's reference encoders for the GGML types). Tensors
// already in their planned type are passed through without a copy. The
// result is a source model.New and the exporters accept.
func Quantize(src model.TensorSource, p *Plan) (*model.MapSource, error) {
	return QuantizeWeighted(src, p, nil)
}

// QuantizeWeighted is Quantize with an importance matrix: the matrices im
// has an entry for, planned in a type with an importance-weighted encoder
// (Q4_0, Q4_1, Q5_0, Q5_1 and the k-quants), are encoded as llama-quantize --imatrix
// does; the others by round to nearest. Check im against the model first.
func QuantizeWeighted(src model.TensorSource, p *Plan, im Imatrix) (*model.MapSource, error) {
	out := &model.MapSource{Name: src.Where() + " (" + p.Method.Name + ")"}
	for _, tp := range p.Tensors {
		t, ok := src.Lookup(tp.Name)
		if !ok {
			return nil, fmt.Errorf("quant: %s: missing tensor %s", src.Where(), tp.Name)
		}
		enc, err := ConvertWeighted(t, tp.DType, im[tp.Name])
		if err != nil {
			return nil, fmt.Errorf("quant: %s: %w", src.Where(), err)
		}
		out.Add(enc)
	}
	return out, nil
}

// Convert returns t stored as dt: decoded row by row to float32 and
// encoded again (rows in parallel). A tensor already of type dt is
// returned as is.
func Convert(t model.HostTensor, dt kernels.DType) (model.HostTensor, error) {
	return ConvertWeighted(t, dt, nil)
}

// ConvertWeighted is Convert with importance weights per column (an
// Imatrix entry, len = row length): used when dt has an importance-weighted
// encoder, ignored otherwise (and when nil).
func ConvertWeighted(t model.HostTensor, dt kernels.DType, importance []float32) (model.HostTensor, error) {
	if t.DType == dt {
		return t, nil
	}
	rows, k := shapeRows(t.Shape)
	inRow, err := t.DType.RowBytes(k)
	if err != nil {
		return t, fmt.Errorf("tensor %s: %w", t.Name, err)
	}
	outRow, err := dt.RowBytes(k)
	if err != nil {
		return t, fmt.Errorf("tensor %s %v as %s: %w", t.Name, t.Shape, dt, err)
	}
	if len(t.Data) != rows*inRow {
		return t, fmt.Errorf("tensor %s: %d bytes of %s for shape %v, want %d", t.Name, len(t.Data), t.DType, t.Shape, rows*inRow)
	}
	if importance != nil && len(importance) != k {
		return t, fmt.Errorf("tensor %s %v: %d importance weights for rows of %d", t.Name, t.Shape, len(importance), k)
	}
	weighted := importance != nil && qblock.HasWeighted(dt)
	data := make([]byte, rows*outRow)
	parallelRows(rows, k, func(r int, buf []float32) {
		qblock.DecodeRow(t.DType, buf, t.Data[r*inRow:(r+1)*inRow])
		if weighted {
			qblock.EncodeRowWeighted(dt, data[r*outRow:(r+1)*outRow], buf, importance)
		} else {
			qblock.EncodeRow(dt, data[r*outRow:(r+1)*outRow], buf)
		}
	})
	return model.HostTensor{Name: t.Name, DType: dt, Shape: t.Shape, Data: data}, nil
}

// Float32 decodes t to float32 (a copy).
func Float32(t model.HostTensor) ([]float32, error) {
	rows, k := shapeRows(t.Shape)
	inRow, err := t.DType.RowBytes(k)
	if err != nil || len(t.Data) != rows*inRow {
		return nil, fmt.Errorf("tensor %s: %d bytes of %s for shape %v", t.Name, len(t.Data), t.DType, t.Shape)
	}
	out := make([]float32, rows*k)
	parallelRows(rows, 0, func(r int, _ []float32) {
		qblock.DecodeRow(t.DType, out[r*k:(r+1)*k], t.Data[r*inRow:(r+1)*inRow])
	})
	return out, nil
}

// shapeRows returns the number of rows and the row length of shape.
func shapeRows(shape []int) (rows, k int) {
	if len(shape) == 0 {
		return 1, 1
	}
	rows = 1
	for _, s := range shape[:len(shape)-1] {
		rows *= s
	}
	return rows, shape[len(shape)-1]
}

// parallelRows calls f for every row in [0, rows) from GOMAXPROCS
// goroutines, each with its own scratch buffer of k floats.
func parallelRows(rows, k int, f func(r int, buf []float32)) {
	workers := min(runtime.GOMAXPROCS(0), rows)
	if rows < 16 {
		workers = 1
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float32, k)
			for r := w; r < rows; r += workers {
				f(r, buf)
			}
		}()
	}
	wg.Wait()
}

// WeightBytes is the storage size of every tensor of src that cfg uses
// (a tied classifier counted once).
func WeightBytes(cfg model.Config, src model.TensorSource) int64 {
	var n int64
	for _, p := range cfg.Params() {
		if t, ok := src.Lookup(p.Name); ok {
			n += int64(len(t.Data))
		}
	}
	return n
}
