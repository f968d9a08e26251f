package corpus

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// numbers encodes a text of space-separated integers as those ids; BOS is 1.
type numbers struct{}

func (numbers) BOS() int32 { return 1 }
func (numbers) Encode(text string, addBOS, addEOS bool) []int32 {
	var out []int32
	if addBOS {
		out = append(out, 1)
	}
	for _, f := range strings.Fields(text) {
		n, _ := strconv.Atoi(f)
		out = append(out, int32(n))
	}
	return out
}

func TestBOSPlacement(t *testing.T) {
	docs := []string{"5 6 7", "8", "9 10"}
	for _, tc := range []struct {
		bos     BOS
		ids     []int32
		starts  []int
		targets int
	}{
		{BOSNone, []int32{5, 6, 7, 8, 9, 10}, []int{0, 3, 4}, 5},
		{BOSStream, []int32{1, 5, 6, 7, 8, 9, 10}, []int{0, 4, 5}, 6},
		{BOSDocument, []int32{1, 5, 6, 7, 1, 8, 1, 9, 10}, []int{0, 4, 6}, 6},
	} {
		s := Tokenize(numbers{}, docs, tc.bos)
		if !slices.Equal(s.IDs, tc.ids) || !slices.Equal(s.Starts, tc.starts) || s.Targets() != tc.targets {
			t.Errorf("%v: ids %v starts %v targets %d, want %v %v %d", tc.bos, s.IDs, s.Starts, s.Targets(), tc.ids, tc.starts, tc.targets)
		}
		b, note, err := ParseBOS(tc.bos.String())
		if err != nil || b != tc.bos || note != "" {
			t.Errorf("ParseBOS(%q) = %v, %q, %v", tc.bos.String(), b, note, err)
		}
	}
}

func TestParseBOSAliases(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want BOS
		note string
	}{
		{"document", BOSDocument, ""},
		{"stream", BOSStream, ""},
		{"none", BOSNone, ""},
		{"doc", BOSDocument, `"doc" is deprecated: write "document"`},
		{"sequence", BOSStream, `"sequence" is deprecated: write "stream"`},
	} {
		b, note, err := ParseBOS(tc.in)
		if err != nil || b != tc.want || !strings.Contains(note, tc.note) || (tc.note == "") != (note == "") {
			t.Errorf("ParseBOS(%q) = %v, %q, %v; want %v, %q", tc.in, b, note, err, tc.want, tc.note)
		}
	}
	if _, _, err := ParseBOS("yes"); err == nil || !strings.Contains(err.Error(), "want document, stream or none") {
		t.Errorf("ParseBOS(yes): %v", err)
	}
}

// TokenizeFile streams a file into exactly the stream Tokenize makes of
// Read's documents.
func TestTokenizeFileMatchesRead(t *testing.T) {
	p := writeFile(t, "n.txt", "3 4\n5\n\n6\n \n7 8 9\n")
	docs, err := Read(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := Tokenize(numbers{}, docs, BOSDocument)
	got, err := TokenizeFile(p, ReadOptions{}, numbers{}, BOSDocument)
	if err != nil || !slices.Equal(got.IDs, want.IDs) || !slices.Equal(got.Target, want.Target) || !slices.Equal(got.Starts, want.Starts) {
		t.Errorf("TokenizeFile = %+v, %v; want %+v", got, err, want)
	}
	if _, err := TokenizeFile(writeFile(t, "e.txt", "\n"), ReadOptions{}, numbers{}, BOSDocument); err == nil {
		t.Error("empty file accepted")
	}
}

func TestLimitAndSlice(t *testing.T) {
	s := Tokenize(numbers{}, []string{"5 6 7", "8", "9 10"}, BOSDocument) // 1 5 6 7 | 1 8 | 1 9 10
	l := s.Limit(5)
	if !slices.Equal(l.IDs, []int32{1, 5, 6, 7, 1}) || !slices.Equal(l.Starts, []int{0, 4}) || len(l.Target) != 5 {
		t.Errorf("Limit(5) = %+v", l)
	}
	if s.Limit(0).Len() != 9 || s.Limit(100).Len() != 9 {
		t.Error("Limit(0) or Limit(100) cut the stream")
	}
	m := s.Slice(1, 3)
	if !slices.Equal(m.IDs, []int32{1, 8, 1, 9, 10}) || !slices.Equal(m.Starts, []int{0, 2}) || !slices.Equal(m.Target, []bool{false, true, false, true, true}) {
		t.Errorf("Slice(1, 3) = %+v", m)
	}
}
