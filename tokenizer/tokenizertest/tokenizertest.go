// Package tokenizertest builds small vocabularies for tests of packages
// that need a tokenizer (checkpoint round trips, generation), and for the
// random models of cmd/scalebench. Nothing else imports it.
package tokenizertest

import (
	"fmt"

	"github.com/distill-dev/distill/tokenizer"
)

// Tiny is a llama-style vocabulary: <unk>, <s>, </s>, the 256 byte
// tokens, then a few pieces, n tokens in all.
func Tiny(n int) *tokenizer.Vocab {
	v := &tokenizer.Vocab{Model: tokenizer.ModelLlama, BOS: 1, EOS: 2, UNK: 0, PAD: -1, AddBOS: true}
	add := func(s string, typ tokenizer.TokenType) {
		v.Tokens = append(v.Tokens, s)
		v.Types = append(v.Types, typ)
		v.Scores = append(v.Scores, float32(-len(v.Tokens)))
	}
	add("<unk>", tokenizer.TokenUnknown)
	add("<s>", tokenizer.TokenControl)
	add("</s>", tokenizer.TokenControl)
	for i := range 256 {
		add(fmt.Sprintf("<0x%02X>", i), tokenizer.TokenByte)
	}
	pieces := []string{"▁", "e", "t", "a", "o", "n", "▁t", "he", "▁the", "▁a", "in", "s", "r", "d"}
	for i := 0; len(v.Tokens) < n; i++ {
		p := pieces[i%len(pieces)]
		if i >= len(pieces) {
			p = fmt.Sprintf("%s%d", p, i)
		}
		add(p, tokenizer.TokenNormal)
	}
	return v
}
