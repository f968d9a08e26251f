package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// gpt2EndOfText is GPT-2's only special token, its BOS and EOS.
const gpt2EndOfText = "<|endoftext|>"

// LoadGPT2 reads GPT-2's encoder.json (token -> id) and vocab.bpe (merges,
// best first, after a "#version" line). As OpenAI's encoder.py, Encode
// treats "<|endoftext|>" in the text as plain text; BOS and EOS are its id.
func LoadGPT2(encoderJSON, vocabBPE string) (Tokenizer, error) {
	enc, err := os.ReadFile(encoderJSON)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	bpe, err := os.ReadFile(vocabBPE)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var m map[string]int32
	if err := json.Unmarshal(enc, &m); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", encoderJSON, err)
	}
	tokens, err := denseVocab(m, nil)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", encoderJSON, err)
	}
	var merges []string
	for i, l := range strings.Split(string(bpe), "\n") {
		l = strings.TrimSuffix(l, "\r")
		if l == "" || i == 0 && strings.HasPrefix(l, "#version") {
			continue
		}
		merges = append(merges, l)
	}
	v := &Vocab{Model: ModelGPT2, Tokens: tokens, Types: make([]TokenType, len(tokens)),
		Merges: merges, BOS: -1, EOS: -1, UNK: -1, PAD: -1}
	for i, tok := range tokens {
		v.Types[i] = TokenNormal
		switch tok {
		case "":
			v.Types[i] = TokenUnused
		case gpt2EndOfText:
			v.Types[i] = TokenControl
			v.BOS, v.EOS = int32(i), int32(i)
		}
	}
	name := filepath.Join(filepath.Dir(encoderJSON), "{"+filepath.Base(encoderJSON)+","+filepath.Base(vocabBPE)+"}")
	return newGPT2FromVocab(name, v)
}

// denseVocab turns a token -> id map into an id-indexed slice. Ids must be
// unique and below maxTokens; ids without a token (holes) stay "". extra,
// when not nil, holds further ids (added tokens) that size the slice.
func denseVocab(m map[string]int32, extra map[int32]string) ([]string, error) {
	n := int32(0)
	for tok, id := range m {
		if id < 0 || id >= maxTokens {
			return nil, fmt.Errorf("token %q: id %d out of range [0, %d)", tok, id, maxTokens)
		}
		n = max(n, id+1)
	}
	for id := range extra {
		n = max(n, id+1)
	}
	// Ids are dense in real vocabularies; a few holes are tolerated, a
	// huge id with few tokens is refused before allocating for it.
	if entries := len(m) + len(extra); int(n) > 2*entries+256 {
		return nil, fmt.Errorf("ids too sparse: largest id %d for %d tokens", n-1, entries)
	}
	tokens := make([]string, n)
	seen := make([]bool, n)
	for tok, id := range m {
		if seen[id] {
			return nil, fmt.Errorf("id %d used by both %q and %q", id, tokens[id], tok)
		}
		seen[id] = true
		tokens[id] = tok
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("empty vocabulary")
	}
	return tokens, nil
}

// newGPT2FromVocab builds GPT-2's byte-level BPE: the regex pre-split,
// each byte as its byte-level token, merges by rank, no special-token
// matching.
func newGPT2FromVocab(name string, v *Vocab) (Tokenizer, error) {
	v = v.clone()
	t := &bpeTokenizer{name: name, v: v, pieces: v.Tokens, ids: indexPieces(v.Tokens),
		unk: -1, bos: v.BOS, eos: v.EOS, byteLevel: true}
	if err := t.setByteLevelAlphabet(); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	m, err := splitMerges(v.Merges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	if t.pairs, err = pairsFromMerges(m, t.ids); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	pre, ok := byteLevelPres[v.Pre]
	switch {
	case v.Pre == "":
		pre = byteLevelPres[PreGPT2]
	case !ok:
		return nil, fmt.Errorf("tokenizer: %s: unknown pre-tokenizer %q (want %q, %q or %q)", name, v.Pre, PreGPT2, PreLlama3, PreQwen2)
	}
	t.pre = func(s string, _ bool, yield func(string)) { pre.split(s, yield) }
	if pre.nfc {
		t.norm = append(t.norm, norm.NFC.String)
	}
	t.ignoreMerges = pre.ignoreMerges
	t.buildDecoded(func(p string, _ bool) string { return byteLevelDecode(p) })
	if v.Pre != "" && v.Pre != PreGPT2 {
		// These families' special and added tokens are matched in the
		// text, as their tokenizer.json does (GPT-2's encoder.py never
		// matches <|endoftext|>), and added tokens decode verbatim.
		var added []addedToken
		for id, typ := range v.Types {
			if typ == TokenControl || typ == TokenUserDefined {
				added = append(added, addedToken{v.Tokens[id], int32(id)})
			}
			if typ == TokenUserDefined {
				t.decoded[id], t.decodedFirst[id] = v.Tokens[id], v.Tokens[id]
			}
		}
		t.added = newAddedMatcher(added)
	}
	return t, nil
}

// setByteLevelAlphabet finds the token of every byte's byte-level rune.
func (t *bpeTokenizer) setByteLevelAlphabet() error {
	for b := range 256 {
		id, ok := t.ids[string(byteToRune[b])]
		if !ok {
			return fmt.Errorf("byte-level alphabet incomplete: no token %q for byte 0x%02X", string(byteToRune[b]), b)
		}
		t.byteSym[b] = id
	}
	return nil
}
