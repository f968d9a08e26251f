package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// hashFile returns the hex SHA-256 and size of a file.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// hashInput hashes an input file, or a folder (HF checkpoints) as the hash
// of its files' relative names and hashes, using and updating the
// manifest's cache of (size, mtime) -> hash.
func (m *Manifest) hashInput(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("pipeline: input %w", err)
	}
	if !st.IsDir() {
		return m.hashCached(path, st)
	}
	var names []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("pipeline: input %w", err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, p := range names {
		st, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("pipeline: input %w", err)
		}
		sum, err := m.hashCached(p, st)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(path, p)
		fmt.Fprintf(h, "%s\x00%s\n", filepath.ToSlash(rel), sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (m *Manifest) hashCached(path string, st fs.FileInfo) (string, error) {
	if c, ok := m.Files[path]; ok && c.Size == st.Size() && c.ModTime.Equal(st.ModTime()) {
		return c.SHA256, nil
	}
	sum, _, err := hashFile(path)
	if err != nil {
		return "", fmt.Errorf("pipeline: input %w", err)
	}
	if m.Files == nil {
		m.Files = map[string]FileStamp{}
	}
	m.Files[path] = FileStamp{Size: st.Size(), ModTime: st.ModTime(), SHA256: sum}
	return sum, nil
}

// hashStrings is sha256 over NUL-separated parts.
func hashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		io.WriteString(h, p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
