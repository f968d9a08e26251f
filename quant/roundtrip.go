package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// RoundTrip is the result of reloading an exported file and running it
// beside the in-memory model.
type RoundTrip struct {
	Path         string  `json:"path"`
	Tokens       int     `json:"tokens"`         // positions compared
	MaxLogitDiff float64 `json:"max_logit_diff"` // max |logit difference| over all positions and vocabulary
	// TokenizerChecked says the reloaded tokenizer encoded the probe text
	// exactly as the original (a mismatch is an error).
	TokenizerChecked bool  `json:"tokenizer_checked"`
	FileBytes        int64 `json:"file_bytes"` // size of the weights file
}

// probeTokens returns n deterministic token ids in [0, vocab) (a fixed
// linear congruential sequence, so every export is checked on the same
// tokens).
func probeTokens(n, vocab int) []int32 {
	ids := make([]int32, n)
	x := uint32(12345)
	for i := range ids {
		x = x*1664525 + 1013904223
		ids[i] = int32((x >> 8) % uint32(vocab))
	}
	return ids
}

// checkReload loads path with checkpoint.Load on b and compares its logits
// on probe tokens with those of the model built from src.
// ProbeText is the text whose encoding a round trip compares.
const ProbeText = "Once upon a time, Lily saw a big dog in the park. She said: \"Hello!\" 123 naïve café"

func checkReload(path string, cfg model.Config, src model.TensorSource, b kernels.Backend, tok tokenizer.Tokenizer) (RoundTrip, error) {
	rt := RoundTrip{Path: path}
	ref, err := model.New(cfg, b, src)
	if err != nil {
		return rt, fmt.Errorf("quant: round trip: in-memory model: %w", err)
	}
	defer ref.Free()
	tc, err := checkpoint.Load(path, b, checkpoint.LoadOptions{})
	if err != nil {
		return rt, fmt.Errorf("quant: round trip: reloading %s: %w", path, err)
	}
	defer tc.Close()
	if tc.Config.VocabSize != cfg.VocabSize || tc.Config.NLayers != cfg.NLayers || tc.Config.Dim != cfg.Dim {
		return rt, fmt.Errorf("quant: round trip: %s reloads as %s, want %s", path, tc.Config, cfg)
	}
	T := min(64, cfg.MaxSeqLen)
	ids := probeTokens(T, cfg.VocabSize)
	a := ref.Logits(nil, ids, 1, T)
	bl := tc.Model.Logits(nil, ids, 1, T)
	rt.Tokens = T
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(bl[i]))
		if math.IsNaN(d) {
			return rt, fmt.Errorf("quant: round trip: %s gives NaN logits", path)
		}
		rt.MaxLogitDiff = max(rt.MaxLogitDiff, d)
	}
	if tok != nil {
		if tc.Tokenizer == nil {
			return rt, fmt.Errorf("quant: round trip: %s has no tokenizer", path)
		}
		want, got := tok.Encode(ProbeText, true, false), tc.Tokenizer.Encode(ProbeText, true, false)
		if !slices.Equal(want, got) {
			return rt, fmt.Errorf("quant: round trip: %s encodes %q as %v, the original tokenizer as %v", path, ProbeText, got, want)
		}
		rt.TokenizerChecked = true
	}
	return rt, nil
}
