package tokenizer

import (
	"encoding/binary"
	"math"
	"os"
	"slices"
	"testing"
)

// ggufKV reads the metadata of a GGUF v3 file: just enough of the format
// (scalars, strings, arrays of them) to compare an embedded tokenizer; the
// real reader lives in checkpoint/gguf.
func ggufKV(t *testing.T, path string) map[string]any {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	u32 := func() uint32 { v := binary.LittleEndian.Uint32(data[off:]); off += 4; return v }
	u64 := func() uint64 { v := binary.LittleEndian.Uint64(data[off:]); off += 8; return v }
	str := func() string { n := int(u64()); s := string(data[off : off+n]); off += n; return s }
	var val func(typ uint32) any
	val = func(typ uint32) any {
		switch typ {
		case 4, 5: // uint32, int32
			return int64(int32(u32()))
		case 6:
			return math.Float32frombits(u32())
		case 7, 0, 1:
			off++
			return int64(data[off-1])
		case 8:
			return str()
		case 9:
			et, n := u32(), int(u64())
			out := make([]any, n)
			for i := range out {
				out[i] = val(et)
			}
			return out
		case 10, 11:
			return int64(u64())
		}
		t.Fatalf("%s: GGUF value type %d not handled by the test reader", path, typ)
		return nil
	}
	if string(data[:4]) != "GGUF" {
		t.Fatalf("%s: not GGUF", path)
	}
	off = 8
	u64() // tensor count
	kv := map[string]any{}
	for n := u64(); n > 0; n-- {
		k := str()
		kv[k] = val(u32())
	}
	return kv
}

// TestVocabMatchesGGUF: VocabOf(tok512.bin) is the vocabulary a llama.cpp
// conversion embeds in stories260K.gguf, and FromVocab of that embedded
// vocabulary encodes as tok512.
func TestVocabMatchesGGUF(t *testing.T) {
	kv := ggufKV(t, sharedData(t, "stories260K", "stories260K.gguf"))
	tok := loadTok512(t)
	v := VocabOf(tok)
	g := &Vocab{Model: kv["tokenizer.ggml.model"].(string), PAD: -1, AddBOS: true,
		UNK: int32(kv["tokenizer.ggml.unknown_token_id"].(int64)),
		BOS: int32(kv["tokenizer.ggml.bos_token_id"].(int64)),
		EOS: int32(kv["tokenizer.ggml.eos_token_id"].(int64))}
	for i, x := range kv["tokenizer.ggml.tokens"].([]any) {
		g.Tokens = append(g.Tokens, x.(string))
		g.Scores = append(g.Scores, kv["tokenizer.ggml.scores"].([]any)[i].(float32))
		g.Types = append(g.Types, TokenType(kv["tokenizer.ggml.token_type"].([]any)[i].(int64)))
	}
	if g.Model != v.Model || g.UNK != v.UNK || g.BOS != v.BOS || g.EOS != v.EOS {
		t.Errorf("GGUF model/UNK/BOS/EOS %q/%d/%d/%d, VocabOf %q/%d/%d/%d", g.Model, g.UNK, g.BOS, g.EOS, v.Model, v.UNK, v.BOS, v.EOS)
	}
	for _, d := range []struct {
		name string
		eq   bool
	}{{"tokens", slices.Equal(g.Tokens, v.Tokens)}, {"scores", slices.Equal(g.Scores, v.Scores)}, {"types", slices.Equal(g.Types, v.Types)}} {
		if !d.eq {
			t.Errorf("GGUF %s differ from VocabOf(tok512)", d.name)
		}
	}
	fromGGUF, err := FromVocab("stories260K.gguf", g)
	if err != nil {
		t.Fatal(err)
	}
	text := readText(t, "tinystories-gen", "valid.txt")
	if i := mismatch(fromGGUF.Encode(text, true, false), tok.Encode(text, true, false)); i >= 0 {
		t.Errorf("FromVocab(GGUF vocabulary) encodes differently at token %d", i)
	}
}
