package tokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Hash is a tokenizer's identity: the hex SHA-256 of its HF tokenizer.json
// form, so the same vocabulary read from tokenizer.bin, tokenizer.json or a
// GGUF file hashes alike. distill records it in the checkpoints, GGUF files
// and soft-label caches it writes and compares it when they are read with
// a tokenizer, so a model is never paired with another model's tokenizer.
func Hash(t Tokenizer) (string, error) {
	v := VocabOf(t)
	if v == nil {
		return "", errors.New("tokenizer: the tokenizer cannot be hashed (not made by the tokenizer package)")
	}
	return HashVocab(v)
}

// HashVocab is Hash of the tokenizer built from v.
func HashVocab(v *Vocab) (string, error) {
	h := sha256.New()
	if err := WriteHFTokenizerJSON(h, v); err != nil {
		return "", fmt.Errorf("tokenizer: hashing: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
