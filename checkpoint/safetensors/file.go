package safetensors

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distill-dev/distill/internal/mmap"
)

// Standard file names of a Hugging Face checkpoint directory.
const (
	SingleFileName = "model.safetensors"
	IndexFileName  = "model.safetensors.index.json"
)

// File is an open checkpoint: one .safetensors file or all shards of an
// index. Its tensors' Data alias the mapped files until Close.
type File struct {
	path     string
	tensors  []Tensor // sorted by name
	byName   map[string]int
	metadata map[string]string
	maps     []*mmap.File
}

// Open opens a checkpoint. path may be a .safetensors file, an index JSON
// (model.safetensors.index.json) or a directory holding either (the index
// wins when both exist; a directory with exactly one .safetensors file uses
// it).
func Open(path string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.IsDir() {
		path, err = findInDir(path)
		if err != nil {
			return nil, err
		}
	}
	if strings.HasSuffix(path, ".json") {
		return openIndex(path)
	}
	f := &File{path: path}
	if err := f.addShard(path, nil); err != nil {
		f.Close()
		return nil, err
	}
	f.finish()
	return f, nil
}

// Read parses a single .safetensors file held in memory; name is used in
// error messages. The tensors alias data.
func Read(name string, data []byte) (*File, error) {
	p, err := parseFile(name, data)
	if err != nil {
		return nil, err
	}
	f := &File{path: name, tensors: p.tensors, metadata: p.metadata}
	f.finish()
	return f, nil
}

// findInDir picks the checkpoint file inside dir.
func findInDir(dir string) (string, error) {
	for _, name := range []string{IndexFileName, SingleFileName} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if len(matches) == 1 {
		return matches[0], nil
	}
	return "", fmt.Errorf("safetensors: %s: no %s or %s (and %d other .safetensors files)", dir, IndexFileName, SingleFileName, len(matches))
}

// addShard maps and parses one file and appends its tensors. When want is
// non-nil, the file must hold exactly the tensors want maps to it.
func (f *File) addShard(path string, want map[string]bool) error {
	m, err := mmap.Open(path)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	f.maps = append(f.maps, m)
	p, err := parseFile(path, m.Data)
	if err != nil {
		return err
	}
	if want != nil {
		for _, t := range p.tensors {
			if !want[t.Name] {
				return fmt.Errorf("safetensors: %s: tensor %q is not listed for this shard in %s", path, t.Name, f.path)
			}
		}
		if len(p.tensors) != len(want) {
			have := map[string]bool{}
			for _, t := range p.tensors {
				have[t.Name] = true
			}
			for _, name := range sortedKeys(want) {
				if !have[name] {
					return fmt.Errorf("safetensors: %s: tensor %q listed in %s is missing", path, name, f.path)
				}
			}
		}
	}
	f.tensors = append(f.tensors, p.tensors...)
	if f.metadata == nil {
		f.metadata = p.metadata
	} else {
		for k, v := range p.metadata {
			if _, ok := f.metadata[k]; !ok {
				f.metadata[k] = v
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// finish sorts the tensors and builds the name index.
func (f *File) finish() {
	sort.Slice(f.tensors, func(i, j int) bool { return f.tensors[i].Name < f.tensors[j].Name })
	f.byName = make(map[string]int, len(f.tensors))
	for i, t := range f.tensors {
		f.byName[t.Name] = i
	}
	if f.metadata == nil {
		f.metadata = map[string]string{}
	}
}

// Path returns the path Open resolved (a .safetensors file or an index).
func (f *File) Path() string { return f.path }

// Tensors returns all tensors sorted by name. The slice is shared: do not
// modify it.
func (f *File) Tensors() []Tensor { return f.tensors }

// Tensor returns the named tensor, or an error naming the file and tensor.
func (f *File) Tensor(name string) (*Tensor, error) {
	i, ok := f.byName[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: tensor %q not found", f.path, name)
	}
	return &f.tensors[i], nil
}

// Metadata returns the __metadata__ string map (merged over shards; empty
// when absent). Do not modify it.
func (f *File) Metadata() map[string]string { return f.metadata }

// Close unmaps the files. Tensor data must not be used afterwards.
func (f *File) Close() error {
	var errs []error
	for _, m := range f.maps {
		errs = append(errs, m.Close())
	}
	f.maps = nil
	return errors.Join(errs...)
}
