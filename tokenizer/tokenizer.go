package tokenizer

import (
	"fmt"
)

// Tokenizer turns text into token ids and back. Implementations are safe for
// concurrent use.
type Tokenizer interface {
	// Encode tokenises text. addBOS prepends BOS() and addEOS appends EOS()
	// when the tokenizer has them (they are ignored when the id is -1).
	// Encoding cannot fail: a character that has no token, no byte tokens
	// and no unknown token to stand for it is dropped (byte-level and
	// byte-fallback vocabularies represent every byte string). Encode never
	// applies a tokenizer.json post-processor: pass addBOS =
	// VocabOf(t).AddBOS to follow it.
	Encode(text string, addBOS, addEOS bool) []int32
	// Decode turns ids back into text. Control tokens (BOS, EOS, special
	// added tokens) produce nothing; the leading space of the first piece,
	// and of a piece that follows BOS, is dropped where the format asks for
	// it (the SentencePiece dummy prefix). Byte tokens produce raw bytes, so the
	// result may be invalid UTF-8 when ids end inside a character.
	// An id outside [0, VocabSize()) is a caller mistake and panics.
	Decode(ids []int32) string
	// DecodeToken returns the bytes that id adds to the text when it follows
	// prev (prev < 0 at the start of a sequence), for streaming generation.
	// Concatenating DecodeToken over a sequence equals Decode of it.
	DecodeToken(prev, id int32) string
	// VocabSize is the number of token ids, including added tokens.
	VocabSize() int
	// BOS and EOS return the begin/end-of-sequence ids, -1 when none.
	BOS() int32
	EOS() int32
}

// TokenType classifies a vocabulary entry. The values are those of GGUF's
// tokenizer.ggml.token_type array, so exporters can write them unchanged.
type TokenType int32

const (
	TokenNormal      TokenType = 1 // ordinary piece, produced by encoding text
	TokenUnknown     TokenType = 2 // the <unk> token
	TokenControl     TokenType = 3 // BOS/EOS/PAD and other special tokens; never decoded to text
	TokenUserDefined TokenType = 4 // added token matched verbatim in the input
	TokenUnused      TokenType = 5 // id with no piece (hole in a HF vocabulary)
	TokenByte        TokenType = 6 // byte-fallback token <0xXX>
)

func (t TokenType) String() string {
	switch t {
	case TokenNormal:
		return "normal"
	case TokenUnknown:
		return "unknown"
	case TokenControl:
		return "control"
	case TokenUserDefined:
		return "user-defined"
	case TokenUnused:
		return "unused"
	case TokenByte:
		return "byte"
	}
	return fmt.Sprintf("TokenType(%d)", int32(t))
}

// Model names of a Vocab, as GGUF's tokenizer.ggml.model spells them.
const (
	ModelLlama = "llama" // SentencePiece-style BPE: "▁" for spaces, dummy prefix, byte fallback
	ModelGPT2  = "gpt2"  // byte-level BPE with the GPT-2 pre-tokenisation regex
)

// Vocab is the full vocabulary of a tokenizer, in the form exporters need
// (GGUF tokenizer.ggml.* keys, HF tokenizer.json).
//
// For ModelLlama, Tokens use "▁" (U+2581) for spaces and "<s>"/"</s>" for
// BOS/EOS, as SentencePiece and GGUF do; Scores give the merge priority
// (higher merges first). Merges may be empty: the merge rules are then
// implied by the scores, as in llama2.c and llama.cpp.
// For ModelGPT2, Tokens are byte-level strings (each byte mapped to a
// printable rune, "Ġ" for space) and Merges ("a b", best first) are
// required; Scores may be nil.
type Vocab struct {
	Model  string
	Tokens []string
	Scores []float32
	Types  []TokenType
	Merges []string
	// BOS, EOS, UNK and PAD ids, -1 when absent.
	BOS, EOS, UNK, PAD int32
	// AddBOS says whether the format prepends BOS by default (llama2.c and
	// Llama 2 do, GPT-2 does not).
	AddBOS bool
	// NoSpacePrefix says that a ModelLlama vocabulary's text gets no "▁"
	// dummy prefix (Gemma; GGUF tokenizer.ggml.add_space_prefix false).
	NoSpacePrefix bool
	// Pre names the pre-tokenizer of a ModelGPT2 vocabulary (PreGPT2,
	// PreLlama3, PreQwen2; "" is PreGPT2), as GGUF's tokenizer.ggml.pre.
	Pre string
}

// vocabProvider is implemented by every tokenizer of this package.
type vocabProvider interface {
	vocab() *Vocab
}

// VocabOf returns the full vocabulary of t for export. It returns nil when t
// was not made by this package. The result is a fresh copy.
func VocabOf(t Tokenizer) *Vocab {
	p, ok := t.(vocabProvider)
	if !ok {
		return nil
	}
	return p.vocab()
}

// FromVocab builds a tokenizer back from a vocabulary, e.g. one embedded in
// a GGUF file. name is used in error messages (the file it came from).
//
// ModelLlama encodes as llama.cpp's SentencePiece BPE: "▁" dummy prefix and
// spaces, codepoints or byte fallback, then merges by Merges rank when given,
// else by Scores. ModelGPT2 encodes as GPT-2: regex pre-split (Pre's),
// byte-level alphabet, Merges ranks.
func FromVocab(name string, v *Vocab) (Tokenizer, error) {
	if err := v.check(); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	switch v.Model {
	case ModelLlama:
		return newSPMFromVocab(name, v)
	case ModelGPT2:
		return newGPT2FromVocab(name, v)
	}
	return nil, fmt.Errorf("tokenizer: %s: unknown tokenizer model %q (want %q or %q)", name, v.Model, ModelLlama, ModelGPT2)
}

// check validates the lengths and special ids of v.
func (v *Vocab) check() error {
	n := len(v.Tokens)
	if n == 0 {
		return fmt.Errorf("empty vocabulary")
	}
	if len(v.Types) != n {
		return fmt.Errorf("%d token types for %d tokens", len(v.Types), n)
	}
	if v.Scores != nil && len(v.Scores) != n {
		return fmt.Errorf("%d scores for %d tokens", len(v.Scores), n)
	}
	for _, s := range []struct {
		name string
		id   int32
	}{{"BOS", v.BOS}, {"EOS", v.EOS}, {"UNK", v.UNK}, {"PAD", v.PAD}} {
		if s.id < -1 || int(s.id) >= n {
			return fmt.Errorf("%s id %d out of range [0, %d)", s.name, s.id, n)
		}
	}
	return nil
}

// clone returns a deep copy of v.
func (v *Vocab) clone() *Vocab {
	c := *v
	c.Tokens = append([]string(nil), v.Tokens...)
	c.Types = append([]TokenType(nil), v.Types...)
	if v.Scores != nil {
		c.Scores = append([]float32(nil), v.Scores...)
	}
	if v.Merges != nil {
		c.Merges = append([]string(nil), v.Merges...)
	}
	return &c
}
