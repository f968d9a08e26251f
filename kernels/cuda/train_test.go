//go:build cuda

package cuda

import (
	"math"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// TestCUDATrainStep runs one student KD step (ForwardTrain, top-k
// DistillLoss with dlogits aliasing the logits, Backward) on the GPU and
// the CPU from the same weights and teacher soft labels, and compares the
// losses (1e-4 relative) and every parameter gradient (1e-3 of the
// largest gradient: float32 noise through attention and norm backward).
func TestCUDATrainStep(t *testing.T) { trainStepParity(t, gpu(t), cpu.New(0)) }

// trainStepParity compares one KD training step on g against c.
func trainStepParity(t *testing.T, g, c kernels.Backend) {
	cfgs := map[string]model.Config{
		"llama": {Arch: model.ArchLlama, Dim: 128, HiddenDim: 256, NLayers: 2, NHeads: 4, NKVHeads: 2,
			VocabSize: 320, MaxSeqLen: 64, NormEps: 1e-5, RopeTheta: 10000, BOS: -1, EOS: -1},
		"gpt2": {Arch: model.ArchGPT2, Dim: 96, HiddenDim: 384, NLayers: 2, NHeads: 4, NKVHeads: 4,
			VocabSize: 256, MaxSeqLen: 64, NormEps: 1e-5, TiedEmbeddings: true, BOS: -1, EOS: -1},
	}
	const B, T, K = 2, 48, 8
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			N, V := B*T, cfg.VocabSize
			params := model.RandomParams(cfg, 3)
			ids, targets := make([]int32, N), make([]int32, N)
			for i := range ids {
				ids[i] = int32((i*31 + 7) % V)
				targets[i] = int32((i*17 + 3) % V)
			}
			targets[5] = -1 // a masked row
			// Teacher soft labels, made once on the CPU and given to both.
			tl := make([]float32, N*V)
			for i := range tl {
				tl[i] = float32(3 * math.Sin(float64(i)*0.7))
			}
			tIDs, tLPs := c.Zeros(kernels.I32, N, K), c.Zeros(kernels.F32, N, K)
			c.(kernels.TrainOps).TopKLogProbs(tIDs, tLPs, c.FromFloat32(kernels.F32, tl, N, V), K, 2)
			idBytes, lpBytes := c.ReadBytes(tIDs), c.ReadBytes(tLPs)
			lp := kernels.LossParams{Divergence: kernels.ForwardKL, Temperature: 2, Alpha: 0.7, Scale: 1 / float32(N)}

			step := func(b kernels.Backend) (losses, grads []float32) {
				p, err := model.AllocParams(cfg, b, kernels.F32)
				if err != nil {
					t.Fatal(err)
				}
				if err := p.Set(b, params); err != nil {
					t.Fatal(err)
				}
				gr, err := model.AllocParams(cfg, b, kernels.F32)
				if err != nil {
					t.Fatal(err)
				}
				m := p.Model(b)
				var st model.TrainState
				defer st.Free()
				logits := m.ForwardTrain(&st, ids, B, T)
				l := b.Zeros(kernels.F32, N)
				soft := kernels.SoftLabels{IDs: b.FromBytes(kernels.I32, idBytes, N, K), LogProbs: b.FromBytes(kernels.F32, lpBytes, N, K)}
				b.(kernels.TrainOps).DistillLoss(l, logits, logits, soft, targets, lp)
				m.Backward(&st, logits, &gr.W)
				return b.ToFloat32(l, nil), b.ToFloat32(gr.Flat, nil)
			}
			wantL, wantG := step(c)
			gotL, gotG := step(g)
			if e := maxRelErr(gotL, wantL); e > 1e-4 {
				t.Errorf("losses differ by %.3g (relative), tolerance 1e-4", e)
			}
			scale := 0.0
			for _, v := range wantG {
				scale = max(scale, math.Abs(float64(v)))
			}
			worst, at := 0.0, 0
			for i := range wantG {
				if e := math.Abs(float64(gotG[i]) - float64(wantG[i])); e > worst {
					worst, at = e, i
				}
			}
			if worst > 1e-3*scale {
				t.Errorf("gradients differ by %.3g at flat index %d (largest gradient %.3g), tolerance 1e-3 of it", worst, at, scale)
			} else {
				t.Logf("max gradient error %.3g (largest gradient %.3g)", worst, scale)
			}
		})
	}
}
