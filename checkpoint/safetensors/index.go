package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxIndexSize caps the index JSON; real ones are a few hundred KB.
const maxIndexSize = 64 << 20

// parseIndex decodes a model.safetensors.index.json and returns, for each
// shard file name, the set of tensors it holds. name is used in errors.
func parseIndex(name string, data []byte) (map[string]map[string]bool, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&idx); err != nil {
		return nil, fmt.Errorf("safetensors: %s: index JSON: %w", name, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("safetensors: %s: index has no weight_map entries", name)
	}
	shards := map[string]map[string]bool{}
	for tensor, shard := range idx.WeightMap {
		// Shards must sit beside the index: refuse paths that would
		// reach elsewhere.
		if shard == "" || shard != filepath.Base(shard) || strings.ContainsAny(shard, `/\`) || shard == ".." || shard == "." {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: shard %q is not a plain file name", name, tensor, shard)
		}
		if shards[shard] == nil {
			shards[shard] = map[string]bool{}
		}
		shards[shard][tensor] = true
	}
	return shards, nil
}

// openIndex opens a sharded checkpoint from its index file.
func openIndex(path string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.Size() > maxIndexSize {
		return nil, fmt.Errorf("safetensors: %s: index of %d bytes exceeds the %d-byte limit", path, st.Size(), maxIndexSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	shards, err := parseIndex(path, data)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(shards))
	for s := range shards {
		names = append(names, s)
	}
	sort.Strings(names)
	f := &File{path: path}
	dir := filepath.Dir(path)
	for _, s := range names {
		if err := f.addShard(filepath.Join(dir, s), shards[s]); err != nil {
			f.Close()
			return nil, err
		}
	}
	f.finish()
	return f, nil
}
