package cpu_test

import (
	"math/rand/v2"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/kernels/kerneltest"
)

func TestTrainConformance(t *testing.T) {
	t.Run("threads=all", func(t *testing.T) { kerneltest.RunTrain(t, cpu.New(0)) })
	t.Run("threads=3", func(t *testing.T) { kerneltest.RunTrain(t, cpu.New(3)) })
}

// BenchmarkDistillLoss: the fused KD loss + gradient at issue 3's shapes
// (4 x 256 rows of 32000 logits), full teacher logits and top-64, in place.
func BenchmarkDistillLoss(b *testing.B) {
	const n, v, k = 1024, 32000, 64
	be := cpu.New(0)
	ops := be.(kernels.TrainOps)
	rng := rand.New(rand.NewPCG(1, 2))
	vals := make([]float32, n*v)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64() * 3)
	}
	teacher := be.FromFloat32(kernels.F32, vals, n, v)
	targets := make([]int32, n)
	for i := range targets {
		targets[i] = int32(rng.IntN(v))
	}
	ids, lps := be.Zeros(kernels.I32, n, k), be.Zeros(kernels.F32, n, k)
	ops.TopKLogProbs(ids, lps, teacher, k, 2)
	losses := be.Zeros(kernels.F32, n)
	for _, tc := range []struct {
		name string
		soft kernels.SoftLabels
	}{{"full", kernels.SoftLabels{Logits: teacher}}, {"top64", kernels.SoftLabels{IDs: ids, LogProbs: lps}}} {
		b.Run(tc.name, func(b *testing.B) {
			logits := be.FromFloat32(kernels.F32, vals, n, v)
			p := kernels.LossParams{Temperature: 2, Alpha: 0.5, Scale: 1.0 / n}
			b.SetBytes(int64(n * v * 4))
			for range b.N {
				ops.DistillLoss(losses, logits, logits, tc.soft, targets, p)
			}
		})
	}
	b.Run("TopKLogProbs", func(b *testing.B) {
		for range b.N {
			ops.TopKLogProbs(ids, lps, teacher, k, 2)
		}
	})
}
