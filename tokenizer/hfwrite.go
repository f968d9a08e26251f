package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// bosTemplate is the TemplateProcessing post-processor that prepends BOS,
// nil when v does not add one.
func bosTemplate(tokens []string, v *Vocab) map[string]any {
	if !v.AddBOS || v.BOS < 0 {
		return nil
	}
	bos := tokens[v.BOS]
	sp := func(id string) map[string]any {
		return map[string]any{"SpecialToken": map[string]any{"id": id, "type_id": 0}}
	}
	seq := func(id string, typ int) map[string]any {
		return map[string]any{"Sequence": map[string]any{"id": id, "type_id": typ}}
	}
	return map[string]any{
		"type":   "TemplateProcessing",
		"single": []any{sp(bos), seq("A", 0)},
		"pair":   []any{sp(bos), seq("A", 0), sp(bos), seq("B", 1)},
		"special_tokens": map[string]any{bos: map[string]any{
			"id": bos, "ids": []int32{v.BOS}, "tokens": []string{bos}}},
	}
}

// WriteHFTokenizerJSON writes v as an HF tokenizers tokenizer.json that
// LoadHF (and HF tokenizers) read back to the same encodings: for
// ModelLlama the Llama 2 pipeline (Prepend "▁" + Replace " " -> "▁", BPE
// with byte fallback, the Replace/ByteFallback/Fuse/Strip decoder, BOS by
// TemplateProcessing when v.AddBOS); for ModelGPT2 GPT-2's (ByteLevel
// pre-tokenizer, post-processor and decoder), with Pre's Split regex
// (and NFC, ignore_merges) for Llama 3 and Qwen2 vocabularies, and BOS
// when v.AddBOS. Control, unknown and
// user-defined tokens become added_tokens, matched verbatim in the input.
// A llama vocabulary without Merges gets them from its scores: every split
// of a token into two tokens, best score first.
func WriteHFTokenizerJSON(w io.Writer, v *Vocab) error {
	if err := v.check(); err != nil {
		return fmt.Errorf("tokenizer: WriteHFTokenizerJSON: %w", err)
	}
	tokens := v.Tokens
	if v.Model == ModelLlama && spaceOf(tokens) == " " {
		tokens = make([]string, len(v.Tokens))
		for i, t := range v.Tokens {
			tokens[i] = strings.ReplaceAll(t, " ", spmSpace)
		}
	}
	seen := make(map[string]int, len(tokens))
	for i, t := range tokens {
		if v.Types[i] == TokenUnused {
			continue
		}
		if !utf8.ValidString(t) {
			return fmt.Errorf("tokenizer: WriteHFTokenizerJSON: token %d %q is not valid UTF-8", i, t)
		}
		if j, dup := seen[t]; dup {
			return fmt.Errorf("tokenizer: WriteHFTokenizerJSON: tokens %d and %d are both %q", j, i, t)
		}
		seen[t] = i
	}
	var merges [][2]string
	var err error
	switch v.Model {
	case ModelLlama:
		if len(v.Merges) > 0 {
			merges, err = splitMerges(v.Merges)
		} else if v.Scores != nil {
			merges = mergesFromScores(tokens, v.Scores, v.Types)
		} else {
			err = fmt.Errorf("llama vocabulary has neither scores nor merges")
		}
	case ModelGPT2:
		merges, err = splitMerges(v.Merges)
	default:
		err = fmt.Errorf("unknown tokenizer model %q", v.Model)
	}
	if err != nil {
		return fmt.Errorf("tokenizer: WriteHFTokenizerJSON: %w", err)
	}
	f := hfOut{Version: "1.0", AddedTokens: []hfAddedToken{}}
	for i, t := range tokens {
		switch v.Types[i] {
		case TokenControl, TokenUnknown, TokenUserDefined:
			special := v.Types[i] != TokenUserDefined
			f.AddedTokens = append(f.AddedTokens, hfAddedToken{ID: int32(i), Content: t, Normalized: !special, Special: special})
		}
	}
	model := hfModelOut{hfBPEOptions: hfBPEOptions{Type: "BPE"}, Vocab: orderedVocab{tokens, v.Types}, Merges: mergesJSON(merges)}
	null := json.RawMessage("null")
	switch v.Model {
	case ModelLlama:
		if v.UNK >= 0 {
			unk := tokens[v.UNK]
			model.UnkToken = &unk
		}
		model.FuseUnk, model.ByteFallback = true, true
		normalizers := []any{map[string]any{"type": "Replace", "pattern": map[string]string{"String": " "}, "content": spmSpace}}
		if !v.NoSpacePrefix {
			normalizers = append([]any{map[string]any{"type": "Prepend", "prepend": spmSpace}}, normalizers...)
		}
		f.Normalizer = mustJSON(map[string]any{"type": "Sequence", "normalizers": normalizers})
		f.PreTokenizer = null
		f.PostProcessor = null
		if bos := bosTemplate(tokens, v); bos != nil {
			f.PostProcessor = mustJSON(bos)
		}
		decoders := []any{
			map[string]any{"type": "Replace", "pattern": map[string]string{"String": spmSpace}, "content": " "},
			map[string]any{"type": "ByteFallback"},
			map[string]any{"type": "Fuse"},
		}
		if !v.NoSpacePrefix {
			decoders = append(decoders, map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0})
		}
		f.Decoder = mustJSON(map[string]any{"type": "Sequence", "decoders": decoders})
	case ModelGPT2:
		empty := ""
		model.ContinuingSubwordPrefix, model.EndOfWordSuffix = &empty, &empty
		f.Normalizer = null
		byteLevel := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
		f.PreTokenizer = mustJSON(byteLevel)
		if pre, ok := byteLevelPres[v.Pre]; ok && v.Pre != PreGPT2 {
			byteLevel["use_regex"] = false
			f.PreTokenizer = mustJSON(map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]string{"Regex": pre.pattern}, "behavior": "Isolated", "invert": false},
				byteLevel,
			}})
			if pre.nfc {
				f.Normalizer = mustJSON(map[string]any{"type": "NFC"})
			}
			model.IgnoreMerges = pre.ignoreMerges
		}
		postByteLevel := map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}
		f.PostProcessor = mustJSON(postByteLevel)
		if bos := bosTemplate(tokens, v); bos != nil {
			f.PostProcessor = mustJSON(map[string]any{"type": "Sequence", "processors": []any{postByteLevel, bos}})
		}
		f.Decoder = mustJSON(map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true})
	}
	f.Model = model
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("tokenizer: WriteHFTokenizerJSON: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("tokenizer: WriteHFTokenizerJSON: %w", err)
	}
	return nil
}

// hfOut is tokenizer.json in HF's field order.
type hfOut struct {
	Version       string          `json:"version"`
	Truncation    *struct{}       `json:"truncation"`
	Padding       *struct{}       `json:"padding"`
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         hfModelOut      `json:"model"`
}

type hfModelOut struct {
	hfBPEOptions
	Vocab  orderedVocab    `json:"vocab"`
	Merges json.RawMessage `json:"merges"`
}

// orderedVocab marshals the model vocabulary as a JSON object in id order
// (HF writes it so; encoding/json would sort the keys). Added tokens that
// are not in the model's vocabulary are left to added_tokens.
type orderedVocab struct {
	tokens []string
	types  []TokenType
}

func (o orderedVocab) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	for i, t := range o.tokens {
		if o.types[i] == TokenUnused {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.Write(mustJSON(t))
		fmt.Fprintf(&buf, ":%d", i)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// mergesJSON writes the legacy "a b" form, readable by every tokenizers
// version, unless a token holds a space; then the [a, b] pair form.
func mergesJSON(merges [][2]string) json.RawMessage {
	for _, m := range merges {
		if strings.Contains(m[0], " ") || strings.Contains(m[1], " ") {
			return mustJSON(merges)
		}
	}
	lines := make([]string, len(merges))
	for i, m := range merges {
		lines[i] = m[0] + " " + m[1]
	}
	return mustJSON(lines)
}

func mustJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("tokenizer: " + err.Error()) // only plain data is encoded here
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// mergesFromScores lists the rules pairsFromScores derives, as a ranked
// merge list: by merged token's score (best first), then id, then split
// position. Control, unknown and byte tokens are never merge results.
func mergesFromScores(tokens []string, scores []float32, types []TokenType) [][2]string {
	ids := indexPieces(tokens)
	type rule struct {
		score float32
		id, k int
	}
	var rules []rule
	for id, tok := range tokens {
		if types[id] != TokenNormal && types[id] != TokenUserDefined || !(scores[id] > llama2cMinScore) || ids[tok] != int32(id) {
			continue
		}
		for k := 1; k < len(tok); k++ {
			if _, ok := ids[tok[:k]]; !ok {
				continue
			}
			if _, ok := ids[tok[k:]]; ok {
				rules = append(rules, rule{scores[id], id, k})
			}
		}
	}
	sort.Slice(rules, func(i, j int) bool {
		a, b := rules[i], rules[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if a.id != b.id {
			return a.id < b.id
		}
		return a.k < b.k
	})
	out := make([][2]string, len(rules))
	for i, r := range rules {
		out[i] = [2]string{tokens[r.id][:r.k], tokens[r.id][r.k:]}
	}
	return out
}

// spaceOf says which space symbol a llama vocabulary uses: "▁" as
// SentencePiece, or a plain space as llama2.c's tokenizer.bin.
func spaceOf(tokens []string) string {
	for _, t := range tokens {
		if strings.Contains(t, spmSpace) {
			return spmSpace
		}
	}
	for _, t := range tokens {
		if strings.Contains(t, " ") {
			return " "
		}
	}
	return spmSpace
}
