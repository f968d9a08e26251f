package tokenizer

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/distill-dev/distill/internal/corpusgen"
)

// stories returns n generated stories of seed.
func stories(t testing.TB, n int, seed uint64) []string {
	t.Helper()
	var b bytes.Buffer
	if err := corpusgen.Write(&b, n, seed); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n\n")
}

// trained trains on 400 stories and returns the vocabulary and the two
// tokenizers built from it: FromVocab and a round trip through
// tokenizer.bin.
func trained(t testing.TB, vocabSize int) ([]string, *Vocab, Tokenizer, Tokenizer) {
	t.Helper()
	docs := stories(t, 400, 1)
	v, err := TrainBPE(docs, vocabSize)
	if err != nil {
		t.Fatal(err)
	}
	fromVocab, err := FromVocab("trained", v)
	if err != nil {
		t.Fatal(err)
	}
	return docs, v, fromVocab, viaLlama2C(t, v)
}

// viaLlama2C writes v as a tokenizer.bin and reads it back.
func viaLlama2C(t testing.TB, v *Vocab) Tokenizer {
	t.Helper()
	var bin bytes.Buffer
	if err := WriteLlama2C(&bin, v); err != nil {
		t.Fatal(err)
	}
	tok, err := ReadLlama2C(&bin, "trained.bin", len(v.Tokens))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTrainBPELayout(t *testing.T) {
	_, v, _, fromBin := trained(t, 512)
	if len(v.Tokens) != 512 || len(v.Scores) != 512 || len(v.Types) != 512 {
		t.Fatalf("%d tokens, %d scores, %d types; want 512", len(v.Tokens), len(v.Scores), len(v.Types))
	}
	want := []string{"<unk>", "<s>", "</s>", "<0x00>"}
	if !reflect.DeepEqual(v.Tokens[:4], want) || v.Tokens[258] != "<0xFF>" {
		t.Errorf("tokens 0..3 %q, 258 %q; want %q and <0xFF>", v.Tokens[:4], v.Tokens[258], want)
	}
	if v.BOS != 1 || v.EOS != 2 || v.UNK != 0 || !v.AddBOS {
		t.Errorf("BOS %d EOS %d UNK %d AddBOS %v", v.BOS, v.EOS, v.UNK, v.AddBOS)
	}
	seen := map[string]int{}
	for i := 259; i < len(v.Tokens); i++ {
		if v.Scores[i] != -float32(i-259) {
			t.Errorf("token %d %q: score %v, want %v", i, v.Tokens[i], v.Scores[i], -float32(i-259))
		}
		if j, dup := seen[v.Tokens[i]]; dup {
			t.Errorf("tokens %d and %d are both %q", j, i, v.Tokens[i])
		}
		seen[v.Tokens[i]] = i
		if strings.Contains(v.Tokens[i][1:], spmSpace) {
			t.Errorf("token %d %q holds a space after its start", i, v.Tokens[i])
		}
	}
	if _, ok := seen[spmSpace+"the"]; !ok {
		t.Errorf(`no token "▁the" learned`)
	}
	if got := VocabOf(fromBin); !reflect.DeepEqual(got, v) {
		t.Errorf("tokenizer.bin round trip changed the vocabulary")
	}
}

// TestTrainBPEReproducesTraining: encoding a training text with the learned
// vocabulary (run.c's greedy-by-score loop, this package's fast encoder from
// the Vocab and from tokenizer.bin) gives exactly the segmentation the
// trainer ended with.
func TestTrainBPEReproducesTraining(t *testing.T) {
	docs, v, fromVocab, fromBin := trained(t, 512)
	words, chars := countWords(docs)
	reserved := map[string]bool{}
	merges := trainWords(words, chars, reserved, 512-259-len(chars))
	rank := map[string]int{}
	for r, m := range merges {
		rank[m] = r
	}
	ids := map[string]int32{}
	for i, p := range v.Tokens {
		ids[strings.ReplaceAll(p, spmSpace, " ")] = int32(i)
	}
	pieces := make([]string, len(v.Tokens))
	for i, p := range v.Tokens {
		pieces[i] = strings.ReplaceAll(p, spmSpace, " ")
	}
	for _, doc := range docs[:50] {
		var want []int32
		for w := range strings.FieldsSeq(doc) {
			syms := mergeByRank(strings.Split(" "+w, ""), rank)
			for _, s := range syms {
				want = append(want, ids[s])
			}
		}
		for name, got := range map[string][]int32{
			"FromVocab":   fromVocab.Encode(doc, false, false),
			"LoadLlama2C": fromBin.Encode(doc, false, false),
			"naive":       llama2cEncodeNaive(pieces, v.Scores, doc),
		} {
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s encodes %q as\n%v, the trainer segmented it as\n%v", name, doc, got, want)
			}
		}
	}
}

func TestTrainBPERoundTrip(t *testing.T) {
	docs, v, fromVocab, fromBin := trained(t, 512)
	var js bytes.Buffer
	if err := WriteHFTokenizerJSON(&js, v); err != nil {
		t.Fatal(err)
	}
	fromHF, err := ParseHF(js.Bytes(), "trained.json")
	if err != nil {
		t.Fatal(err)
	}
	odd := []string{
		"", " ", "  two  spaces ", "tab\tand\nnewline\n", "héllo wörld — “quotes” 🙂",
		"literal ▁ meta ▁▁x", "<unk> <s> </s> <0x41> <0x4", "\xff\xfe invalid \xc3",
		"Lily said, \"Oh no!\"", strings.Repeat("a", 3000),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		odd = append(odd, string(b))
	}
	for _, s := range append(odd, docs[:100]...) {
		a, b, c := fromVocab.Encode(s, true, false), fromBin.Encode(s, true, false), fromHF.Encode(s, true, false)
		// FromVocab and tokenizer.json read a "▁" in the text as a space,
		// and tokenizer.json matches "<s>" etc. as added tokens (doc.go);
		// tokenizer.bin sees plain characters.
		if !strings.Contains(s, spmSpace) && !reflect.DeepEqual(a, b) {
			t.Errorf("%q: FromVocab %v, tokenizer.bin %v", s, a, b)
		}
		if !strings.Contains(s, spmSpace) && !strings.Contains(s, "<") && !reflect.DeepEqual(c, b) {
			t.Errorf("%q: tokenizer.json %v, tokenizer.bin %v", s, c, b)
		}
		if got := fromBin.Decode(b); got != s {
			t.Errorf("Decode(Encode(%q)) = %q", s, got)
		}
	}
}

// TestTrainBPECompresses: on held-out stories (another seed) the learned
// vocabulary needs far fewer tokens than bytes.
func TestTrainBPECompresses(t *testing.T) {
	_, _, _, tok := trained(t, 512)
	held := stories(t, 100, 99)
	var nTok, nByte int
	for _, d := range held {
		nTok += len(tok.Encode(d, false, false))
		nByte += len(d)
	}
	ratio := float64(nTok) / float64(nByte)
	t.Logf("held-out: %d tokens for %d bytes: %.3f tokens/byte", nTok, nByte, ratio)
	if ratio > 0.5 { // tok512 on TinyStories: about 0.42
		t.Errorf("%.3f tokens/byte, want well below 1 (< 0.5)", ratio)
	}
}

func TestTrainBPEDeterministic(t *testing.T) {
	docs := stories(t, 200, 3)
	a, err := TrainBPE(docs, 400)
	if err != nil {
		t.Fatal(err)
	}
	shuffled := append([]string(nil), docs...)
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	b, err := TrainBPE(shuffled, 400)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("training on the same documents in another order gave another vocabulary")
	}
}

func TestTrainBPEErrors(t *testing.T) {
	for _, tc := range []struct {
		texts []string
		size  int
		want  string
	}{
		{[]string{"hello"}, 259, "leaves no room"},
		{[]string{"", ""}, 300, "no text"},
		{nil, 300, "no text"},
		{[]string{"ab ab"}, 300, "allows only"},
	} {
		_, err := TrainBPE(tc.texts, tc.size)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("TrainBPE(%q, %d): error %v, want one containing %q", tc.texts, tc.size, err, tc.want)
		}
	}
}

// TestTrainBPECharacterBudget: with room for fewer characters than the
// text has, the rarest go to byte fallback and everything still round-trips.
func TestTrainBPECharacterBudget(t *testing.T) {
	text := []string{"aaaa bbb cc d é 🙂"}
	v, err := TrainBPE(text, 259+4)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Tokens[259:]; !reflect.DeepEqual(got, []string{"▁", "a", "b", "c"}) {
		t.Errorf("learned %q, want the 4 most frequent characters", got)
	}
	tok, err := FromVocab("budget", v)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Decode(tok.Encode(text[0], true, true)); got != text[0] {
		t.Errorf("round trip gave %q", got)
	}
}

func BenchmarkTrainBPE(b *testing.B) {
	docs := stories(b, 400, 1)
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	b.SetBytes(int64(n))
	for b.Loop() {
		if _, err := TrainBPE(docs, 512); err != nil {
			b.Fatal(err)
		}
	}
}

// trainerEncode segments text as the trainer does (mergeByRank on each
// word, barriers as their byte tokens) with the merges of v.
func trainerEncode(v *Vocab, text string) []int32 {
	ids := map[string]int32{}
	rank := map[string]int{}
	for i, p := range v.Tokens {
		if v.Types[i] == TokenNormal {
			p = strings.ReplaceAll(p, spmSpace, " ")
			ids[p] = int32(i)
			if utf8.RuneCountInString(p) > 1 {
				rank[p] = int(-v.Scores[i])
			}
		}
	}
	var out []int32
	if text == "" {
		return out
	}
	text = " " + text
	for len(text) > 0 {
		end := strings.IndexByte(text[1:], ' ') + 1
		if end == 0 {
			end = len(text)
		}
		w := text[:end]
		text = text[end:]
		var syms []string
		var barrierBytes []byte
		for i := 0; i < len(w); {
			_, size := utf8.DecodeRuneInString(w[i:])
			if _, ok := ids[w[i:i+size]]; ok {
				syms = append(syms, w[i:i+size])
			} else {
				for k := i; k < i+size; k++ {
					syms = append(syms, "")
					barrierBytes = append(barrierBytes, w[k])
				}
			}
			i += size
		}
		for _, s := range mergeByRank(syms, rank) {
			if s == "" {
				out = append(out, int32(barrierBytes[0])+3)
				barrierBytes = barrierBytes[1:]
			} else {
				out = append(out, ids[s])
			}
		}
	}
	return out
}

// FuzzTrainBPE trains on arbitrary text and checks that encoding reproduces
// the trainer's segmentation (run.c's loop on the learned vocabulary) and
// that every string round-trips.
func FuzzTrainBPE(f *testing.F) {
	f.Add("the cat sat on the mat. the cat ran.", uint8(20))
	f.Add("aaaa aaaa aaab <0x41><0x41> ▁▁ \xff\xfe é é", uint8(10))
	f.Add("Lily said, \"Oh no!\" Lily said, \"Oh yes!\"", uint8(255))
	f.Fuzz(func(t *testing.T, text string, extra uint8) {
		docs := strings.Split(text, "\n\n")
		_, chars := countWords(docs)
		size := 259 + len(chars) + int(extra)
		if len(chars) == 0 {
			return
		}
		v, err := TrainBPE(docs, size)
		if err != nil {
			if strings.Contains(err.Error(), "allows only") {
				return
			}
			t.Fatal(err)
		}
		tok := viaLlama2C(t, v)
		pieces := make([]string, len(v.Tokens))
		for i, p := range v.Tokens {
			pieces[i] = strings.ReplaceAll(p, spmSpace, " ")
		}
		for _, d := range docs {
			ids := tok.Encode(d, false, false)
			if naive := llama2cEncodeNaive(pieces, v.Scores, d); !slices.Equal(ids, naive) {
				t.Fatalf("%q: encoder %v, run.c's loop %v", d, ids, naive)
			}
			if tr := trainerEncode(v, d); !slices.Equal(ids, tr) {
				t.Fatalf("%q: encoder %v, trainer %v", d, ids, tr)
			}
			if got := tok.Decode(ids); got != d {
				t.Fatalf("Decode(Encode(%q)) = %q", d, got)
			}
		}
	})
}
