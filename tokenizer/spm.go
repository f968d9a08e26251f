package tokenizer

import (
	"fmt"
	"strings"
)

// spmSpace is SentencePiece's meta symbol for a space, U+2581.
const spmSpace = "▁"

// prepend returns a normalizer that prefixes p to non-empty text (HF's
// Prepend normalizer; llama2.c's dummy prefix).
func prepend(p string) func(string) string {
	return func(s string) string {
		if s == "" {
			return s
		}
		return p + s
	}
}

func replaceAll(from, to string) func(string) string {
	return func(s string) string { return strings.ReplaceAll(s, from, to) }
}

// newSPMFromVocab builds a SentencePiece-style BPE tokenizer from a "llama"
// vocabulary, as llama.cpp does: spaces become "▁" (unless the pieces use
// plain spaces, as a llama2.c vocabulary does), a "▁" dummy prefix, one
// symbol per character with <0xXX> byte fallback (else the unknown token),
// then merges by Merges rank when given, else by Scores.
func newSPMFromVocab(name string, v *Vocab) (Tokenizer, error) {
	v = v.clone()
	t := &bpeTokenizer{name: name, v: v, pieces: v.Tokens, ids: indexPieces(v.Tokens),
		unk: v.UNK, fuseUnk: true, byteFallback: true, bos: v.BOS, eos: v.EOS}
	space := spaceOf(v.Tokens)
	switch {
	case len(v.Merges) > 0:
		m, err := splitMerges(v.Merges)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
		}
		if t.pairs, err = pairsFromMerges(m, t.ids); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
		}
	case v.Scores != nil:
		t.pairs = pairsFromScores(v.Tokens, v.Scores, t.ids)
	default:
		return nil, fmt.Errorf("tokenizer: %s: llama vocabulary has neither scores nor merges", name)
	}
	t.byteSym = byteTokenIDs(t.ids)
	if !v.NoSpacePrefix {
		t.norm = []func(string) string{prepend(space)}
	}
	if space != " " {
		t.norm = append(t.norm, replaceAll(" ", space))
	}
	t.splitAt = t.safeSplit(space)
	t.buildDecoded(spmDecode(space, !v.NoSpacePrefix))
	// User-defined tokens are matched in the text, as llama.cpp and
	// tokenizer.json do (Gemma's "\n\n", "<table>"). Control tokens too
	// for vocabularies without the dummy prefix (Gemma's tokenizer.json
	// matches "<start_of_turn>"); Llama 2 vocabularies keep llama2.c's and
	// llama.cpp's default of reading "<s>" in text as text.
	var added []addedToken
	for id, typ := range v.Types {
		control := typ == TokenControl || typ == TokenUnknown
		if typ == TokenUserDefined || control && v.NoSpacePrefix {
			added = append(added, addedToken{v.Tokens[id], int32(id)})
		}
	}
	t.added = newAddedMatcher(added)
	return t, nil
}

// spmDecode is the Llama 2 decoder chain: "▁" -> " ", byte fallback, and
// one leading space stripped at the start of the text when strip is set
// (the dummy prefix's).
func spmDecode(space string, strip bool) func(p string, first bool) string {
	return func(p string, first bool) string {
		p = strings.ReplaceAll(p, space, " ")
		if b, ok := parseByteToken(p); ok {
			return string([]byte{b})
		}
		if first && strip {
			p = strings.TrimPrefix(p, " ")
		}
		return p
	}
}
