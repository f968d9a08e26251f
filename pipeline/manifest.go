package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ManifestFile is the manifest's name in the run directory.
const ManifestFile = "manifest.json"

// Stage statuses.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// Manifest records the state of a run directory.
type Manifest struct {
	Recipe string         `json:"recipe"` // the recipe file of the last run
	Stages []*StageRecord `json:"stages"`
	// Files caches the SHA-256 of input files by size and modification
	// time, so a multi-gigabyte teacher is hashed once.
	Files map[string]FileStamp `json:"input_files,omitempty"`

	path string
}

// StageRecord is one stage's entry.
type StageRecord struct {
	Name      string            `json:"name"`
	Status    string            `json:"status"`
	InputHash string            `json:"input_hash,omitempty"`
	Inputs    map[string]string `json:"inputs,omitempty"` // what was hashed -> its hash
	Outputs   []Output          `json:"outputs,omitempty"`
	Started   *time.Time        `json:"started,omitempty"`
	Finished  *time.Time        `json:"finished,omitempty"`
	Seconds   float64           `json:"seconds,omitempty"`
	Error     string            `json:"error,omitempty"`
}

// Output is one file a stage wrote, relative to the run directory.
type Output struct {
	Path    string    `json:"path"`
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"` // files with the recorded size and time are not hashed again
}

// FileStamp is a cached file hash.
type FileStamp struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	SHA256  string    `json:"sha256"`
}

// LoadManifest reads dir/manifest.json; a missing file gives an empty
// manifest.
func LoadManifest(dir string) (*Manifest, error) {
	m := &Manifest{path: filepath.Join(dir, ManifestFile)}
	b, err := os.ReadFile(m.path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("pipeline: %s: %w", m.path, err)
	}
	return m, nil
}

// Save writes the manifest atomically.
func (m *Manifest) Save() error { return writeJSON(m.path, m) }

// Stage returns the record of the named stage, nil when there is none.
func (m *Manifest) Stage(name string) *StageRecord {
	for _, s := range m.Stages {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// record returns the named stage's record, adding a pending one.
func (m *Manifest) record(name string) *StageRecord {
	if s := m.Stage(name); s != nil {
		return s
	}
	s := &StageRecord{Name: name, Status: StatusPending}
	m.Stages = append(m.Stages, s)
	return s
}

// intact reports whether every recorded output of s still exists with its
// recorded hash, and names the first that does not.
func (s *StageRecord) intact(runDir string) (bool, string) {
	for _, o := range s.Outputs {
		path := filepath.Join(runDir, filepath.FromSlash(o.Path))
		st, err := os.Stat(path)
		if err != nil {
			return false, o.Path + " is missing"
		}
		if st.Size() == o.Size && st.ModTime().Equal(o.ModTime) {
			continue
		}
		if sum, _, err := hashFile(path); err != nil || sum != o.SHA256 {
			return false, o.Path + " changed"
		}
	}
	return true, ""
}
