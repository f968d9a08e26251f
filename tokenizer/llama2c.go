package tokenizer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// Fixed ids of llama2.c's run.c, which hard-codes them.
const (
	llama2cBOS = 1
	llama2cEOS = 2
)

// maxTokens bounds the vocabulary size a file may declare, so that a
// hostile count cannot make us allocate without limit.
const maxTokens = 1 << 24

// LoadLlama2C reads a llama2.c tokenizer.bin. vocabSize is the model's
// vocabulary size (the file does not record it); vocabSize <= 0 reads
// tokens until the end of the file.
func LoadLlama2C(path string, vocabSize int) (Tokenizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	return ReadLlama2C(f, path, vocabSize)
}

// ReadLlama2C reads a llama2.c tokenizer.bin from r; name is used in errors.
//
// Layout (little-endian): int32 max_token_length, then per token float32
// score, int32 byte length, the bytes.
func ReadLlama2C(r io.Reader, name string, vocabSize int) (Tokenizer, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: reading: %w", name, err)
	}
	pieces, scores, err := parseLlama2C(data, vocabSize)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	return newLlama2C(name, pieces, scores), nil
}

func parseLlama2C(data []byte, vocabSize int) ([]string, []float32, error) {
	if vocabSize > maxTokens {
		return nil, nil, fmt.Errorf("vocabulary size %d exceeds the limit %d", vocabSize, maxTokens)
	}
	if len(data) < 4 {
		return nil, nil, fmt.Errorf("reading max_token_length: %w", io.ErrUnexpectedEOF)
	}
	maxLen := int32(binary.LittleEndian.Uint32(data))
	if maxLen < 0 {
		return nil, nil, fmt.Errorf("negative max_token_length %d", maxLen)
	}
	off := 4
	capHint := (len(data) - 4) / 8
	if vocabSize > 0 {
		capHint = min(capHint, vocabSize)
	}
	pieces := make([]string, 0, capHint)
	scores := make([]float32, 0, capHint)
	for i := 0; vocabSize <= 0 && off < len(data) || i < vocabSize; i++ {
		if len(data)-off < 8 {
			return nil, nil, fmt.Errorf("token %d at offset %d: reading score and length: %w", i, off, io.ErrUnexpectedEOF)
		}
		score := math.Float32frombits(binary.LittleEndian.Uint32(data[off:]))
		n := int32(binary.LittleEndian.Uint32(data[off+4:]))
		off += 8
		switch {
		case n < 0:
			return nil, nil, fmt.Errorf("token %d at offset %d: negative length %d", i, off-4, n)
		case n > maxLen:
			return nil, nil, fmt.Errorf("token %d at offset %d: length %d exceeds max_token_length %d", i, off-4, n, maxLen)
		case int(n) > len(data)-off:
			return nil, nil, fmt.Errorf("token %d at offset %d: length %d past the end of the file (%d bytes left): %w", i, off-4, n, len(data)-off, io.ErrUnexpectedEOF)
		}
		if len(pieces) >= maxTokens {
			return nil, nil, fmt.Errorf("more than %d tokens", maxTokens)
		}
		pieces = append(pieces, string(data[off:off+int(n)]))
		scores = append(scores, score)
		off += int(n)
	}
	if len(pieces) == 0 {
		return nil, nil, errors.New("no tokens")
	}
	return pieces, scores, nil
}

// WriteLlama2C writes v as a llama2.c tokenizer.bin (the inverse of
// ReadLlama2C followed by VocabOf): "▁" becomes a space and BOS/EOS are
// written as llama2.c's tokenizer.py writes them ("\n<s>\n", "\n</s>\n").
func WriteLlama2C(w io.Writer, v *Vocab) error {
	if v.Model != ModelLlama {
		return fmt.Errorf("tokenizer: WriteLlama2C: model %q, want %q", v.Model, ModelLlama)
	}
	if err := v.check(); err != nil {
		return fmt.Errorf("tokenizer: WriteLlama2C: %w", err)
	}
	pieces := make([][]byte, len(v.Tokens))
	maxLen := 0
	for i, t := range v.Tokens {
		switch int32(i) {
		case v.BOS:
			t = "\n" + t + "\n"
		case v.EOS:
			t = "\n" + t + "\n"
		default:
			t = strings.ReplaceAll(t, spmSpace, " ")
		}
		pieces[i] = []byte(t)
		maxLen = max(maxLen, len(t))
	}
	var buf bytes.Buffer
	le := binary.LittleEndian
	buf.Write(le.AppendUint32(nil, uint32(maxLen)))
	for i, p := range pieces {
		var s float32
		if v.Scores != nil {
			s = v.Scores[i]
		}
		buf.Write(le.AppendUint32(nil, math.Float32bits(s)))
		buf.Write(le.AppendUint32(nil, uint32(len(p))))
		buf.Write(p)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("tokenizer: WriteLlama2C: %w", err)
	}
	return nil
}

// newLlama2C builds the tokenizer of run.c: a " " dummy prefix, one symbol
// per character or its <0xXX> byte tokens, merges by score.
func newLlama2C(name string, pieces []string, scores []float32) *bpeTokenizer {
	t := &bpeTokenizer{name: name, pieces: pieces, ids: indexPieces(pieces), unk: -1, bos: -1, eos: -1}
	if len(pieces) > llama2cEOS {
		t.bos, t.eos = llama2cBOS, llama2cEOS
	}
	t.pairs = pairsFromScores(pieces, scores, t.ids)
	t.byteFallback = true
	t.byteSym = byteTokenIDs(t.ids)
	t.norm = []func(string) string{prepend(" ")}
	t.splitAt = t.safeSplit(" ")

	v := &Vocab{Model: ModelLlama, Tokens: make([]string, len(pieces)), Scores: scores,
		Types: make([]TokenType, len(pieces)), BOS: t.bos, EOS: t.eos, UNK: -1, PAD: -1, AddBOS: true}
	for i, p := range pieces {
		v.Tokens[i] = strings.ReplaceAll(p, " ", spmSpace)
		v.Types[i] = TokenNormal
		if _, ok := parseByteToken(p); ok {
			v.Types[i] = TokenByte
		}
	}
	if i, ok := t.ids["<unk>"]; ok {
		v.UNK = i
		v.Types[i] = TokenUnknown
	}
	for _, s := range []struct {
		id   int32
		text string
	}{{t.bos, "<s>"}, {t.eos, "</s>"}} {
		if s.id >= 0 {
			v.Tokens[s.id] = s.text
			v.Types[s.id] = TokenControl
		}
	}
	t.v = v
	t.buildDecoded(func(p string, first bool) string {
		if first && strings.HasPrefix(p, " ") {
			p = p[1:]
		}
		if b, ok := parseByteToken(p); ok {
			return string([]byte{b})
		}
		return p
	})
	return t
}

// parseByteToken recognises a byte-fallback piece "<0xXX>".
func parseByteToken(p string) (byte, bool) {
	if len(p) != 6 || p[:3] != "<0x" || p[5] != '>' {
		return 0, false
	}
	hi, ok1 := hexVal(p[3])
	lo, ok2 := hexVal(p[4])
	return hi<<4 | lo, ok1 && ok2
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// byteTokenIDs returns the id of <0xXX> for every byte, -1 when missing.
func byteTokenIDs(ids map[string]int32) [256]int32 {
	var out [256]int32
	for b := range out {
		out[b] = -1
		if id, ok := ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			out[b] = id
		}
	}
	return out
}
