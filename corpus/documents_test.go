package corpus

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRead(t *testing.T) {
	text := "One story.\nSecond line.\n\n  \nAnother story.\r\n\n\nLast."
	for _, tc := range []struct {
		name, content string
		o             ReadOptions
		want          []string
	}{
		{"a.txt", text, ReadOptions{}, []string{"One story.\nSecond line.", "Another story.", "Last."}},
		{"a.txt", text, ReadOptions{Separator: BlankLine}, []string{"One story.\nSecond line.", "Another story.", "Last."}},
		{"a.txt", text, ReadOptions{Whole: true}, []string{text}},
		{"a.txt", "a<|end|>b\r\n<|end|> <|end|>c", ReadOptions{Separator: "<|end|>"}, []string{"a", "b", "c"}},
		{"a.jsonl", "{\"text\": \" x y \", \"id\": 1}\n\n{\"text\":\"\\u00e9\"}\n{\"text\":\"  \"}", ReadOptions{}, []string{"x y", "é"}},
		{"a.jsonl", "{\"body\": \"b\", \"text\": 3}\n", ReadOptions{TextField: "body"}, []string{"b"}},
		{"a.data", "{\"text\": \"z\"}\n", ReadOptions{Format: FormatJSONL}, []string{"z"}},
		{"a.jsonl", "{\"text\": \"z\"}\n", ReadOptions{Format: FormatText}, []string{"{\"text\": \"z\"}"}},
	} {
		got, err := Read(writeFile(t, tc.name, tc.content), tc.o)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %+v: got %q, %v; want %q", tc.name, tc.o, got, err, tc.want)
		}
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		o             ReadOptions
		want          []string // substrings of the error
	}{
		{"bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"ok\"\n", ReadOptions{}, []string{"bad.jsonl:2:", "invalid JSON"}},
		{"num.jsonl", "\n{\"text\": 5}\n", ReadOptions{}, []string{"num.jsonl:2:", `no "text" string`}},
		{"notext.jsonl", "{\"body\": \"x\"}", ReadOptions{}, []string{"notext.jsonl:1:", `no "text"`}},
		{"array.jsonl", "[1, 2]", ReadOptions{}, []string{"array.jsonl:1:", "invalid JSON"}},
		{"empty.jsonl", "\n\n", ReadOptions{}, []string{"empty.jsonl", "no text"}},
		{"empty.txt", " \n\n", ReadOptions{Whole: true}, []string{"empty.txt", "no text"}},
		{"empty2.txt", "\n \n", ReadOptions{}, []string{"empty2.txt", "no text"}},
		{"fmt.txt", "x", ReadOptions{Format: "csv"}, []string{"fmt.txt", `unknown format "csv"`}},
	} {
		_, err := Read(writeFile(t, tc.name, tc.content), tc.o)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to contain %q", tc.name, err, w)
			}
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.txt"), ReadOptions{}); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatAuto, "auto": FormatAuto, "text": FormatText, "jsonl": FormatJSONL} {
		if f, err := ParseFormat(in); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, f, err)
		}
	}
	if _, err := ParseFormat("csv"); err == nil {
		t.Error("ParseFormat(csv): no error")
	}
	if FormatOf("x/y.JSONL", FormatAuto) != FormatJSONL || FormatOf("y.txt", FormatAuto) != FormatText || FormatOf("y.txt", FormatJSONL) != FormatJSONL {
		t.Error("FormatOf")
	}
}

// TestSeparatorStreamsLikeSplit: cutting at a custom separator a line at a
// time gives the documents of splitting the whole text, on random texts
// made of the separator's pieces, CR, LF and words.
func TestSeparatorStreamsLikeSplit(t *testing.T) {
	pieces := []string{"<|end|>", "<|", "end", "|>", "\r\n", "\n", "\r", " ", "a", "bb", "\n\n"}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sep := range []string{"<|end|>", "\n", "\n\n\n", "end|>\n<|"} {
		for range 300 {
			var b strings.Builder
			for range rng.IntN(40) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			text := b.String()
			var want []string
			for _, d := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), sep) {
				if d = strings.TrimSpace(d); d != "" {
					want = append(want, d)
				}
			}
			var got []string
			if err := eachSeparated(bufio.NewReaderSize(strings.NewReader(text), 16), "x", sep, func(d string) error { got = append(got, d); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("separator %q, text %q: got %q, want %q", sep, text, got, want)
			}
		}
	}
}
