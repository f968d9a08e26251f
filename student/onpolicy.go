package student

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/distill-dev/distill/generate"
)

// On-policy distillation (GKD: Agarwal et al. 2024, TRL's GKDTrainer). For
// a fraction Lambda of the micro-batches, each window of the batch keeps
// its first T+1-MaxNewTokens tokens as a prompt and the current student
// continues it by MaxNewTokens tokens (package generate: KV cache,
// softmax at Temperature, 0 greedy). The student then trains on those
// sequences against the teacher's distribution at the sampled positions
// only (the prompt's are masked), with the configured divergence at full
// weight: the cross-entropy term of loss mix is dropped on them, since the
// student's own samples are no ground truth.
//
// Which micro-batches are sampled, and every sample, come from PCG
// generators keyed on the data seed and the number of micro-batches drawn
// so far (Trainer.Batches, saved in the checkpoint), so a run is
// deterministic and a resumed run draws what an uninterrupted one would.

// OnPolicyOptions configure on-policy distillation.
type OnPolicyOptions struct {
	Lambda       float64 // fraction of micro-batches sampled from the student, in [0, 1]
	MaxNewTokens int     // tokens sampled per window, in [1, seq_len]
	Temperature  float64 // sampling temperature; 0: greedy
}

// onPolicySalt separates the on-policy generators from the sampler's
// permutations, which use the same data seed.
const onPolicySalt = 0x6f6e2d706f6c6963 // "on-polic"

// check validates o against the training windows of seqLen tokens.
func (o *OnPolicyOptions) check(seqLen int) error {
	switch {
	case !(o.Lambda >= 0 && o.Lambda <= 1):
		return fmt.Errorf("student: on-policy lambda %g outside [0, 1] (the fraction of batches sampled from the student)", o.Lambda)
	case o.MaxNewTokens < 1:
		return fmt.Errorf("student: on-policy max_new_tokens %d must be >= 1", o.MaxNewTokens)
	case seqLen > 0 && o.MaxNewTokens > seqLen:
		return fmt.Errorf("student: on-policy max_new_tokens %d is beyond the training context seq_len %d (samples continue prompts cut from its windows)", o.MaxNewTokens, seqLen)
	case !(o.Temperature >= 0) || math.IsInf(o.Temperature, 0):
		return fmt.Errorf("student: on-policy temperature %g must be a finite number >= 0", o.Temperature)
	}
	return nil
}

// checkOnPolicy refuses what on-policy training cannot do: a cached
// teacher cannot score new samples, and hard labels only run no teacher.
func (t *Trainer) checkOnPolicy() error {
	op := t.Opts.OnPolicy
	if op == nil {
		return nil
	}
	if t.Opts.Cache != nil {
		return errors.New("student: on-policy distillation needs the online teacher: a cached soft-label file cannot score the student's new samples; drop the soft-label cache (soft_labels mode online)")
	}
	if t.Teacher == nil {
		return errors.New("student: on-policy distillation needs alpha > 0: the teacher scores the student's samples")
	}
	if err := op.check(t.Data.SeqLen); err != nil {
		return err
	}
	if P := t.Data.SeqLen + 1 - op.MaxNewTokens; P >= t.Config.MaxSeqLen {
		return fmt.Errorf("student: on-policy max_new_tokens %d leaves a prompt of %d tokens, which fills the student's context of %d: sample 2 or more", op.MaxNewTokens, P, t.Config.MaxSeqLen)
	}
	return nil
}

// onPolicyBatch draws whether the micro-batch just taken from the sampler
// is sampled from the student and, if so, replaces each window's
// continuation by the student's and masks the prompt's targets (-1). It
// returns the number of scored rows (B*T when the batch stays as it is).
func (t *Trainer) onPolicyBatch() (int, error) {
	B, T := t.Data.Batch, t.Data.SeqLen
	op := t.Opts.OnPolicy
	if op == nil {
		return B * T, nil
	}
	rng := rand.New(rand.NewPCG(t.Data.Seed^onPolicySalt, uint64(t.Batches)))
	t.Batches++
	if !(rng.Float64() < op.Lambda) {
		return B * T, nil
	}
	N := op.MaxNewTokens
	P := T + 1 - N // prompt tokens kept from the window (its T+1 tokens: ids and the last target)
	g := generate.Options{MaxTokens: N, Temperature: float32(op.Temperature), IgnoreEOS: true, VocabLimit: t.Opts.TokenVocab}
	scored := 0
	for r := range B {
		ids, targets := t.ids[r*T:(r+1)*T], t.targets[r*T:(r+1)*T]
		g.Seed = rng.Uint64()
		seq, _, err := generate.IDs(t.Student, ids[:P], g, nil)
		if err != nil {
			return 0, fmt.Errorf("student: on-policy sampling: %w", err)
		}
		// seq is the prompt and up to N new tokens (fewer when the
		// student's context ends first; their targets stay masked).
		copy(ids[P:], seq[P:min(len(seq), T)])
		for i := range targets {
			targets[i] = -1
			if i+1 >= P && i+1 < len(seq) {
				targets[i] = seq[i+1]
				scored++
			}
		}
	}
	t.OnPolicyBatches++
	return scored, nil
}
