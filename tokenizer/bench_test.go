package tokenizer

import (
	"testing"
)

// Encode throughput on real text, in MB/s of input (b.SetBytes).
//
//	go test ./tokenizer -run '^$' -bench Encode -benchtime 3x

func benchEncode(b *testing.B, tok Tokenizer, rel ...string) {
	text := readText(b, rel...)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n = len(tok.Encode(text, true, false))
	}
	b.ReportMetric(float64(len(text))/float64(n), "bytes/token")
}

func BenchmarkEncodeLlama2CStories(b *testing.B) {
	benchEncode(b, loadTok512(b), "tinystories-gen", "valid.txt")
}

func BenchmarkEncodeLlama2CShakespeare(b *testing.B) {
	benchEncode(b, loadTok512(b), "text", "tinyshakespeare.txt")
}

func BenchmarkEncodeGPT2Stories(b *testing.B) {
	benchEncode(b, loadGPT2(b), "tinystories-gen", "valid.txt")
}

func BenchmarkEncodeGPT2Shakespeare(b *testing.B) {
	benchEncode(b, loadGPT2(b), "text", "tinyshakespeare.txt")
}

// The GPT-2 encoder without the word cache: the BPE merge itself.
func BenchmarkEncodeGPT2NoCache(b *testing.B) {
	tok := loadGPT2(b).(*bpeTokenizer)
	text := readText(b, "tinystories-gen", "valid.txt")
	words := []string{}
	splitGPT2(text, func(w string) { words = append(words, w) })
	b.SetBytes(int64(len(text)))
	var out []int32
	for b.Loop() {
		out = out[:0]
		for _, w := range words {
			out = tok.initialSymbols(w, out)
			start := len(out) - len(w)
			out = out[:start+len(tok.pairs.merge(out[start:]))]
		}
	}
}

func BenchmarkDecodeLlama2C(b *testing.B) {
	tok := loadTok512(b)
	text := readText(b, "tinystories-gen", "valid.txt")
	ids := tok.Encode(text, true, false)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		_ = tok.Decode(ids)
	}
}

func BenchmarkLoadGPT2(b *testing.B) {
	for b.Loop() {
		loadGPT2(b)
	}
}
