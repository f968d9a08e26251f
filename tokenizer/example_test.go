package tokenizer_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/distill-dev/distill/tokenizer"
)

// Build a tiny SentencePiece-style vocabulary, tokenize with it, and write
// it as tokenizer.json.
func Example() {
	v := &tokenizer.Vocab{Model: tokenizer.ModelLlama, BOS: 1, EOS: 2, UNK: 0, PAD: -1, AddBOS: true}
	add := func(tok string, score float32, typ tokenizer.TokenType) {
		v.Tokens = append(v.Tokens, tok)
		v.Scores = append(v.Scores, score)
		v.Types = append(v.Types, typ)
	}
	add("<unk>", 0, tokenizer.TokenUnknown)
	add("<s>", 0, tokenizer.TokenControl)
	add("</s>", 0, tokenizer.TokenControl)
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b), 0, tokenizer.TokenByte)
	}
	for i, p := range []string{"▁h", "▁hi", "▁", "h", "i"} {
		add(p, -float32(i), tokenizer.TokenNormal)
	}
	tok, err := tokenizer.FromVocab("example", v)
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("hi hi!", true, false)
	fmt.Println(ids, fmt.Sprintf("%q", tok.Decode(ids)))

	var buf bytes.Buffer
	if err := tokenizer.WriteHFTokenizerJSON(&buf, tokenizer.VocabOf(tok)); err != nil {
		fmt.Println(err)
		return
	}
	hf, err := tokenizer.ParseHF(buf.Bytes(), "tokenizer.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(hf.Encode("hi hi!", true, false))
	// Output:
	// [1 260 260 36] "hi hi!"
	// [1 260 260 36]
}

// Load detects the format from the path.
func ExampleLoad() {
	tok, err := tokenizer.Load("../../../shared/data/stories260K/tok512.bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // the shared data is absent
		return
	}
	fmt.Println(tok.Encode("Once upon a time", true, false))
}
