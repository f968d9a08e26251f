package corpus

import (
	"fmt"
	"math/rand/v2"
)

// Sampler cuts a token stream into non-overlapping windows of SeqLen+1
// tokens (window w starts at w*SeqLen; its first SeqLen tokens are the
// input, its last SeqLen the targets) and serves them in an order that
// depends only on the seed: epoch e visits the windows in the permutation
// drawn from PCG(seed, e). (Epoch, Pos) is the whole state, so a resumed
// run sees the same batches as one never stopped.
type Sampler struct {
	tokens        []int32
	SeqLen, Batch int
	Seed          uint64
	Epoch, Pos    int
	Last          []int // window indices of the last batch
	perm          []int
	permEpoch     int
}

// NewSampler checks that tokens hold at least one batch of windows.
func NewSampler(tokens []int32, seqLen, batch int, seed uint64) (*Sampler, error) {
	if seqLen < 1 || batch < 1 {
		return nil, fmt.Errorf("corpus: sampler needs seq_len >= 1 and batch >= 1, got %d and %d", seqLen, batch)
	}
	if n := (len(tokens) - 1) / seqLen; n < batch {
		return nil, fmt.Errorf("corpus: %d tokens make %d windows of %d, fewer than one batch of %d", len(tokens), max(n, 0), seqLen+1, batch)
	}
	return &Sampler{tokens: tokens, SeqLen: seqLen, Batch: batch, Seed: seed, permEpoch: -1}, nil
}

// Tokens returns the stream the sampler cuts (not to be modified).
func (s *Sampler) Tokens() []int32 { return s.tokens }

// Windows is the number of windows per epoch.
func (s *Sampler) Windows() int { return (len(s.tokens) - 1) / s.SeqLen }

// Next fills ids and targets (Batch*SeqLen each) with the next batch.
func (s *Sampler) Next(ids, targets []int32) {
	T := s.SeqLen
	s.Last = s.Last[:0]
	for b := range s.Batch {
		if s.Pos >= s.Windows() {
			s.Epoch, s.Pos = s.Epoch+1, 0
		}
		if s.permEpoch != s.Epoch {
			s.perm = rand.New(rand.NewPCG(s.Seed, uint64(s.Epoch))).Perm(s.Windows())
			s.permEpoch = s.Epoch
		}
		start := s.perm[s.Pos] * T
		s.Last = append(s.Last, s.perm[s.Pos])
		s.Pos++
		copy(ids[b*T:(b+1)*T], s.tokens[start:start+T])
		copy(targets[b*T:(b+1)*T], s.tokens[start+1:start+T+1])
	}
}
