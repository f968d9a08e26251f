package tokenizer

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// TrainBPE learns a SentencePiece-style BPE vocabulary of exactly vocabSize
// tokens from texts (one document each), laid out as llama2.c's trained
// tokenizers are (tok512):
//
//	0 <unk>, 1 <s>, 2 </s>            control tokens, score -1e10
//	3..258 <0x00>..<0xFF>             byte fallback, score -1e10
//	merges, in the order learned      score -rank (0, -1, -2, ...)
//	characters, most frequent first   scores continuing below the merges
//
// tok512 scores its control and byte tokens 0, the same as its first merge;
// here they score llama2.c's floor -1e10, which run.c (and this package)
// never merges into, so that text spelling "<unk>" or "<0x41>" cannot be
// merged into those tokens, and decoding gives back that text.
//
// Spaces are "▁" in the Vocab (" " in the tokenizer.bin that WriteLlama2C
// writes). Encoding with the result (FromVocab, or LoadLlama2C of the
// written file) reproduces the training: see the doc of trainWords.
//
// Every distinct character of texts gets a token when the budget allows
// (vocabSize - 259 tokens); otherwise the rarest characters are left to byte
// fallback. The remaining budget is filled with merges; TrainBPE fails when
// the text runs out of pairs to merge before that.
func TrainBPE(texts []string, vocabSize int) (*Vocab, error) {
	const fixed = 3 + 256
	if vocabSize <= fixed {
		return nil, fmt.Errorf("tokenizer: TrainBPE: vocabulary size %d leaves no room after the %d control and byte tokens", vocabSize, fixed)
	}
	words, chars := countWords(texts)
	if len(chars) == 0 {
		return nil, fmt.Errorf("tokenizer: TrainBPE: no text to train on (no characters but byte-fallback ones)")
	}
	chars = chars[:min(len(chars), vocabSize-fixed)]
	nMerges := vocabSize - fixed - len(chars)

	v := &Vocab{Model: ModelLlama, BOS: llama2cBOS, EOS: llama2cEOS, UNK: 0, PAD: -1, AddBOS: true}
	add := func(piece string, score float32, typ TokenType) {
		v.Tokens = append(v.Tokens, strings.ReplaceAll(piece, " ", spmSpace))
		v.Scores = append(v.Scores, score)
		v.Types = append(v.Types, typ)
	}
	add("<unk>", llama2cMinScore, TokenUnknown)
	add("<s>", llama2cMinScore, TokenControl)
	add("</s>", llama2cMinScore, TokenControl)
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b), llama2cMinScore, TokenByte)
	}
	reserved := make(map[string]bool, fixed+len(chars))
	for _, t := range v.Tokens {
		reserved[t] = true
	}
	for _, c := range chars {
		reserved[c.s] = true
	}
	merges := trainWords(words, chars, reserved, nMerges)
	if len(merges) < nMerges {
		return nil, fmt.Errorf("tokenizer: TrainBPE: the text allows only %d merges, %d needed for %d tokens (%d characters): use a smaller vocabulary or more text",
			len(merges), nMerges, vocabSize, len(chars))
	}
	for r, m := range merges {
		add(m, -float32(r), TokenNormal)
	}
	for i, c := range chars {
		add(c.s, -float32(nMerges+i), TokenNormal)
	}
	return v, nil
}

// charCount is a character and how often it occurs.
type charCount struct {
	s string
	n int
}

// countWords splits every text as llama2.c's encoder sees it (" " + text,
// cut before every space, so each word but a leading-space run starts with
// one space) and counts the distinct words and the characters. Characters
// come back most frequent first, ties by their text. "▁" and invalid UTF-8
// bytes are not counted as characters: they stay byte tokens, so that the
// Vocab's "▁" always means a space.
func countWords(texts []string) (map[string]int, []charCount) {
	words := map[string]int{}
	for _, t := range texts {
		if t == "" {
			continue // the encoder adds no dummy prefix to empty text
		}
		t = " " + t
		for len(t) > 0 {
			end := strings.IndexByte(t[1:], ' ') + 1
			if end == 0 {
				end = len(t)
			}
			words[t[:end]]++
			t = t[end:]
		}
	}
	freq := map[string]int{}
	for w, n := range words {
		for i := 0; i < len(w); {
			r, size := utf8.DecodeRuneInString(w[i:])
			if !(r == utf8.RuneError && size == 1) && w[i:i+size] != spmSpace {
				freq[w[i:i+size]] += n
			}
			i += size
		}
	}
	chars := make([]charCount, 0, len(freq))
	for s, n := range freq {
		chars = append(chars, charCount{s, n})
	}
	slices.SortFunc(chars, func(a, b charCount) int {
		return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.s, b.s))
	})
	return words, chars
}

// trainWords learns up to nMerges merges (the merged pieces, best first).
//
// It keeps every distinct word segmented exactly as llama2.c's encoder
// would segment it with the vocabulary learned so far: symbols are the
// characters that have tokens (others are barriers that never merge, as
// their byte tokens never do), then, repeatedly, the adjacent pair whose
// concatenation is the earliest learned piece merges, leftmost first. Each
// step counts the adjacent pairs over all words (weighted by frequency),
// learns the most frequent one's concatenation as the next piece (ties: the
// smaller left piece, then right), and re-segments the words containing
// it. Because the segmentations are the encoder's own, a score of -rank
// per piece makes the encoder reproduce them: training and encoding agree
// on every training word, not merely on the merge list.
//
// Some pieces are never learned: one equal to a reserved string (a
// control, byte or character token), so that every piece has one id; one
// longer than maxMergedLen, which the encoder would not split into rules;
// and one spelling a byte token "<0xXX>" inside it, because the encoder
// concatenates piece texts: a barrier's byte token followed by "x" would
// merge into a learned "<0xC3>x" and decode as that text.
func trainWords(words map[string]int, chars []charCount, reserved map[string]bool, nMerges int) []string {
	type word struct {
		text string
		n    int
		syms []string // "" marks a barrier
	}
	hasChar := make(map[string]bool, len(chars))
	for _, c := range chars {
		hasChar[c.s] = true
	}
	ws := make([]*word, 0, len(words))
	for t, n := range words {
		ws = append(ws, &word{text: t, n: n})
	}
	slices.SortFunc(ws, func(a, b *word) int { return strings.Compare(a.text, b.text) })

	rank := map[string]int{}
	segment := func(w *word) {
		w.syms = w.syms[:0]
		for i := 0; i < len(w.text); {
			_, size := utf8.DecodeRuneInString(w.text[i:])
			c := w.text[i : i+size]
			if !hasChar[c] {
				c = ""
			}
			w.syms = append(w.syms, c)
			i += size
		}
		w.syms = mergeByRank(w.syms, rank)
	}
	for _, w := range ws {
		segment(w)
	}

	type pair struct{ a, b string }
	var merges []string
	for len(merges) < nMerges {
		counts := map[pair]int{}
		for _, w := range ws {
			for i := 0; i+1 < len(w.syms); i++ {
				if a, b := w.syms[i], w.syms[i+1]; a != "" && b != "" {
					counts[pair{a, b}] += w.n
				}
			}
		}
		best, bestN := pair{}, 0
		for p, n := range counts {
			if !learnable(p.a+p.b, reserved) {
				continue
			}
			if n > bestN || n == bestN && cmp.Or(strings.Compare(p.a, best.a), strings.Compare(p.b, best.b)) < 0 {
				best, bestN = p, n
			}
		}
		if bestN == 0 {
			break
		}
		piece := best.a + best.b
		rank[piece] = len(merges)
		merges = append(merges, piece)
		for _, w := range ws {
			if strings.Contains(w.text, piece) {
				segment(w)
			}
		}
	}
	return merges
}

// learnable says whether piece may become a token (see trainWords).
func learnable(piece string, reserved map[string]bool) bool {
	if reserved[piece] || len(piece) > maxMergedLen {
		return false
	}
	for i := strings.Index(piece, "<0x"); i >= 0 && i+6 <= len(piece); {
		if _, ok := parseByteToken(piece[i : i+6]); ok {
			return false
		}
		j := strings.Index(piece[i+1:], "<0x")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return true
}

// mergeByRank is llama2.c's encoder loop on one word: while some adjacent
// pair concatenates to a learned piece, merge the one of lowest rank,
// leftmost on ties. Barriers ("") never merge.
func mergeByRank(syms []string, rank map[string]int) []string {
	for {
		bestI, bestR := -1, 0
		for i := 0; i+1 < len(syms); i++ {
			if syms[i] == "" || syms[i+1] == "" {
				continue
			}
			if r, ok := rank[syms[i]+syms[i+1]]; ok && (bestI < 0 || r < bestR) {
				bestI, bestR = i, r
			}
		}
		if bestI < 0 {
			return syms
		}
		syms[bestI] += syms[bestI+1]
		syms = append(syms[:bestI+1], syms[bestI+2:]...)
	}
}
