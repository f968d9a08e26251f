package corpusgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

// TestGolden pins the output of a few seeds: a change to the generator,
// its word lists or the random source shows up here first (and then
// testdata/quickstart must be regenerated).
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		n    int
		seed uint64
		want string
	}{
		{20, 1, "0506a552718636312090a5968b054247a079e4d5e6b7ab9facc8e933ded9e22c"},
		{20, 2, "bf890d7fa141db915fcb9399dad5ed3eaef5edb6b9ca1dee4ff3f9f5779cfe36"},
		{3, 12345, "f73e5e2a56480d2490788f1a1553adfd35f1557675a7731f939f9be9ee245ed0"},
	} {
		var b bytes.Buffer
		if err := Write(&b, tc.n, tc.seed); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b.Bytes())
		if got := hex.EncodeToString(sum[:]); got != tc.want {
			t.Errorf("Write(n=%d, seed=%d): sha256 %s, want %s", tc.n, tc.seed, got, tc.want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	for _, x := range []struct {
		w    *bytes.Buffer
		seed uint64
	}{{&a, 9}, {&b, 9}, {&c, 10}} {
		if err := Write(x.w, 50, x.seed); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same seed gave different text")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("seeds 9 and 10 gave the same text")
	}
}

// TestFormat checks the document structure the data readers rely on: n
// non-empty single-line paragraphs separated by exactly one blank line,
// each of MinWords..MaxWords words, ending with a newline.
func TestFormat(t *testing.T) {
	const n = 300
	var b bytes.Buffer
	if err := Write(&b, n, 3); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if !strings.HasSuffix(text, "\n") || strings.HasSuffix(text, "\n\n") {
		t.Errorf("text should end with exactly one newline")
	}
	docs := strings.Split(strings.TrimSuffix(text, "\n"), "\n\n")
	if len(docs) != n {
		t.Fatalf("%d documents, want %d", len(docs), n)
	}
	minW, maxW := MaxWords, 0
	for i, d := range docs {
		w := len(strings.Fields(d))
		minW, maxW = min(minW, w), max(maxW, w)
		switch {
		case strings.TrimSpace(d) == "":
			t.Errorf("document %d is empty", i)
		case strings.ContainsAny(d, "\n\r{}"):
			t.Errorf("document %d holds a newline or an unreplaced placeholder: %q", i, d)
		case w < MinWords || w > MaxWords:
			t.Errorf("document %d has %d words, want %d..%d", i, w, MinWords, MaxWords)
		}
	}
	t.Logf("%d documents, %d bytes, %d..%d words", n, len(text), minW, maxW)
}

// TestEntitiesReused checks that every story names its hero more than once
// and comes back to its object: the long-range structure the teacher has
// to learn.
func TestEntitiesReused(t *testing.T) {
	i := 0
	for st := range Stories(4) {
		if i++; i > 300 {
			break
		}
		if c := strings.Count(st.Text, st.Hero.Name); c < 3 {
			t.Errorf("story %d names its hero %q %d times: %q", i, st.Hero.Name, c, st.Text)
		}
		if c := strings.Count(st.Text, st.Object); c < 2 {
			t.Errorf("story %d names its object %q %d times: %q", i, st.Object, c, st.Text)
		}
		if !strings.Contains(st.Text, st.Friend.Name) {
			t.Errorf("story %d never names its friend %q: %q", i, st.Friend.Name, st.Text)
		}
		if st.Hero.Name == st.Friend.Name {
			t.Errorf("story %d: hero and friend are both %q", i, st.Hero.Name)
		}
	}
}

var (
	sentenceEnd = regexp.MustCompile(`[.!?]"? `)
	pronounRE   = regexp.MustCompile(`\b(he|him|his|she|her|He|His|She|Her)\b`)
)

// TestPronounAgreement: in a sentence that starts with a character's name
// and does not name the other character, every third-person pronoun is the
// character's own (the templates' rule, see templates.go).
func TestPronounAgreement(t *testing.T) {
	i := 0
	checked := 0
	for st := range Stories(5) {
		if i++; i > 500 {
			break
		}
		for _, sent := range sentenceEnd.Split(st.Text, -1) {
			for _, c := range []struct{ self, other Character }{{st.Hero, st.Friend}, {st.Friend, st.Hero}} {
				if !strings.HasPrefix(sent, c.self.Name+" ") && !strings.HasPrefix(sent, c.self.Name+"'") ||
					strings.Contains(sent, c.other.Name) {
					continue
				}
				for _, p := range pronounRE.FindAllString(sent, -1) {
					checked++
					if female := isFemale(p); female != c.self.Female {
						t.Errorf("story %d: %q in %q about %s (female=%v)", i, p, sent, c.self.Name, c.self.Female)
					}
				}
			}
		}
	}
	if checked < 500 {
		t.Errorf("only %d pronouns checked", checked)
	}
}

func isFemale(pronoun string) bool {
	switch strings.ToLower(pronoun) {
	case "she", "her":
		return true
	}
	return false
}

// TestVocabulary checks the corpus uses a few hundred distinct words.
func TestVocabulary(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, 2000, 6); err != nil {
		t.Fatal(err)
	}
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(b.String(), func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '\'')
	}) {
		words[strings.ToLower(w)] = true
	}
	if n := len(words); n < 200 || n > 1000 {
		t.Errorf("%d distinct words, want a few hundred", n)
	}
	t.Logf("%d distinct words", len(words))
}

func BenchmarkWrite(b *testing.B) {
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, 100, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
