package student

import (
	"github.com/distill-dev/distill/corpus"
	"math"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
)

// TestPaddedVocab trains students whose vocabulary differs from the
// teacher's only in padding rows beyond the tokenizer's 64 ids, in both
// directions, and checks the first step's KD loss against a float64
// reference that ignores the padding: the teacher puts no mass on the
// student's padding ids, and the teacher's own padding columns are dropped
// (its distribution renormalised over the real ids).
func TestPaddedVocab(t *testing.T) {
	const tokVocab, T = 64, 2.0
	for _, tc := range []struct {
		name           string
		teacherV, stuV int
		div            kernels.Divergence
	}{
		{"student-padded", 64, 72, kernels.ForwardKL},
		{"teacher-padded", 80, 64, kernels.ForwardKL},
		{"student-padded-reverse-kl", 64, 72, kernels.ReverseKL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := cpu.New(2)
			tcfg := tinyTeacher
			tcfg.VocabSize = tc.teacherV
			teacher := newTeacher(t, b, tcfg)
			cfg, _, err := Resolve(tcfg, Shape{EveryK: 2})
			if err != nil {
				t.Fatal(err)
			}
			cfg.VocabSize = tc.stuV
			master, err := Build(b, cfg, nil, nil, InitRandom, 3)
			if err != nil {
				t.Fatal(err)
			}
			tokens := randomTokens(2000, tokVocab, 5)
			data, err := corpus.NewSampler(tokens, 16, 4, 11)
			if err != nil {
				t.Fatal(err)
			}
			o := Options{Loss: kernels.LossParams{Divergence: tc.div, Temperature: T, Alpha: 1}, Steps: 5,
				Schedule: Schedule{Kind: ScheduleConstant, LR: 1e-3}}
			if _, err := NewTrainer(b, teacher, master, data, o); err == nil || !strings.Contains(err.Error(), "vocabulary") {
				t.Fatalf("without the tokenizer's vocabulary: err = %v, want a vocabulary refusal", err)
			}
			o.TokenVocab = tokVocab
			tr, err := NewTrainer(b, teacher, master, data, o)
			if err != nil {
				t.Fatal(err)
			}
			ref, _ := corpus.NewSampler(tokens, 16, 4, 11)
			ids, targets := make([]int32, 64), make([]int32, 64)
			ref.Next(ids, targets)
			ls := tr.Student.Logits(nil, ids, 4, 16)
			lt := teacher.Logits(nil, ids, 4, 16)
			var want float64
			for n := range 64 {
				p := logSoftmax64(lt[n*tc.teacherV:n*tc.teacherV+tokVocab], T)
				q := logSoftmax64(ls[n*tc.stuV:(n+1)*tc.stuV], T)
				for i := range tokVocab { // the teacher has no mass on padding ids
					want += math.Exp(p[i]) * (p[i] - q[i])
				}
			}
			want *= T * T / 64
			m, err := tr.TrainStep()
			if err != nil {
				t.Fatal(err)
			}
			if tc.div == kernels.ReverseKL {
				// Padding costs a large but finite penalty; only finiteness
				// and a drop over training are checked.
				if math.IsInf(m.Loss, 0) || math.IsNaN(m.Loss) || m.Skipped {
					t.Fatalf("reverse KL loss %g (skipped %v)", m.Loss, m.Skipped)
				}
				return
			}
			if d := math.Abs(m.Loss - want); d > 1e-4*math.Abs(want)+1e-5 {
				t.Errorf("first-step loss %.6f, reference without padding %.6f", m.Loss, want)
			}
			for tr.Step < o.Steps {
				if m, err = tr.TrainStep(); err != nil || m.Skipped || math.IsNaN(m.Loss) {
					t.Fatalf("step %d: loss %g, skipped %v, err %v", tr.Step, m.Loss, m.Skipped, err)
				}
			}
		})
	}
}

// logSoftmax64 returns log softmax(z / T) in float64.
func logSoftmax64(z []float32, T float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = max(mx, float64(v)/T)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v)/T - mx)
	}
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = float64(v)/T - mx - math.Log(s)
	}
	return out
}
