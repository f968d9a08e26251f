package checkpoint

import (
	"fmt"
	"slices"

	"github.com/distill-dev/distill/tokenizer"
)

// MetaTokenizerHash is the metadata key (GGUF, safetensors header) under
// which distill's writers record tokenizer.Hash of the tokenizer the model
// was written with; Load compares it with the tokenizer it pairs the
// model with.
const MetaTokenizerHash = "distill.tokenizer_sha256"

// paddingRows is how many embedding rows beyond the tokenizer's tokens a
// checkpoint may carry as padding (llm.c pads GPT-2's 50257 to 50304, Qwen
// 151665 to 151936): at most 1% of the rows, or 128.
func paddingRows(rows int) int { return max(128, rows/100) }

// checkTokenizer refuses a tokenizer that does not belong to the model:
// more tokens than embedding rows, or fewer by more than padding explains;
// BOS or EOS ids that differ from the model's; or a tokenizer hash other
// than the one a distill writer recorded.
func checkTokenizer(ck *checkpoint, tok tokenizer.Tokenizer) error {
	n, rows := tok.VocabSize(), ck.cfg.VocabSize
	switch {
	case n > rows:
		return fmt.Errorf("%d tokens, the model only %d embedding rows", n, rows)
	case rows-n > paddingRows(rows):
		return fmt.Errorf("%d tokens for the model's %d embedding rows: more padding rows than %d, so not this model's tokenizer", n, rows, paddingRows(rows))
	}
	for _, id := range []struct {
		name       string
		model, tok int32
	}{{"BOS", ck.cfg.BOS, tok.BOS()}, {"EOS", ck.cfg.EOS, tok.EOS()}} {
		if id.model >= 0 && id.tok >= 0 && id.model != id.tok {
			return fmt.Errorf("%s id %d, the model's is %d: not this model's tokenizer", id.name, id.tok, id.model)
		}
	}
	if want := ck.meta[MetaTokenizerHash]; want != "" {
		got, err := tokenizer.Hash(tok)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("its hash %.12s… differs from the %.12s… the model was written with: not this model's tokenizer (use the tokenizer it was trained with)", got, want)
		}
	}
	return nil
}

// tokenizerHashMeta returns the MetaTokenizerHash entry a writer records
// for tok: its hash; "" for a nil tokenizer (a caller may then give the
// hash of the tokenizer the model belongs to in extra). A hash in extra
// that contradicts tok is refused.
func tokenizerHashMeta[V any](tok tokenizer.Tokenizer, extra map[string]V) (string, error) {
	if tok == nil {
		return "", nil
	}
	h, err := tokenizer.Hash(tok)
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if v, ok := extra[MetaTokenizerHash]; ok && fmt.Sprint(v) != h {
		return "", fmt.Errorf("checkpoint: metadata %s = %v is not the hash of the tokenizer written (%s)", MetaTokenizerHash, v, h)
	}
	return h, nil
}

// CompareTokenizers returns nil when tokenizer b (named nameB in errors)
// is tokenizer a (nameA): the same token at every id, the same BOS and
// EOS, and the same hash (merges, normalizer, pre-tokenizer). Ids one has
// beyond the other must be unused padding. Otherwise the error names both
// tokenizers and the first token that differs. A teacher and its student,
// and a model and a tokenizer given for it, must pass.
func CompareTokenizers(nameA string, a tokenizer.Tokenizer, nameB string, b tokenizer.Tokenizer) error {
	if err := compareTokenizers(nameA, a, nameB, b); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func compareTokenizers(nameA string, a tokenizer.Tokenizer, nameB string, b tokenizer.Tokenizer) error {
	va, vb := tokenizer.VocabOf(a), tokenizer.VocabOf(b)
	if va == nil || vb == nil {
		return fmt.Errorf("cannot compare tokenizers %s and %s (one was not made by the tokenizer package)", nameA, nameB)
	}
	differ := func(format string, args ...any) error {
		return fmt.Errorf("tokenizer %s differs from %s: %s; a model needs the tokenizer it was trained with", nameB, nameA, fmt.Sprintf(format, args...))
	}
	for i := range min(len(va.Tokens), len(vb.Tokens)) {
		// Converters spell control tokens differently (llama2.c's
		// "\n<s>\n", GGUF's "<s>"): their ids are what count.
		control := va.Types[i] == tokenizer.TokenControl && vb.Types[i] == tokenizer.TokenControl
		if va.Tokens[i] != vb.Tokens[i] && !control {
			return differ("token %d is %q in %s, %q in %s", i, vb.Tokens[i], nameB, va.Tokens[i], nameA)
		}
	}
	for _, extra := range []struct {
		name string
		v    *tokenizer.Vocab
		n    int
	}{{nameA, va, len(vb.Tokens)}, {nameB, vb, len(va.Tokens)}} {
		for i := extra.n; i < len(extra.v.Tokens); i++ {
			if extra.v.Types[i] != tokenizer.TokenUnused {
				return differ("token %d %q of %s is absent from the other (%d tokens against %d)", i, extra.v.Tokens[i], extra.name, len(va.Tokens), len(vb.Tokens))
			}
		}
	}
	if va.BOS != vb.BOS || va.EOS != vb.EOS {
		return differ("BOS, EOS ids %d, %d in %s, %d, %d in %s", vb.BOS, vb.EOS, nameB, va.BOS, va.EOS, nameA)
	}
	ha, err := tokenizer.HashVocab(va)
	if err != nil {
		return err
	}
	hb, err := tokenizer.HashVocab(vb)
	if err != nil {
		return err
	}
	if ha != hb && slices.Equal(va.Tokens, vb.Tokens) {
		return differ("the same tokens, but other merges or rules (hash %.12s… against %.12s…)", hb, ha)
	}
	return nil
}
