package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
)

// RandomParams returns deterministic random values for every parameter of
// c, keyed by canonical name, for tests and benchmarks: matrices uniform in
// ±1/sqrt(in) (so activations keep unit scale), embeddings in ±0.5, norm
// weights in 1±0.2, biases in ±0.1. c must be valid.
func RandomParams(c Config, seed uint64) map[string][]float32 {
	rng := randomRNG(seed)
	out := make(map[string][]float32)
	for _, p := range c.Params() {
		out[p.Name] = randomParam(p, rng)
	}
	return out
}

// RandomSource is EncodeParams(name, c, b, RandomParams(c, seed), dt) for a
// float dtype dt, made one tensor at a time: the same bytes, with only one
// float32 tensor in memory at once (a 1B-parameter model in bf16 needs its
// 2 GB, not 4 GB more of float32).
func RandomSource(name string, c Config, b kernels.Backend, dt kernels.DType, seed uint64) *MapSource {
	if !dt.IsFloat() {
		panic(fmt.Sprintf("model: RandomSource: %s is not a float dtype", dt))
	}
	rng := randomRNG(seed)
	src := &MapSource{Name: name}
	for _, p := range c.Params() {
		t := b.FromFloat32(dt, randomParam(p, rng), p.Shape...)
		src.Add(HostTensor{Name: p.Name, DType: dt, Shape: p.Shape, Data: b.ReadBytes(t)})
		b.Free(t)
	}
	return src
}

func randomRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// randomParam draws parameter p's values (see RandomParams).
func randomParam(p ParamSpec, rng *rand.Rand) []float32 {
	uni := func(x []float32, center, radius float64) {
		for i := range x {
			x[i] = float32(center + radius*(2*rng.Float64()-1))
		}
	}
	x := make([]float32, p.Numel())
	switch {
	case p.Name == NameTokenEmbd || p.Name == NamePosEmbd:
		uni(x, 0, 0.5)
	case strings.HasSuffix(p.Name, ".bias"):
		uni(x, 0, 0.1)
	case len(p.Shape) == 1:
		uni(x, 1, 0.2)
	default:
		uni(x, 0, 1/math.Sqrt(float64(p.Shape[1])))
	}
	return x
}

// EncodeParams stores params (float32 values by canonical name, shapes of
// c.Params) in a MapSource with every tensor in dtype dt. Float types apply
// to all tensors (rounding through b); block types apply to matrices only,
// row by row with qblock.EncodeRow (their rows must be a multiple of the
// block size), vectors staying F32 as in GGUF files. name is the source's
// name in errors.
func EncodeParams(name string, c Config, b kernels.Backend, params map[string][]float32, dt kernels.DType) *MapSource {
	src := &MapSource{Name: name}
	for _, p := range c.Params() {
		x := params[p.Name]
		switch {
		case dt.IsFloat():
			t := b.FromFloat32(dt, x, p.Shape...)
			src.Add(HostTensor{Name: p.Name, DType: dt, Shape: p.Shape, Data: b.ReadBytes(t)})
			b.Free(t)
		case len(p.Shape) == 1:
			t := b.FromFloat32(kernels.F32, x, p.Shape...)
			src.Add(HostTensor{Name: p.Name, DType: kernels.F32, Shape: p.Shape, Data: b.ReadBytes(t)})
			b.Free(t)
		default:
			rows, cols := p.Shape[0], p.Shape[1]
			rb, err := dt.RowBytes(cols)
			if err != nil {
				panic(fmt.Sprintf("model: EncodeParams: %s: %v", p.Name, err))
			}
			data := make([]byte, rows*rb)
			for r := range rows {
				qblock.EncodeRow(dt, data[r*rb:(r+1)*rb], x[r*cols:(r+1)*cols])
			}
			src.Add(HostTensor{Name: p.Name, DType: dt, Shape: p.Shape, Data: data})
		}
	}
	return src
}
