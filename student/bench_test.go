package student

import (
	"github.com/distill-dev/distill/corpus"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// BenchmarkKDStep times one online KD optimizer step at issue 3's shapes:
// teacher dim 768 / 12 layers, student dim 384 / 6 layers, vocab 32000,
// batch 4 x 256 (teacher forward, student forward + fused loss + backward,
// AdamW), with random weights. Run: go test ./student -run - -bench KDStep -benchtime 2x
//
// The "cached" variants feed precomputed teacher logits of one batch, as
// ../shared/tools/torch_peer_bench.py's student_kd_step does (student
// forward + KL at T=2 + backward + AdamW, no teacher forward); compare
// those with its student_kd_step_tok_s.
//
// "onpolicy" samples every batch's last 64 tokens from the student first
// (lambda 1: the cost of a sampled batch beside the online figure); "qad"
// fake-quantizes the student to Q4_0 after every update.
func BenchmarkKDStep(b *testing.B) {
	for _, run := range []struct {
		prec     string
		cached   bool
		onPolicy bool
		qad      string
	}{{FP32, false, false, ""}, {BF16, false, false, ""}, {FP32, true, false, ""}, {BF16, true, false, ""},
		{FP32, false, true, ""}, {FP32, false, false, "q4_0"}} {
		name := run.prec
		if run.cached {
			name += "-cached"
		}
		if run.onPolicy {
			name += "-onpolicy"
		}
		if run.qad != "" {
			name += "-qad-" + run.qad
		}
		prec := run.prec
		b.Run(name, func(b *testing.B) {
			be := cpu.New(0)
			tc := model.Config{Arch: model.ArchLlama, Dim: 768, HiddenDim: 2048, NLayers: 12, NHeads: 12, NKVHeads: 12,
				VocabSize: 32000, MaxSeqLen: 256, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2}
			tp, err := model.AllocParams(tc, be, kernels.F32)
			if err != nil {
				b.Fatal(err)
			}
			if err := tp.Set(be, model.RandomParams(tc, 1)); err != nil {
				b.Fatal(err)
			}
			sc, layers, err := Resolve(tc, Shape{Dim: 384, HiddenDim: 1024, NHeads: 6, NKVHeads: 6, NLayers: 6})
			if err != nil {
				b.Fatal(err)
			}
			master, err := Build(be, sc, nil, layers, InitRandom, 1)
			if err != nil {
				b.Fatal(err)
			}
			const B, T = 4, 256
			data, err := corpus.NewSampler(randomTokens(20*B*T, tc.VocabSize, 1), T, B, 1)
			if err != nil {
				b.Fatal(err)
			}
			o := Options{
				Loss:  kernels.LossParams{Divergence: kernels.ForwardKL, Temperature: 2, Alpha: 0.5},
				Steps: 1 << 30, Schedule: Schedule{Kind: ScheduleConstant, LR: 1e-4}, GradClip: 1, Precision: prec,
				QAD: run.qad,
			}
			if run.onPolicy {
				o.OnPolicy = &OnPolicyOptions{Lambda: 1, MaxNewTokens: 64, Temperature: 1}
			}
			tr, err := NewTrainer(be, tp.Model(be), master, data, o)
			if err != nil {
				b.Fatal(err)
			}
			if run.cached {
				ids, targets := make([]int32, B*T), make([]int32, B*T)
				data.Next(ids, targets)
				tr.fixedTeacher = tr.Teacher.Forward(ids, B, T, nil)
			}
			if _, err := tr.TrainStep(); err != nil { // warm up: allocations
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := tr.TrainStep(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*B*T)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
