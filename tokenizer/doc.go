// Package tokenizer reads the tokenizers of the checkpoints distill loads
// (llama2.c tokenizer.bin, HF tokenizer.json, GPT-2 encoder.json +
// vocab.bpe), encodes and decodes text with them exactly as their reference
// implementations do, and exports their vocabularies (Vocab) for GGUF and
// tokenizer.json writers.
//
// # One engine
//
// Every loader fills in the same pipeline:
//
//	text -> split out added tokens (<s>, <|endoftext|>; HF only)
//	     -> normalize each remaining segment (dummy prefix, " " -> "▁")
//	     -> pre-tokenize into words (GPT-2 regex, Metaspace, or none)
//	     -> BPE on each word -> ids
//
// # BPE by greedy merging
//
// A word starts as a list of symbols: one per UTF-8 character whose piece
// is in the vocabulary, else the character's byte tokens <0xXX> (byte
// fallback), else the unknown token; for byte-level models, one per byte.
// A rule table maps an adjacent pair (a, b) to the token it merges into and
// a rank. Then, until no adjacent pair has a rule:
//
//	pick the pair of lowest rank, the leftmost one on ties; replace it by its token
//
// The direct loop costs O(n^2) for n symbols (llama2.c's encode rescans all
// pairs after each merge). Here candidates sit in a binary heap ordered by
// (rank, position) over a doubly linked list of symbols; a merge pushes
// the two new pairs it creates, and an entry whose left or right symbol has
// changed since it was pushed is dropped when popped. That is O(n log n) and
// picks the same pair at every step; tests keep the direct loop
// (llama2cEncodeNaive, gpt2BPENaive) and compare.
//
// Where the ranks come from:
//
//   - llama2.c (and GGUF "llama" vocabularies without merges, as llama.cpp):
//     every split of a token T into two tokens a+b is a rule a,b -> T whose
//     priority is score(T), higher first. Scores become dense ranks (equal
//     scores share a rank), so ties resolve leftmost as in run.c. As run.c,
//     a token scoring <= -1e10 is never merged.
//   - HF BPE and GPT-2: the line number of "a b" in the merge list.
//
// llama2.c's encode: if the text is non-empty, the " " token first (the
// SentencePiece dummy prefix), then the symbols and merges above; BOS = 1
// and EOS = 2 are fixed ids. Decoding maps <0xXX> to the raw byte and drops
// the leading space of the piece after BOS (or at the start).
//
// GPT-2: the text is split by
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// written out by hand (splitGPT2; Go's regexp has no lookahead): at each
// position the first alternative that matches wins; a whitespace run
// followed by a non-space gives up its last character, which then starts
// the next word (" word"). \s, \p{L}, \p{N} are unicode.IsSpace, IsLetter,
// IsNumber; an invalid UTF-8 byte is one character of the "other" class.
// Each byte of a word is one symbol, the token of its byte-level rune
// (bytes_to_unicode: printable Latin-1 bytes map to themselves, the other 68
// to U+0100 onwards, so space is "Ġ"). "<|endoftext|>" in text is plain
// text, as in OpenAI's encoder.py.
//
// # Speed
//
// Words up to 64 bytes are cached (a map, cleared when it reaches 65536
// entries). Text that is not pre-tokenized (llama2.c, Llama 2's
// tokenizer.json) is one long word; it is cut before every space symbol
// when no merge result holds that symbol after its first byte, which
// SentencePiece vocabularies trained with split_by_whitespace satisfy: no
// merge then crosses a cut, so each part merges on its own in the same
// order as in the whole (safeSplit; tested against the whole-text merge).
//
// # HF tokenizer.json
//
// Supported: model BPE (byte_fallback, fuse_unk, ignore_merges, unk_token;
// merges as "a b" strings or [a, b] pairs); normalizers Sequence, Prepend,
// Replace (string pattern), Lowercase, NFC; pre-tokenizers Sequence,
// ByteLevel, Metaspace, Split with a string pattern or with the GPT-2,
// Llama 3 or Qwen2 regex; post-processors TemplateProcessing (its leading
// special token is BOS, and sets Vocab.AddBOS), ByteLevel, Sequence;
// decoders Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip,
// Metaspace. Anything else is an error naming the file and the component.
// Added tokens are matched in the raw text (leftmost, longest first) before
// normalization; their lstrip, rstrip and single_word flags are ignored.
// When decoding, special added tokens produce nothing; other added tokens
// pass through the decoders except ByteLevel, which leaves them verbatim
// (as transformers and tokenizers.js do).
//
// The Llama 3 regex (Qwen2's takes one digit per piece, not up to three)
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// is written out by hand as GPT-2's is (splitLlama3). A byte-level Vocab
// names its pre-tokenizer in Pre as GGUF's tokenizer.ggml.pre does
// ("gpt-2", "llama-bpe", "qwen2"), so a GGUF export carries it and
// llama.cpp tokenizes as distill does (checked in checkpoint's
// TestLlamaCppTokenizesAsDistill; llama.cpp skips Qwen's NFC normalizer).
//
// The real tokenizers of Llama 3.1, Llama 3, Qwen3 and Gemma 3 are checked
// against the JavaScript implementation of HF tokenizers on a corpus of
// over 2,000 strings (TestRealTokenizers, `make test-tokenizers`).
//
// # Decoding
//
// Control tokens decode to nothing. Byte tokens decode to raw bytes, so
// Decode may return invalid UTF-8 for a sequence cut inside a character,
// and Decode(Encode(s)) == s for any s, invalid UTF-8 included, for
// llama2.c and GPT-2 (and tokenizer.json files as this package writes
// them, for text without added-token strings or "▁"). The first piece, and
// a piece after BOS, loses one leading space where the format prepends one
// (SentencePiece): llama2.c's rule, and HF's (whose Strip decoder acts on
// the start of the decoded text) except for a BOS in mid-sequence.
package tokenizer
