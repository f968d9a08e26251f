package qblock

import (
	"math/rand/v2"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// TestEncodeRowWeightedLowersWeightedError checks, for every type with a
// weighted encoder, that importance weights concentrated on a few columns
// make those columns' error smaller than round to nearest leaves it, and
// the weighted total error no larger.
func TestEncodeRowWeightedLowersWeightedError(t *testing.T) {
	for _, dt := range []kernels.DType{kernels.Q4_0, kernels.Q4_1, kernels.Q5_0, kernels.Q5_1, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K} {
		t.Run(dt.String(), func(t *testing.T) {
			if !HasWeighted(dt) {
				t.Fatalf("HasWeighted(%s) = false", dt)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			const k, rows = 512, 64
			qw := make([]float32, k)
			for i := range qw {
				qw[i] = 0.01
				if i%7 == 0 {
					qw[i] = 100 // a few columns carry most of the activation energy
				}
			}
			nb, _ := dt.RowBytes(k)
			plain, weighted := make([]byte, nb), make([]byte, nb)
			x, y := make([]float32, k), make([]float32, k)
			var ePlain, eWeighted float64
			for range rows {
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				EncodeRow(dt, plain, x)
				EncodeRowWeighted(dt, weighted, x, qw)
				for _, c := range []struct {
					b []byte
					e *float64
				}{{plain, &ePlain}, {weighted, &eWeighted}} {
					DecodeRow(dt, y, c.b)
					for i := range x {
						d := float64(x[i] - y[i])
						*c.e += float64(qw[i]) * d * d
					}
				}
			}
			if eWeighted >= ePlain {
				t.Errorf("%s: weighted error %.4g with importance weights, round to nearest %.4g: want smaller", dt, eWeighted, ePlain)
			}
		})
	}
	if HasWeighted(kernels.Q8_0) || HasWeighted(kernels.F32) {
		t.Errorf("HasWeighted true for Q8_0 or F32 (llama.cpp has no weighted encoder for them)")
	}
}
