package student

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels/cpu"
)

// TestPartsMergeToWholeCache: three parts written into one folder merge
// into the cache one process writes, file for file; training reads the
// unmerged parts the same way.
func TestPartsMergeToWholeCache(t *testing.T) {
	b := cpu.New(2)
	teacher := newTeacher(t, b, tinyTeacher)
	tokens := randomTokens(2000, tinyTeacher.VocabSize, 5)
	spec := Manifest{TeacherHash: "t", TokenizerHash: "tok", K: 4, SeqLen: 16, Temperature: 2, ShardWindows: 20}
	whole, parts := t.TempDir(), t.TempDir()
	if _, err := Teach(context.Background(), whole, teacher, tokens, 8, spec); err != nil {
		t.Fatal(err)
	}
	teachParts := func(dir string, n int, spec Manifest) {
		t.Helper()
		for i := range n {
			p := spec
			p.Part = &Part{Index: i, Count: n}
			if _, err := Teach(context.Background(), dir, teacher, tokens, 8, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	teachParts(parts, 3, spec)

	c, err := OpenSoftLabels(parts, Manifest{TeacherHash: "t"}) // unmerged
	if err != nil {
		t.Fatal(err)
	}
	if c.Windows != 124 || len(c.Shards) != 7 {
		t.Errorf("unmerged parts read as %d windows in %d shards, want 124 in 7", c.Windows, len(c.Shards))
	}
	c.Close()
	if _, err := WriteMerged(parts); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(whole, "*"))
	if len(files) != 8 {
		t.Fatalf("whole cache has %d files, want a manifest and 7 shards", len(files))
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(parts, filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("merged %s differs from the single-process one (%v)", filepath.Base(f), err)
		}
	}
	// Merging again keeps the equal manifest.json; a part rerun after the
	// merge finds the whole cache.
	if _, err := WriteMerged(parts); err != nil {
		t.Errorf("second merge: %v", err)
	}
	teachParts(parts, 3, spec)

	// More parts than shards: the empty parts still merge.
	many := t.TempDir()
	teachParts(many, 9, spec)
	if m, err := MergeParts(many); err != nil || len(m.Shards) != 7 {
		t.Errorf("9 parts of 7 shards: %v", err)
	}
}

// TestMergeRefusals: the bad inputs of a merge are refused with the files
// named, and nothing is written.
func TestMergeRefusals(t *testing.T) {
	b := cpu.New(2)
	teacher := newTeacher(t, b, tinyTeacher)
	tokens := randomTokens(1000, tinyTeacher.VocabSize, 5)
	spec := Manifest{TeacherHash: "t", TokenizerHash: "tok", K: 4, SeqLen: 16, Temperature: 2, ShardWindows: 10}
	part := func(dir string, i, n int, edit func(*Manifest)) {
		t.Helper()
		p := spec
		p.Part = &Part{Index: i, Count: n}
		if edit != nil {
			edit(&p)
		}
		if _, err := Teach(context.Background(), dir, teacher, tokens, 8, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		setup func(dir string)
		want  []string
	}{
		{"missing part", func(dir string) { part(dir, 0, 3, nil); part(dir, 2, 3, nil) },
			[]string{"part 1/3 is missing", "manifest.part-00001-of-00003.json"}},
		{"other teacher", func(dir string) {
			part(dir, 0, 2, nil)
			part(dir, 1, 2, func(m *Manifest) { m.TeacherHash = "other" })
		}, []string{"manifest.part-00001-of-00002.json and", "manifest.part-00000-of-00002.json were made for different inputs", "teacher_sha256"}},
		{"other data", func(dir string) {
			part(dir, 0, 2, nil)
			tokens[0]++
			defer func() { tokens[0]-- }()
			part(dir, 1, 2, nil)
		}, []string{"manifest.part-00001-of-00002.json", "tokens_sha256"}},
		{"parts of two runs", func(dir string) { part(dir, 0, 2, nil); part(dir, 1, 2, nil); part(dir, 0, 3, nil) },
			[]string{"manifest.part-00000-of-00003.json is part 0/3 but", "manifest.part-00000-of-00002.json is part 0/2"}},
		{"missing shard file", func(dir string) {
			part(dir, 0, 2, nil)
			part(dir, 1, 2, nil)
			os.Remove(filepath.Join(dir, "soft-00004.safetensors"))
		}, []string{"soft-00004.safetensors of", "manifest.part-00001-of-00002.json"}},
		{"unfinished part", func(dir string) {
			part(dir, 0, 2, nil)
			part(dir, 1, 2, nil)
			m, _ := readManifestFile(filepath.Join(dir, partFile(Part{1, 2})))
			m.Shards = m.Shards[:1]
			m.write(dir)
		}, []string{"manifest.part-00001-of-00002.json is unfinished (1 of its 4 shards)", "--shard 1/2"}},
		{"corrupt shard", func(dir string) {
			part(dir, 0, 2, nil)
			part(dir, 1, 2, nil)
			os.WriteFile(filepath.Join(dir, "soft-00001.safetensors"), []byte("x"), 0o644)
		}, []string{"soft-00001.safetensors: checksum"}},
		{"other manifest.json", func(dir string) {
			part(dir, 0, 2, nil)
			part(dir, 1, 2, nil)
			os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"windows": 1}`), 0o644)
		}, []string{"manifest.json already exists", "not overwritten"}},
		{"no parts", func(string) {}, []string{"no part manifests", "--shard i/n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(dir)
			before, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
			_, err := WriteMerged(dir)
			if err == nil {
				t.Fatal("merged")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if after, _ := os.ReadFile(filepath.Join(dir, ManifestFile)); !bytes.Equal(before, after) {
				t.Error("manifest.json was written")
			}
		})
	}
}

func TestParsePart(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want *Part
	}{
		{"0/3", &Part{0, 3}}, {"2/3", &Part{2, 3}}, {" 0 / 1 ", &Part{0, 1}},
		{"3/3", nil}, {"-1/3", nil}, {"0/0", nil}, {"1", nil}, {"a/b", nil}, {"", nil},
	} {
		got, err := ParsePart(tc.spec)
		if tc.want == nil {
			if err == nil || !strings.Contains(err.Error(), "shard") {
				t.Errorf("ParsePart(%q) = %v, %v; want an error", tc.spec, got, err)
			}
			continue
		}
		if err != nil || *got != *tc.want {
			t.Errorf("ParsePart(%q) = %v, %v; want %v", tc.spec, got, err, tc.want)
		}
	}
}

// TestPartCacheMismatch: a part may write beside the other parts of its
// cache (even mid-write), and nowhere else without --force.
func TestPartCacheMismatch(t *testing.T) {
	b := cpu.New(1)
	teacher := newTeacher(t, b, tinyTeacher)
	tokens := randomTokens(600, tinyTeacher.VocabSize, 5)
	spec := Manifest{TeacherHash: "t", TokenizerHash: "tok", K: 4, SeqLen: 16, Temperature: 2, ShardWindows: 10}
	dir := t.TempDir()
	p0 := spec
	p0.Part = &Part{0, 2}
	if _, err := Teach(context.Background(), dir, teacher, tokens, 8, p0); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".soft-00003.safetensors.tmp-1"), nil, 0o644) // another part mid-write
	want := spec
	want.Part = &Part{1, 2}
	if err := CacheMismatch(dir, want); err != nil {
		t.Errorf("part 1/2 beside part 0/2: %v", err)
	}
	// A folder that does not exist yet is a new cache for a part: the
	// other parts may create it at any moment (CI caught a part refusing
	// the folder its siblings had just made).
	if err := CacheMismatch(filepath.Join(dir, "new"), want); err != nil {
		t.Errorf("part 1/2 in a new folder: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Manifest)
		say  string
	}{
		{"other teacher", func(m *Manifest) { m.TeacherHash = "u" }, "teacher_sha256 t, want u"},
		{"other part count", func(m *Manifest) { m.Part = &Part{1, 3} }, "part 0/2, want one of 3 parts"},
	} {
		w := want
		tc.edit(&w)
		if err := CacheMismatch(dir, w); err == nil || !strings.Contains(err.Error(), tc.say) || !strings.Contains(err.Error(), "manifest.part-00000-of-00002.json") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	if err := CacheMismatch(dir, want); err == nil || !strings.Contains(err.Error(), "notes.txt is not part of a soft-label cache") {
		t.Errorf("foreign file: %v", err)
	}
}
