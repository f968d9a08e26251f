package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/distill-dev/distill/student"
)

// hashFile returns the hex SHA-256 (student.HashFile) and size of a file.
func hashFile(path string) (string, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	sum, err := student.HashFile(path)
	return sum, st.Size(), err
}

// hashInput hashes an input file, or a folder (HF checkpoints), as
// student.HashTree does (the soft-label cache names its teacher with the same
// hash), using and updating the manifest's cache of (size, mtime) -> hash.
func (m *Manifest) hashInput(path string) (string, error) {
	sum, err := student.HashTree(path, m.hashFile)
	if err != nil {
		return "", fmt.Errorf("pipeline: input %w", err)
	}
	return sum, nil
}

// hashFile is hashCached of one file.
func (m *Manifest) hashFile(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("pipeline: input %w", err)
	}
	return m.hashCached(path, st)
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
