package generate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/distill-dev/distill/internal/sysmem"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// Options controls sampling. The zero value is greedy decoding of
// up to the model's context length, stopping at EOS.
type Options struct {
	MaxTokens   int     // new tokens to generate; <= 0 means until the context is full
	Temperature float32 // 0 = greedy (argmax)
	TopP        float32 // nucleus sampling mass in (0, 1); 0 or >= 1 disables it
	Seed        uint64  // seed of the PCG generator; same seed, same text
	// Stop are the end-of-text ids: generation stops after emitting one
	// (checkpoint.Loaded.EndIDs gives a checkpoint's own). Nil in Text
	// means the tokenizer's EOS; nil in IDs means none.
	Stop      []int32
	IgnoreEOS bool // keep generating after an end-of-text id (benchmarks)
	// NoBOS suppresses the BOS token that is otherwise prepended when the
	// tokenizer's format asks for it (llama2.c, Llama).
	NoBOS bool
	// VocabLimit, when > 0, restricts sampling to ids below it. Text
	// sets it to the tokenizer's size, so that a model whose vocabulary is
	// padded (llm.c's 50304 for GPT-2's 50257) never emits an id the
	// tokenizer cannot decode.
	VocabLimit int
}

// Stop says why generation stopped.
type Stop string

const (
	StopEOS       Stop = "eos"        // the model emitted an end-of-text id (Options.Stop)
	StopMaxTokens Stop = "max_tokens" // Options.MaxTokens new tokens were generated
	StopContext   Stop = "context"    // the model's context is full
)

// PromptIDs returns the ids Text feeds for prompt: its tokens, after BOS
// when the tokenizer's format prepends one (llama2.c, Llama) and
// !opts.NoBOS. Text's result starts with exactly these ids.
func PromptIDs(tok tokenizer.Tokenizer, prompt string, opts Options) []int32 {
	return tok.Encode(prompt, addsBOS(tok) && !opts.NoBOS, false)
}

// Text continues prompt with model m and its tokenizer tok. It returns every token id of
// the sequence (BOS if any, the prompt, then the generated tokens) and the
// decoded text of the whole sequence (prompt included, control tokens
// omitted), and why it stopped. onToken, when not nil, receives the text
// of each generated token as it is produced. It uses a KV cache, so each
// step costs one token's forward pass.
func Text(m *model.Model, tok tokenizer.Tokenizer, prompt string, opts Options, onToken func(piece string)) (ids []int32, text string, stop Stop, err error) {
	if m == nil || tok == nil {
		return nil, "", "", errors.New("generate: Text needs a model and a tokenizer")
	}
	if opts.Stop == nil && tok.EOS() >= 0 {
		opts.Stop = []int32{tok.EOS()}
	}
	ids = PromptIDs(tok, prompt, opts)
	if opts.VocabLimit <= 0 || opts.VocabLimit > tok.VocabSize() {
		opts.VocabLimit = tok.VocabSize()
	}
	var emit func(prev, id int32)
	if onToken != nil {
		emit = func(prev, id int32) { onToken(tok.DecodeToken(prev, id)) }
	}
	ids, stop, err = IDs(m, ids, opts, emit)
	if err != nil {
		return nil, "", "", err
	}
	return ids, tok.Decode(ids), stop, nil
}

// addsBOS reports whether tok's format prepends BOS (llama2.c and
// SentencePiece Llama do, GPT-2 does not).
func addsBOS(tok tokenizer.Tokenizer) bool {
	if v := tokenizer.VocabOf(tok); v != nil {
		return v.AddBOS && tok.BOS() >= 0
	}
	return tok.BOS() >= 0
}

// IDs continues the token sequence prompt with m and returns prompt
// followed by the new tokens, and why it stopped. emit, when not nil, is
// called with (previous id, new id) for each new token.
func IDs(m *model.Model, prompt []int32, opts Options, emit func(prev, id int32)) ([]int32, Stop, error) {
	if len(prompt) == 0 {
		return nil, "", errors.New("generate: empty prompt (no BOS and no text)")
	}
	maxT := m.MaxSeqLen()
	if len(prompt) >= maxT {
		return nil, "", fmt.Errorf("generate: prompt of %d tokens leaves no room in the context of %d", len(prompt), maxT)
	}
	if opts.Temperature < 0 || math.IsNaN(float64(opts.Temperature)) {
		return nil, "", fmt.Errorf("generate: temperature %g must be >= 0", opts.Temperature)
	}
	V := m.VocabSize()
	for i, id := range prompt {
		if id < 0 || int(id) >= V {
			return nil, "", fmt.Errorf("generate: prompt token %d (position %d) outside the vocabulary [0, %d)", id, i, V)
		}
	}
	n, stop := opts.MaxTokens, StopMaxTokens
	if n <= 0 || len(prompt)+n > maxT {
		n, stop = maxT-len(prompt), StopContext
	}
	if opts.VocabLimit > 0 && opts.VocabLimit < V {
		V = opts.VocabLimit
	}
	// The cache holds prompt + new tokens, no more; a model claiming a huge
	// context with MaxTokens 0 ("until the context is full") is refused
	// here rather than allocating what the machine does not have.
	if err := m.CheckKVCache(1, len(prompt)+n, KVCacheBudget()); err != nil {
		if opts.MaxTokens <= 0 {
			return nil, "", fmt.Errorf("generate: the model claims a context of %d tokens, and generating until it is full (MaxTokens 0, --max-tokens 0) does not fit: %w", maxT, err)
		}
		return nil, "", fmt.Errorf("generate: %w", err)
	}
	s := newSampler(V, opts)
	cache := m.NewKVCache(1, len(prompt)+n)
	defer cache.Free()
	ids := append([]int32(nil), prompt...)
	var logits []float32
	feed := prompt
	for range n {
		out := m.Forward(feed, 1, len(feed), cache)
		last := m.Backend.View(out, len(feed)-1, len(feed))
		logits = m.Backend.ToFloat32(last, logits)
		next := s.sample(logits[:V])
		prev := ids[len(ids)-1]
		ids = append(ids, next)
		if emit != nil {
			emit(prev, next)
		}
		if !opts.IgnoreEOS && slices.Contains(opts.Stop, next) {
			return ids, StopEOS, nil
		}
		feed = ids[len(ids)-1:]
	}
	return ids, stop, nil
}

// KVCacheBudget is the most memory generation gives its KV cache: half of
// what the machine (or cgroup) has, leaving the rest to the weights and
// everything else; 0 (no limit) when that is unknown.
func KVCacheBudget() int64 { return sysmem.Limit() / 2 }

// sampler picks the next token from logits: argmax at temperature 0, else
// a draw from softmax(logits / temperature), restricted to the smallest set
// of most likely tokens whose mass reaches TopP when 0 < TopP < 1.
type sampler struct {
	temp, topP float32
	rng        *rand.Rand
	probs      []float64
	order      []int32
}

func newSampler(V int, o Options) *sampler {
	return &sampler{
		temp: o.Temperature, topP: o.TopP,
		rng:   rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		probs: make([]float64, V), order: make([]int32, V),
	}
}

func (s *sampler) sample(logits []float32) int32 {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	if s.temp == 0 {
		return int32(best)
	}
	// Softmax in float64 with the max subtracted.
	maxv := float64(logits[best])
	sum := 0.0
	for i, v := range logits {
		p := math.Exp((float64(v) - maxv) / float64(s.temp))
		s.probs[i] = p
		sum += p
	}
	for i := range s.probs {
		s.probs[i] /= sum
	}
	r := s.rng.Float64()
	if s.topP > 0 && s.topP < 1 {
		for i := range s.order {
			s.order[i] = int32(i)
		}
		sort.SliceStable(s.order, func(a, b int) bool { return s.probs[s.order[a]] > s.probs[s.order[b]] })
		mass, k := 0.0, 0
		for k < len(s.order) {
			mass += s.probs[s.order[k]]
			k++
			if mass >= float64(s.topP) {
				break
			}
		}
		r *= mass
		acc := 0.0
		for _, id := range s.order[:k] {
			acc += s.probs[id]
			if r < acc {
				return id
			}
		}
		return s.order[k-1]
	}
	acc := 0.0
	for i, p := range s.probs {
		acc += p
		if r < acc {
			return int32(i)
		}
	}
	return int32(best)
}
