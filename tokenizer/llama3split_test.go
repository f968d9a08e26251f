package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitLlama3(t *testing.T) {
	for _, c := range []struct {
		in        string
		maxDigits int
		want      []string
	}{
		{"Hello world", 3, []string{"Hello", " world"}},
		{"12345", 3, []string{"123", "45"}},
		{"12345", 1, []string{"1", "2", "3", "4", "5"}},
		{"don't DON'T", 3, []string{"don", "'t", " DON", "'T"}},
		{"we'LL", 3, []string{"we", "'LL"}},
		{"'hello", 3, []string{"'hello"}},
		{"a  b", 3, []string{"a", " ", " b"}},
		{"x\n\ny", 3, []string{"x", "\n\n", "y"}},
		{"x \n y", 3, []string{"x", " \n", " y"}},
		{"...!\n\nz", 3, []string{"...!\n\n", "z"}},
		{" ... x", 3, []string{" ...", " x"}},
		{"a  ", 3, []string{"a", "  "}},
		{"\tword", 3, []string{"\tword"}},
		{"\r\nword", 3, []string{"\r\n", "word"}},
		{"3.14", 3, []string{"3", ".", "14"}},
		{"é漢字 🙂🙂", 3, []string{"é漢字", " 🙂🙂"}},
		{"\xff\xfe", 3, []string{"\xff\xfe"}},
	} {
		var got []string
		splitLlama3(c.in, c.maxDigits, func(w string) { got = append(got, w) })
		if !slices.Equal(got, c.want) {
			t.Errorf("splitLlama3(%q, %d) = %q, want %q", c.in, c.maxDigits, got, c.want)
		}
		if strings.Join(got, "") != c.in {
			t.Errorf("splitLlama3(%q) pieces do not concatenate to the input", c.in)
		}
	}
}

func TestSplitString(t *testing.T) {
	for _, c := range []struct {
		behavior string
		want     []string
	}{
		{"Removed", []string{"the", "final", "countdown"}},
		{"Isolated", []string{"the", "-", "final", "-", "-", "countdown"}},
		{"MergedWithPrevious", []string{"the-", "final-", "-", "countdown"}},
		{"MergedWithNext", []string{"the", "-final", "-", "-countdown"}},
	} {
		split, ok := splitString("-", c.behavior)
		if !ok {
			t.Fatalf("splitString: behavior %s refused", c.behavior)
		}
		var got []string
		split("the-final--countdown", func(w string) { got = append(got, w) })
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.behavior, got, c.want)
		}
	}
	if _, ok := splitString("-", "Contiguous"); ok {
		t.Error("Contiguous accepted, but it is not implemented")
	}
}
