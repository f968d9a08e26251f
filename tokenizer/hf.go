package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// hfFile is the part of an HF tokenizers tokenizer.json that we read.
// Components stay raw until their "type" is known.
type hfFile struct {
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         json.RawMessage `json:"model"`
}

type hfAddedToken struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// hfBPEOptions are the scalar fields of a BPE model, read and written.
type hfBPEOptions struct {
	Type                    string   `json:"type"`
	Dropout                 *float64 `json:"dropout"`
	UnkToken                *string  `json:"unk_token"`
	ContinuingSubwordPrefix *string  `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string  `json:"end_of_word_suffix"`
	FuseUnk                 bool     `json:"fuse_unk"`
	ByteFallback            bool     `json:"byte_fallback"`
	IgnoreMerges            bool     `json:"ignore_merges"`
}

type hfModel struct {
	hfBPEOptions
	Vocab  map[string]int32 `json:"vocab"`
	Merges json.RawMessage  `json:"merges"`
}

// hfComponent holds the fields of every normalizer, pre-tokenizer,
// post-processor and decoder type we support.
type hfComponent struct {
	Type string `json:"type"`
	// Sequence
	Normalizers   []json.RawMessage `json:"normalizers"`
	PreTokenizers []json.RawMessage `json:"pretokenizers"`
	Processors    []json.RawMessage `json:"processors"`
	Decoders      []json.RawMessage `json:"decoders"`
	// Prepend, Replace, Strip (decoder)
	Prepend string    `json:"prepend"`
	Pattern hfPattern `json:"pattern"`
	Content string    `json:"content"`
	Start   int       `json:"start"`
	Stop    int       `json:"stop"`
	// ByteLevel, Metaspace, Split
	AddPrefixSpace *bool  `json:"add_prefix_space"`
	UseRegex       *bool  `json:"use_regex"`
	Replacement    string `json:"replacement"`
	PrependScheme  string `json:"prepend_scheme"`
	Split          *bool  `json:"split"`
	Behavior       string `json:"behavior"`
	Invert         bool   `json:"invert"`
	// TemplateProcessing
	Single        []map[string]hfTemplatePiece `json:"single"`
	SpecialTokens map[string]hfSpecialToken    `json:"special_tokens"`
}

type hfPattern struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

type hfTemplatePiece struct {
	ID string `json:"id"`
}

type hfSpecialToken struct {
	ID  string  `json:"id"`
	IDs []int32 `json:"ids"`
}

// gpt2Pattern is the pre-tokenisation regex that splitGPT2 implements.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// LoadHF reads an HF tokenizers tokenizer.json with a BPE model: byte-level
// (GPT-2 style) or SentencePiece-style with byte fallback (Llama 2 style).
// When a tokenizer_config.json sits beside it, its bos_token and eos_token
// choose BOS and EOS.
func LoadHF(path string) (Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var cfg *hfConfig
	cfgPath := filepath.Join(filepath.Dir(path), "tokenizer_config.json")
	if b, err := os.ReadFile(cfgPath); err == nil {
		cfg = new(hfConfig)
		if err := json.Unmarshal(b, cfg); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", cfgPath, err)
		}
	}
	t, err := parseHF(data, path, cfg)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ParseHF reads tokenizer.json bytes; name is used in errors.
func ParseHF(data []byte, name string) (Tokenizer, error) {
	t, err := parseHF(data, name, nil)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// hfConfig is the part of tokenizer_config.json we use. The tokens are
// either strings or {"content": ...} objects.
type hfConfig struct {
	BOS json.RawMessage `json:"bos_token"`
	EOS json.RawMessage `json:"eos_token"`
}

func configToken(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Content
	}
	return ""
}

// hfBuilder accumulates the pipeline while components are read.
type hfBuilder struct {
	name      string
	t         *bpeTokenizer
	byteLevel bool // a ByteLevel pre-tokenizer maps bytes
	dec       []func(p string, first bool) string
	fused     bool
	// byteLevelDecoder is set by a ByteLevel decoder.
	byteLevelDecoder bool
	// spacePrefix is set by a Prepend normalizer or a prepending
	// Metaspace pre-tokenizer (the SentencePiece dummy prefix).
	spacePrefix bool
	// special lists the added tokens marked special.
	special []int32
	bosName string
	eosName string
}

func parseHF(data []byte, name string, cfg *hfConfig) (*bpeTokenizer, error) {
	b := &hfBuilder{name: name}
	if err := b.build(data, cfg); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	return b.t, nil
}

func (b *hfBuilder) build(data []byte, cfg *hfConfig) error {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	if isNull(f.Model) {
		return errors.New("no model")
	}
	var m hfModel
	if err := json.Unmarshal(f.Model, &struct {
		Type *string `json:"type"`
	}{&m.Type}); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if m.Type != "BPE" && m.Type != "" {
		return fmt.Errorf("unsupported model type %q (only BPE)", m.Type)
	}
	if err := json.Unmarshal(f.Model, &m); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if err := b.buildModel(&m, f.AddedTokens); err != nil {
		return err
	}
	if err := b.normalizer(f.Normalizer); err != nil {
		return err
	}
	if err := b.preTokenizer(f.PreTokenizer); err != nil {
		return err
	}
	t := b.t
	t.byteLevel = b.byteLevel
	if b.byteLevel {
		if err := t.setByteLevelAlphabet(); err != nil {
			return err
		}
	}
	if err := b.postProcessor(f.PostProcessor); err != nil {
		return err
	}
	if err := b.decoder(f.Decoder); err != nil {
		return err
	}
	if t.pre == nil && !t.byteLevel {
		if t.splitAt = t.safeSplit(spmSpace); t.splitAt == "" {
			t.splitAt = t.safeSplit(" ")
		}
	}
	b.pickSpecial(cfg)
	b.finishVocab(&m)
	dec := b.dec
	t.buildDecoded(func(p string, first bool) string {
		for _, d := range dec {
			p = d(p, first)
		}
		return p
	})
	for id, typ := range t.v.Types {
		// Added tokens skip a ByteLevel decoder (HF decodes the runs of
		// other tokens between them); other decoders apply to them.
		if typ == TokenUserDefined && b.byteLevelDecoder {
			t.decoded[id], t.decodedFirst[id] = t.pieces[id], t.pieces[id]
		}
	}
	for _, id := range b.special { // special added tokens, <unk> among them, decode to nothing
		t.decoded[id], t.decodedFirst[id] = "", ""
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func (b *hfBuilder) buildModel(m *hfModel, added []hfAddedToken) error {
	if m.Type != "BPE" && !(m.Type == "" && m.Merges != nil) {
		return fmt.Errorf("unsupported model type %q (only BPE)", m.Type)
	}
	if m.Dropout != nil && *m.Dropout > 0 {
		return fmt.Errorf("model: unsupported BPE dropout %g", *m.Dropout)
	}
	if s := m.ContinuingSubwordPrefix; s != nil && *s != "" {
		return fmt.Errorf("model: unsupported continuing_subword_prefix %q", *s)
	}
	if s := m.EndOfWordSuffix; s != nil && *s != "" {
		return fmt.Errorf("model: unsupported end_of_word_suffix %q", *s)
	}
	extra := make(map[int32]string, len(added))
	for _, a := range added {
		if a.ID < 0 || a.ID >= maxTokens {
			return fmt.Errorf("added token %q: id %d out of range [0, %d)", a.Content, a.ID, maxTokens)
		}
		if a.Content == "" {
			return fmt.Errorf("added token %d: empty content", a.ID)
		}
		extra[a.ID] = a.Content
	}
	tokens, err := denseVocab(m.Vocab, extra)
	if err != nil {
		return fmt.Errorf("model vocab: %w", err)
	}
	types := make([]TokenType, len(tokens))
	for i, tok := range tokens {
		types[i] = TokenNormal
		if tok == "" {
			types[i] = TokenUnused
		}
		if _, ok := parseByteToken(tok); ok && m.ByteFallback {
			types[i] = TokenByte
		}
	}
	var matcher []addedToken
	for _, a := range added {
		if old := tokens[a.ID]; old != "" && old != a.Content {
			return fmt.Errorf("added token %q: id %d is the model's token %q", a.Content, a.ID, old)
		}
		tokens[a.ID] = a.Content
		types[a.ID] = TokenUserDefined
		if a.Special {
			types[a.ID] = TokenControl
			b.special = append(b.special, a.ID)
		}
		matcher = append(matcher, addedToken{a.Content, a.ID})
	}
	merges, err := parseHFMerges(m.Merges)
	if err != nil {
		return fmt.Errorf("model merges: %w", err)
	}
	t := &bpeTokenizer{name: b.name, pieces: tokens, ids: indexPieces(tokens), unk: -1, bos: -1, eos: -1,
		byteFallback: m.ByteFallback, fuseUnk: m.FuseUnk, ignoreMerges: m.IgnoreMerges}
	// Added tokens stay in ids (merges and unk_token may name them); they
	// are split out of the text before the model ever sees it.
	if t.pairs, err = pairsFromMerges(merges, t.ids); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if m.UnkToken != nil {
		id, ok := t.ids[*m.UnkToken]
		if !ok {
			return fmt.Errorf("model: unk_token %q not in vocabulary", *m.UnkToken)
		}
		t.unk = id
		types[id] = TokenUnknown
	}
	for i := range t.byteSym {
		t.byteSym[i] = -1
	}
	if m.ByteFallback {
		t.byteSym = byteTokenIDs(t.ids)
	}
	t.added = newAddedMatcher(matcher)
	t.v = &Vocab{Tokens: tokens, Types: types, UNK: t.unk, BOS: -1, EOS: -1, PAD: -1}
	t.v.Merges = make([]string, len(merges))
	for i, mg := range merges {
		t.v.Merges[i] = mg[0] + " " + mg[1]
	}
	b.t = t
	return nil
}

// parseHFMerges accepts both forms: ["a b", ...] and [["a", "b"], ...].
func parseHFMerges(raw json.RawMessage) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err == nil {
		return splitMerges(lines)
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, errors.New("want a list of \"a b\" strings or of [a, b] pairs")
	}
	out := make([][2]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("merge %d: %d elements, want 2", i, len(p))
		}
		out[i] = [2]string{p[0], p[1]}
	}
	return out, nil
}

// pickSpecial chooses BOS and EOS: tokenizer_config.json first, then the
// post-processor template, then well-known names.
func (b *hfBuilder) pickSpecial(cfg *hfConfig) {
	t := b.t
	lookup := func(names ...string) int32 {
		for _, n := range names {
			if id, ok := t.ids[n]; ok && n != "" {
				return id
			}
		}
		return -1
	}
	var cfgBOS, cfgEOS string
	if cfg != nil {
		cfgBOS, cfgEOS = configToken(cfg.BOS), configToken(cfg.EOS)
	}
	t.bos = lookup(cfgBOS, b.bosName, "<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>", "<|endoftext|>")
	t.eos = lookup(cfgEOS, b.eosName, "</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>")
}

// finishVocab fills the export form: the model kind and, for
// SentencePiece-style vocabularies, scores derived from merge ranks.
func (b *hfBuilder) finishVocab(m *hfModel) {
	t := b.t
	v := t.v
	v.BOS, v.EOS = t.bos, t.eos
	if b.byteLevel {
		v.Model = ModelGPT2
		return
	}
	v.Model = ModelLlama
	v.NoSpacePrefix = !b.spacePrefix
	v.Scores = scoresFromMerges(t.pieces, t.pairs)
}

// scoresFromMerges gives each token made by a merge the score -rank of its
// best merge, single characters 0 and other tokens -1e9, so that
// score-driven SentencePiece encoders (llama.cpp) merge in rank order.
func scoresFromMerges(pieces []string, pairs pairTable) []float32 {
	scores := make([]float32, len(pieces))
	made := make([]bool, len(pieces))
	for _, r := range pairs {
		if !made[r.id] || -float32(r.rank) > scores[r.id] {
			scores[r.id] = -float32(r.rank)
		}
		made[r.id] = true
	}
	for i, p := range pieces {
		if !made[i] && len([]rune(p)) > 1 {
			scores[i] = -1e9
		}
	}
	return scores
}
