package student

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// A soft-label cache written by several processes (distill teach --shard
// i/n, one process per scheduler task: a Kubernetes Indexed Job's
// completion index, a Slurm array task id): every process tokenises the
// whole training set, so all agree on the windows and on the cache's shard
// files, and part i of n writes the contiguous run of shard files
//
//	[S*i/n, S*(i+1)/n)   S = ceil(windows / windows_per_shard)
//
// into the shared cache folder, under their single-process names, with
// its own manifest (manifest.part-IIIII-of-NNNNN.json: the cache's
// manifest plus "part", listing the part's shards only). Shard files are
// batched from their first window as in one process, so they are the same
// bytes. MergeParts combines the n part manifests into the manifest one
// process writes (WriteMerged saves it as manifest.json, bit-identical to
// a single-process cache); OpenSoftLabels reads unmerged parts the same
// way without writing anything.

// Part is one part of a cache written by n processes: Index in [0, Count).
type Part struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ParsePart parses a shard spec "i/n" (0 <= i < n, the scheduler's
// zero-based task index and the number of tasks).
func ParsePart(spec string) (*Part, error) {
	is, ns, ok := strings.Cut(spec, "/")
	i, ierr := strconv.Atoi(strings.TrimSpace(is))
	n, nerr := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || ierr != nil || nerr != nil {
		return nil, fmt.Errorf("student: shard spec %q: want i/n, the zero-based index of this process and the number of processes (e.g. 0/3)", spec)
	}
	p := &Part{Index: i, Count: n}
	return p, p.check()
}

func (p *Part) check() error {
	if p.Count < 1 || p.Index < 0 || p.Index >= p.Count {
		return fmt.Errorf("student: shard %d/%d out of range: the index must be in [0, %d) and the count >= 1", p.Index, p.Count, max(p.Count, 1))
	}
	return nil
}

func (p *Part) String() string {
	if p == nil {
		return "none (a whole cache)"
	}
	return fmt.Sprintf("%d/%d", p.Index, p.Count)
}

// partFile names part p's manifest.
func partFile(p Part) string {
	return fmt.Sprintf("manifest.part-%05d-of-%05d.json", p.Index, p.Count)
}

// shardFile names the s-th shard file of a cache.
func shardFile(s int) string { return fmt.Sprintf("soft-%05d.safetensors", s) }

// fileName is the name of m's manifest in its folder.
func (m *Manifest) fileName() string {
	if m.Part != nil {
		return partFile(*m.Part)
	}
	return ManifestFile
}

// span is the range of shard indices m's shards cover: all of the cache's,
// or its part's.
func (m *Manifest) span() (first, end int) {
	total := 0
	if m.ShardWindows > 0 {
		total = (m.Windows + m.ShardWindows - 1) / m.ShardWindows
	}
	if p := m.Part; p != nil && p.Count > 0 {
		return total * p.Index / p.Count, total * (p.Index + 1) / p.Count
	}
	return 0, total
}

// partManifest is one part manifest read from its folder.
type partManifest struct {
	path string
	*Manifest
}

// partManifests reads the part manifests in dir, by name.
func partManifests(dir string) ([]partManifest, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "manifest.part-*-of-*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var parts []partManifest
	for _, path := range paths {
		m, err := readManifestFile(path)
		if err != nil {
			return nil, err
		}
		if m.Part == nil || m.Part.check() != nil || partFile(*m.Part) != filepath.Base(path) {
			return nil, fmt.Errorf("student: soft labels: %s says it is part %s: a part manifest's name must match its part (rename or remove it)", path, m.Part)
		}
		parts = append(parts, partManifest{path, m})
	}
	return parts, nil
}

// MergeParts returns the manifest of the whole cache the part manifests in
// dir make up: the one a single process writes. It refuses parts made for
// other inputs than the first (another teacher, tokenizer, data, k,
// sequence length, temperature or shard size), a missing or unfinished
// part and a missing shard file, naming the files. It writes nothing.
func MergeParts(dir string) (*Manifest, error) {
	parts, err := partManifests(dir)
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("student: soft labels: no part manifests (manifest.part-*-of-*.json) in %s: run distill teach --shard i/n first", dir)
	}
	ref := parts[0]
	n := ref.Part.Count
	var errs []error
	have := make([]*partManifest, n)
	for i := range parts {
		p := &parts[i]
		if p.Part.Count != n {
			errs = append(errs, fmt.Errorf("%s is part %s but %s is part %s: parts of different runs (remove the stale ones)", p.path, p.Part, ref.path, ref.Part))
			continue
		}
		want := *ref.Manifest
		want.Part, want.Windows = nil, 0
		if err := p.compatible(&want); err != nil || p.Windows != ref.Windows {
			errs = append(errs, fmt.Errorf("%s and %s were made for different inputs (windows %d and %d): %w", p.path, ref.path, p.Windows, ref.Windows, err))
			continue
		}
		have[p.Part.Index] = p
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("student: soft labels: cannot merge the parts in %s: %w", dir, errors.Join(errs...))
	}
	merged := *ref.Manifest
	merged.Part, merged.Shards = nil, nil
	for i, p := range have {
		if p == nil {
			errs = append(errs, fmt.Errorf("part %d/%d is missing (%s): run distill teach --shard %d/%d", i, n, filepath.Join(dir, partFile(Part{i, n})), i, n))
			continue
		}
		first, end := p.span()
		if len(p.Shards) != end-first {
			errs = append(errs, fmt.Errorf("%s is unfinished (%d of its %d shards): rerun distill teach --shard %s to finish it", p.path, len(p.Shards), end-first, p.Part))
			continue
		}
		for j, sh := range p.Shards {
			path := filepath.Join(dir, sh.File)
			if sh.File != shardFile(first+j) {
				errs = append(errs, fmt.Errorf("%s lists %s as shard %d, want %s", p.path, sh.File, first+j, shardFile(first+j)))
			} else if _, err := os.Stat(path); err != nil {
				errs = append(errs, fmt.Errorf("shard %s of %s: %w", path, p.path, err))
			}
		}
		merged.Shards = append(merged.Shards, p.Shards...)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("student: soft labels: cannot merge the parts in %s: %w", dir, errors.Join(errs...))
	}
	return &merged, nil
}

// WriteMerged merges the parts in dir (MergeParts), checks every shard
// file's SHA-256 and writes the merged manifest.json, the single-process
// cache's. An existing manifest.json is never overwritten: one equal to
// the merge is kept, any other is refused.
func WriteMerged(dir string) (*Manifest, error) {
	m, err := MergeParts(dir)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, sh := range m.Shards {
		path := filepath.Join(dir, sh.File)
		sum, err := HashFile(path)
		if err != nil {
			errs = append(errs, err)
		} else if sum != sh.SHA256 {
			errs = append(errs, fmt.Errorf("%s: checksum %s, its part manifest says %s (corrupt shard: delete it and rerun its part)", path, sum, sh.SHA256))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("student: soft labels: cannot merge the parts in %s: %w", dir, errors.Join(errs...))
	}
	path := filepath.Join(dir, ManifestFile)
	if old, err := readManifestFile(path); err == nil {
		if !reflect.DeepEqual(old, m) {
			return nil, fmt.Errorf("student: soft labels: %s already exists and is not the merge of the parts: not overwritten (remove it to merge)", path)
		}
		return m, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("student: soft labels: %s exists and is unreadable: not overwritten (remove it to merge): %w", path, err)
	}
	return m, m.write(dir)
}

// partsMismatch is CacheMismatch for a part: dir may hold the other parts'
// files (written concurrently) and only those.
func partsMismatch(dir string, want Manifest) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// A new cache. The other parts' processes may be creating the
		// folder and writing their files into it right now (they start
		// together under a scheduler), which must not make this one
		// refuse it as a non-empty folder a moment later.
		return nil
	}
	if err != nil {
		return err
	}
	anyPart := want
	anyPart.Part = nil
	var errs []error
	for _, e := range entries {
		name, path := e.Name(), filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(name, "soft-") || strings.HasPrefix(name, ".soft-") || strings.HasPrefix(name, ".manifest"):
			// a shard (or a file being written) of this cache
		case name == ManifestFile || strings.HasPrefix(name, "manifest.part-"):
			m, err := readManifestFile(path)
			if err == nil {
				if err = m.compatible(&anyPart); err == nil && m.Part != nil && m.Part.Count != want.Part.Count {
					err = fmt.Errorf("part %s, want one of %d parts", m.Part, want.Part.Count)
				}
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", path, err))
			}
		default:
			errs = append(errs, fmt.Errorf("%s is not part of a soft-label cache", path))
		}
	}
	return errors.Join(errs...)
}
