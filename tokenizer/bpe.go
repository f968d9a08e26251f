package tokenizer

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// bpeTokenizer is the one engine behind every loader: added tokens split
// out first, then per segment normalize -> pre-tokenize into words -> BPE
// per word. Loaders differ only in how they fill it in.
type bpeTokenizer struct {
	name   string   // file it came from, for messages
	v      *Vocab   // export form, returned (copied) by VocabOf
	pieces []string // internal pieces that encoding merges on
	ids    map[string]int32
	pairs  pairTable

	added *addedMatcher // nil when there are none
	norm  []func(s string) string
	// pre splits a normalized segment into words; first says the segment
	// starts the text. nil: the whole segment is one word.
	pre func(s string, first bool, yield func(word string))

	// splitAt, when set, is a symbol that no merge can join to what
	// precedes it (safeSplit); text without a pre-tokenizer is cut before
	// each occurrence, which changes nothing but lets words be cached.
	splitAt string

	byteLevel    bool       // words are raw bytes; initial symbols are byteSym[b]
	byteSym      [256]int32 // byte-level alphabet, or <0xXX> byte-fallback ids; -1 missing
	byteFallback bool
	unk          int32
	fuseUnk      bool
	ignoreMerges bool

	// decoded[id] and decodedFirst[id] are the bytes a token adds to the
	// text in the middle and at the start of a sequence (after BOS).
	decoded, decodedFirst []string

	bos, eos int32
	cache    wordCache
}

func (t *bpeTokenizer) VocabSize() int { return len(t.pieces) }
func (t *bpeTokenizer) BOS() int32     { return t.bos }
func (t *bpeTokenizer) EOS() int32     { return t.eos }
func (t *bpeTokenizer) vocab() *Vocab  { return t.v.clone() }

// Encode implements Tokenizer.
func (t *bpeTokenizer) Encode(text string, addBOS, addEOS bool) []int32 {
	out := make([]int32, 0, len(text)/3+2)
	if addBOS && t.bos >= 0 {
		out = append(out, t.bos)
	}
	if t.added == nil {
		out = t.encodeSegment(text, true, out)
	} else {
		start := 0
		t.added.split(text, func(i, j int, id int32) {
			if i > start {
				out = t.encodeSegment(text[start:i], start == 0, out)
			}
			out = append(out, id)
			start = j
		})
		if start < len(text) {
			out = t.encodeSegment(text[start:], start == 0, out)
		}
	}
	if addEOS && t.eos >= 0 {
		out = append(out, t.eos)
	}
	return out
}

func (t *bpeTokenizer) encodeSegment(s string, first bool, out []int32) []int32 {
	for _, f := range t.norm {
		s = f(s)
	}
	if s == "" {
		return out
	}
	if t.pre == nil {
		if t.splitAt == "" {
			return t.encodeWord(s, out)
		}
		for len(s) > 0 {
			i := strings.Index(s[1:], t.splitAt) + 1
			if i == 0 {
				i = len(s)
			}
			out = t.encodeWord(s[:i], out)
			s = s[i:]
		}
		return out
	}
	t.pre(s, first, func(w string) { out = t.encodeWord(w, out) })
	return out
}

// safeSplit returns sym when cutting a text before every occurrence of sym
// cannot change its encoding, else "". That holds when sym is a token and no
// merge produces a token holding sym after its first byte: then no merge
// ever joins sym's symbol to the symbol before it, merges on either side of
// the cut never interact, and the greedy order within each part is the
// order they had in the whole (SentencePiece vocabularies trained with
// split_by_whitespace, llama2.c's among them, never put "▁" inside a piece).
func (t *bpeTokenizer) safeSplit(sym string) string {
	if _, ok := t.ids[sym]; !ok || sym == "" {
		return ""
	}
	for _, r := range t.pairs {
		if strings.Contains(t.pieces[r.id][1:], sym) {
			return ""
		}
	}
	return sym
}

// maxCachedWord bounds the words kept in the cache: long words (a whole
// text without pre-tokenisation) are rare repeats and would fill memory.
const maxCachedWord = 64

func (t *bpeTokenizer) encodeWord(w string, out []int32) []int32 {
	if w == "" {
		return out
	}
	if len(w) == 1 && t.byteLevel {
		return append(out, t.byteSym[w[0]])
	}
	cacheable := len(w) <= maxCachedWord
	if cacheable {
		if ids, ok := t.cache.get(w); ok {
			return append(out, ids...)
		}
	}
	if t.ignoreMerges { // a word that is a token is that token
		piece := w
		if t.byteLevel {
			piece = byteLevelEncode(w)
		}
		if id, ok := t.ids[piece]; ok {
			return append(out, id)
		}
	}
	start := len(out)
	out = t.initialSymbols(w, out)
	merged := t.pairs.merge(out[start:])
	out = out[:start+len(merged)]
	if cacheable {
		t.cache.put(w, out[start:])
	}
	return out
}

// initialSymbols appends the unmerged symbols of w: one per byte for
// byte-level models, else one per UTF-8 character (an invalid byte counts
// as a character of its own), with byte fallback or the unknown token for
// characters that are not in the vocabulary.
func (t *bpeTokenizer) initialSymbols(w string, out []int32) []int32 {
	if t.byteLevel {
		for i := 0; i < len(w); i++ {
			if id := t.byteSym[w[i]]; id >= 0 {
				out = append(out, id)
			}
		}
		return out
	}
	lastUnk := false
	for i := 0; i < len(w); {
		_, size := utf8.DecodeRuneInString(w[i:])
		ch := w[i : i+size]
		i += size
		if id, ok := t.ids[ch]; ok {
			out = append(out, id)
			lastUnk = false
			continue
		}
		if t.byteFallback && t.hasBytes(ch) {
			for k := 0; k < len(ch); k++ {
				out = append(out, t.byteSym[ch[k]])
			}
			lastUnk = false
			continue
		}
		if t.unk >= 0 && !(t.fuseUnk && lastUnk) {
			out = append(out, t.unk)
		}
		lastUnk = t.unk >= 0
	}
	return out
}

func (t *bpeTokenizer) hasBytes(ch string) bool {
	for k := 0; k < len(ch); k++ {
		if t.byteSym[ch[k]] < 0 {
			return false
		}
	}
	return true
}

// Decode implements Tokenizer.
func (t *bpeTokenizer) Decode(ids []int32) string {
	n := 0
	for _, id := range ids {
		t.checkID(id)
		n += len(t.decoded[id])
	}
	b := make([]byte, 0, n)
	prev := int32(-1)
	for _, id := range ids {
		b = append(b, t.DecodeToken(prev, id)...)
		prev = id
	}
	return string(b)
}

// DecodeToken implements Tokenizer. The start-of-text form applies at the
// start and after BOS: llama2.c's rule, and HF's Strip/Metaspace decoders
// for every sequence that has BOS, if any, only at its start.
func (t *bpeTokenizer) DecodeToken(prev, id int32) string {
	t.checkID(id)
	if prev < 0 || prev == t.bos {
		return t.decodedFirst[id]
	}
	return t.decoded[id]
}

func (t *bpeTokenizer) checkID(id int32) {
	if id < 0 || int(id) >= len(t.decoded) {
		panic(fmt.Sprintf("tokenizer: token id %d out of range [0, %d)", id, len(t.decoded)))
	}
}

// buildDecoded fills decoded/decodedFirst by running dec over every piece;
// control tokens decode to nothing.
func (t *bpeTokenizer) buildDecoded(dec func(piece string, first bool) string) {
	t.decoded = make([]string, len(t.pieces))
	t.decodedFirst = make([]string, len(t.pieces))
	for id, p := range t.pieces {
		if t.v.Types[id] == TokenControl || t.v.Types[id] == TokenUnused {
			continue
		}
		t.decoded[id] = dec(p, false)
		t.decodedFirst[id] = dec(p, true)
	}
}

// indexPieces builds the piece -> id map; the first id of a duplicated
// piece wins.
func indexPieces(pieces []string) map[string]int32 {
	ids := make(map[string]int32, len(pieces))
	for i, p := range pieces {
		if _, dup := ids[p]; !dup {
			ids[p] = int32(i)
		}
	}
	return ids
}

// wordCache is a bounded map from a word to its ids; it is cleared when
// full, which keeps the hot words of a corpus without an LRU's bookkeeping.
type wordCache struct {
	mu sync.RWMutex
	m  map[string][]int32
}

const wordCacheSize = 1 << 16

func (c *wordCache) get(w string) ([]int32, bool) {
	c.mu.RLock()
	ids, ok := c.m[w]
	c.mu.RUnlock()
	return ids, ok
}

func (c *wordCache) put(w string, ids []int32) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= wordCacheSize {
		c.m = make(map[string][]int32, 1024)
	}
	c.m[w] = append([]int32(nil), ids...)
	c.mu.Unlock()
}
