package corpus

import (
	"reflect"
	"strings"
	"testing"
)

// TestSpilledStreamIsTheSame: a stream built on disk holds the values of
// the one built in memory, for every BOS placement and format, and cuts
// (Limit, Slice, a held-out split) alike.
func TestSpilledStreamIsTheSame(t *testing.T) {
	text := writeFile(t, "a.txt", "5 6 7\n\n8\n\n\n9 10 11 12\n13\n\n14")
	jsonl := writeFile(t, "a.jsonl", `{"text": "5 6"}`+"\n"+`{"text": " "}`+"\n"+`{"text": "7 8 9"}`+"\n")
	for _, path := range []string{text, jsonl} {
		for _, bos := range []BOS{BOSNone, BOSStream, BOSDocument} {
			mem, err := TokenizeFile(path, ReadOptions{}, numbers{}, bos)
			if err != nil {
				t.Fatal(err)
			}
			old := SpillBytes
			SpillBytes = 0
			disk, err := TokenizeFile(path, ReadOptions{}, numbers{}, bos)
			SpillBytes = old
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(mem, disk) {
				t.Errorf("%s %v: on disk %+v, in memory %+v", path, bos, disk, mem)
			}
			if !reflect.DeepEqual(mem.Limit(4), disk.Limit(4)) || !reflect.DeepEqual(mem.Slice(1, 2), disk.Slice(1, 2)) {
				t.Errorf("%s %v: cuts differ", path, bos)
			}
			disk.IDs[0]++ // writable like a slice
		}
	}
	old := SpillBytes
	SpillBytes = 0
	defer func() { SpillBytes = old }()
	empty := writeFile(t, "empty.txt", " \n\n ")
	if _, err := TokenizeFile(empty, ReadOptions{}, numbers{}, BOSDocument); err == nil || !strings.Contains(err.Error(), "no text") {
		t.Errorf("empty file on disk: %v", err)
	}
}
