package tokenizer

// Pre-tokenizers of byte-level (ModelGPT2) vocabularies, named as GGUF's
// tokenizer.ggml.pre names them (llama.cpp's llama-vocab.cpp).
const (
	PreGPT2   = "gpt-2"     // GPT-2's regex
	PreLlama3 = "llama-bpe" // Llama 3's regex (digits in runs of up to 3), ignore_merges
	PreQwen2  = "qwen2"     // Qwen2/Qwen3's regex (one digit per piece), NFC first
)

// byteLevelPre is one pre-tokenizer of a byte-level vocabulary: its
// tokenizer.json Split regex, the splitter implementing it, and what a
// tokenizer.json of that family also sets (which llama.cpp implies from
// the name).
type byteLevelPre struct {
	pattern      string
	split        func(s string, yield func(string))
	nfc          bool // an NFC normalizer precedes it
	ignoreMerges bool // a word that is a token is that token
}

var byteLevelPres = map[string]byteLevelPre{
	PreGPT2:   {pattern: gpt2Pattern, split: splitGPT2},
	PreLlama3: {pattern: llama3Pattern, split: func(s string, y func(string)) { splitLlama3(s, 3, y) }, ignoreMerges: true},
	PreQwen2:  {pattern: qwen2Pattern, split: func(s string, y func(string)) { splitLlama3(s, 1, y) }, nfc: true},
}

// preOfPattern returns the name of the byte-level pre-tokenizer whose
// regex is pattern, "" for none.
func preOfPattern(pattern string) string {
	for name, p := range byteLevelPres {
		if p.pattern == pattern {
			return name
		}
	}
	return ""
}
