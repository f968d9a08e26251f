package student

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/generate"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// TestOnPolicyBatches checks the sampled micro-batches: a deterministic
// share of them, each window's prompt kept and its targets masked, the
// MaxNewTokens sampled tokens scored, and the same run twice giving the
// same weights.
func TestOnPolicyBatches(t *testing.T) {
	o := kdOptions()
	o.Steps = 20
	o.OnPolicy = &OnPolicyOptions{Lambda: 0.5, MaxNewTokens: 5, Temperature: 1}
	tr := newRun(t, o)
	B, T := tr.Data.Batch, tr.Data.SeqLen
	P := T + 1 - 5
	sampled := 0
	for range 40 {
		tr.Data.Next(tr.ids, tr.targets)
		window := slices.Clone(tr.ids)
		rows, err := tr.onPolicyBatch()
		if err != nil {
			t.Fatal(err)
		}
		if rows == B*T {
			continue
		}
		sampled++
		if rows != B*5 {
			t.Fatalf("%d scored rows, want %d", rows, B*5)
		}
		for r := range B {
			ids, tg := tr.ids[r*T:(r+1)*T], tr.targets[r*T:(r+1)*T]
			if !slices.Equal(ids[:P], window[r*T:r*T+P]) {
				t.Fatalf("row %d: the prompt changed", r)
			}
			for i := range T {
				if masked := tg[i] < 0; masked != (i < P-1) {
					t.Fatalf("row %d position %d: target %d (prompt of %d)", r, i, tg[i], P)
				}
				if i >= P-1 && i+1 < T && tg[i] != ids[i+1] {
					t.Fatalf("row %d position %d: target %d is not the next sampled token %d", r, i, tg[i], ids[i+1])
				}
			}
		}
	}
	if sampled < 10 || sampled > 30 || int64(sampled) != tr.OnPolicyBatches {
		t.Errorf("%d of 40 micro-batches sampled (counted %d), want about half", sampled, tr.OnPolicyBatches)
	}
	_, a := run(t, o, 8, nil)
	_, b := run(t, o, 8, nil)
	if !slices.Equal(a.b.ToFloat32(a.Master.Flat, nil), b.b.ToFloat32(b.Master.Flat, nil)) || a.OnPolicyBatches == 0 {
		t.Errorf("two on-policy runs differ (%d sampled batches)", a.OnPolicyBatches)
	}
}

// TestOnPolicyRefusals: settings on-policy training cannot honour are
// refused before the first step, saying why.
func TestOnPolicyRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Options)
		want string
	}{
		{"lambda", func(o *Options) { o.OnPolicy.Lambda = 1.5 }, "lambda 1.5 outside [0, 1]"},
		{"negative lambda", func(o *Options) { o.OnPolicy.Lambda = -0.1 }, "outside [0, 1]"},
		{"beyond context", func(o *Options) { o.OnPolicy.MaxNewTokens = 17 }, "max_new_tokens 17 is beyond the training context seq_len 16"},
		{"no tokens", func(o *Options) { o.OnPolicy.MaxNewTokens = 0 }, "must be >= 1"},
		{"temperature", func(o *Options) { o.OnPolicy.Temperature = -1 }, "temperature -1"},
		{"hard labels", func(o *Options) { o.Loss.Alpha = 0 }, "needs alpha > 0"},
	} {
		o := kdOptions()
		o.Steps = 1
		o.OnPolicy = &OnPolicyOptions{Lambda: 0.5, MaxNewTokens: 4, Temperature: 1}
		tc.set(&o)
		tr := newRunErr(t, o)
		if tr == nil || !strings.Contains(tr.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, tr, tc.want)
		}
	}
}

// TestOnPolicyLowersOwnSampleKL is the short version of issue 13's
// on-policy comparison: a 2-layer stories260K student trained by
// reverse-KL KD (the mode-seeking divergence MiniLLM and GKD pair with
// student samples) with the same steps, data order and seed, once on the
// training text only and once with half of the batches sampled from itself
// (lambda 0.5). On continuations each final student samples from held-out
// prompts (the exposure-bias setting on-policy training targets), the
// on-policy student's KL(teacher || student) per sampled token must be
// lower, i.e. have dropped more from the common initial student's.
//
// Measured (data seeds 42, 7, 1234): 1.81 vs 2.14, 1.86 vs 1.95, 1.86 vs
// 1.96. With forward-KL KD at this scale on-policy batches do not help
// (0.96 vs 0.91 at seed 42), and validation perplexity is slightly worse
// with on-policy batches in every case (half the positions of a sampled
// batch are scored): the claim tested is the direction GKD promises, KL on
// the student's own generations, for the divergence it is used with.
func TestOnPolicyLowersOwnSampleKL(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two students (about 15 s)")
	}
	const steps, B, T, N = 120, 8, 64, 32
	tch, train, valid := storiesData(t, 600_000, 60_000)
	defer tch.Close()
	var prompts [][]int32
	for i := 0; len(prompts) < 24 && (i+1)*T <= len(valid); i++ {
		prompts = append(prompts, valid[i*T:i*T+T-N])
	}
	loss := kernels.LossParams{Divergence: kernels.ReverseKL, Temperature: 1, Alpha: 1}
	init := trainStories(t, tch, train, 0, B, T, 42, Options{Loss: loss})
	kl0 := ownSampleKL(t, init.Student, tch.Model, prompts, N)
	kl := map[bool]float64{}
	for _, onPolicy := range []bool{false, true} {
		o := Options{Loss: loss}
		if onPolicy {
			o.OnPolicy = &OnPolicyOptions{Lambda: 0.5, MaxNewTokens: N, Temperature: 1}
		}
		start := time.Now()
		tr := trainStories(t, tch, train, steps, B, T, 42, o)
		secs := time.Since(start).Seconds()
		kl[onPolicy] = ownSampleKL(t, tr.Student, tch.Model, prompts, N)
		t.Logf("on-policy %-5v: KL on own samples %.4f (initial %.4f, drop %.4f); %d of %d batches sampled; %.0f tokens/s",
			onPolicy, kl[onPolicy], kl0, kl0-kl[onPolicy], tr.OnPolicyBatches, tr.Batches, float64(tr.Tokens)/secs)
	}
	if !(kl[true] < kl[false]) {
		t.Errorf("KL on the student's own samples: on-policy %.4f, off-policy %.4f (initial %.4f): on-policy did not lower it more", kl[true], kl[false], kl0)
	}
}

// ownSampleKL is the mean KL(teacher || student) per token over the
// continuations of n tokens the student samples (temperature 1, fixed
// seeds) from each prompt.
func ownSampleKL(t *testing.T, s, tch *model.Model, prompts [][]int32, n int) float64 {
	t.Helper()
	var sum float64
	var count int
	for i, p := range prompts {
		seq, _, err := generate.IDs(s, p, generate.Options{MaxTokens: n, Temperature: 1, Seed: uint64(1000 + i), IgnoreEOS: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		L, V := len(seq)-1, s.VocabSize()
		ls, lt := s.Logits(nil, seq[:L], 1, L), tch.Logits(nil, seq[:L], 1, L)
		for pos := len(p) - 1; pos < L; pos++ {
			qs, pt := logSoftmax64(ls[pos*V:(pos+1)*V], 1), logSoftmax64(lt[pos*V:(pos+1)*V], 1)
			for j := range pt {
				sum += math.Exp(pt[j]) * (pt[j] - qs[j])
			}
			count++
		}
	}
	return sum / float64(count)
}
