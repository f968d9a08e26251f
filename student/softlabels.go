package student

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// Cached soft labels (distill teach): the teacher's top-k log-probabilities
// at temperature T for every window of a tokenised dataset, cut into shards
// of safetensors files
//
//	ids       I32 [windows, seq_len, k]   top-k token ids, best first
//	logprobs  F16 [windows, seq_len, k]   log softmax(z / T) at those ids
//
// window w is tokens[w*seq_len : w*seq_len + seq_len] (the Sampler's
// windows), so training reads the labels of a batch by window index. The
// manifest records what the labels depend on; a reader refuses a cache made
// for another teacher, tokenizer, vocabulary, k, sequence length or
// temperature, and checks each shard's SHA-256 when it opens it. The
// missing tail mass of top-k labels is handled by DistillLoss (see
// kernels.SoftLabels). Labels are reusable across students; the
// temperature is fixed at teach time.

// ManifestFile is the name of a cache's manifest.
const ManifestFile = "manifest.json"

// Manifest describes a soft-label cache.
type Manifest struct {
	TeacherHash   string  `json:"teacher_sha256"`
	TokenizerHash string  `json:"tokenizer_sha256"`
	TokensHash    string  `json:"tokens_sha256"` // of the token stream (little-endian int32)
	VocabSize     int     `json:"vocab_size"`
	K             int     `json:"top_k"`
	SeqLen        int     `json:"seq_len"`
	Temperature   float32 `json:"temperature"`
	Windows       int     `json:"windows"`
	ShardWindows  int     `json:"windows_per_shard"`
	Shards        []Shard `json:"shards"` // complete shards, in order
	// Part is set in the manifest of one part of a cache written by
	// several processes (distill teach --shard); nil in a whole or merged
	// cache. Shards then lists the part's shards only (see Part).
	Part *Part `json:"part,omitempty"`
}

// Shard is one finished shard file.
type Shard struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// HashFile returns the hex SHA-256 of a file (for Manifest hashes).
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("student: hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// HashTokens returns the hex SHA-256 of a token stream.
func HashTokens(tokens []int32) string {
	h := sha256.New()
	var b [4]byte
	for _, t := range tokens {
		b[0], b[1], b[2], b[3] = byte(t), byte(t>>8), byte(t>>16), byte(t>>24)
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Teach writes the soft-label cache of tokens into dir: m gives the
// hashes, K, SeqLen, Temperature and ShardWindows (the rest is filled in).
// Batches of batch windows run through the teacher. When dir already holds
// a manifest for the same inputs, finished shards are kept and writing
// resumes after them (an interrupted run loses at most one shard's work).
// A finished cache of the same inputs is kept whatever its shard size.
// Every file is written atomically, the manifest after each shard.
func Teach(ctx context.Context, dir string, t *model.Model, tokens []int32, batch int, m Manifest) (*Manifest, error) {
	return TeachProgress(ctx, dir, t, tokens, batch, m, nil)
}

// TeachProgress is Teach calling onShard (when not nil) with the number of
// finished shards and the total, once after resuming and after each shard.
func TeachProgress(ctx context.Context, dir string, t *model.Model, tokens []int32, batch int, m Manifest, onShard func(done, total int)) (*Manifest, error) {
	ops, ok := t.Backend.(kernels.TrainOps)
	if !ok {
		return nil, fmt.Errorf("student: backend %s has no TopKLogProbs", t.Backend.Name())
	}
	if m.K < 1 || m.K > t.Config.VocabSize || m.SeqLen < 1 || m.SeqLen > t.Config.MaxSeqLen || !(m.Temperature > 0) || m.ShardWindows < 1 || batch < 1 {
		return nil, fmt.Errorf("student: teach: k %d, seq_len %d, temperature %g, windows per shard %d or batch %d out of range", m.K, m.SeqLen, m.Temperature, m.ShardWindows, batch)
	}
	m.VocabSize, m.TokensHash = t.Config.VocabSize, HashTokens(tokens)
	m.Windows, m.Shards = (len(tokens)-1)/m.SeqLen, nil
	if m.Windows < 1 {
		return nil, fmt.Errorf("student: teach: %d tokens hold no window of %d", len(tokens), m.SeqLen+1)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("student: teach: %w", err)
	}
	if m.Part != nil {
		if err := m.Part.check(); err != nil {
			return nil, err
		}
	}
	if m.Part != nil {
		// A part run after the merge: the whole cache is there.
		whole := m
		whole.Part, whole.ShardWindows = nil, 0
		if old, err := readManifest(dir); err == nil && old.Windows == m.Windows && old.compatible(&whole) == nil && old.complete() {
			return old, nil
		}
	}
	if old, err := readManifestFile(filepath.Join(dir, m.fileName())); err == nil && old.Windows == m.Windows {
		anyShards := m
		anyShards.ShardWindows = 0
		switch {
		case old.compatible(&anyShards) == nil && old.complete():
			// Finished for the same inputs, by any door with any shard
			// size: nothing to do.
			if onShard != nil {
				onShard(len(old.Shards), len(old.Shards))
			}
			return old, nil
		case old.compatible(&m) == nil:
			m.Shards = old.Shards // resume
		}
	}
	b, T, k := t.Backend, m.SeqLen, m.K
	ids, lps := b.Zeros(kernels.I32, batch*T, k), b.Zeros(kernels.F16, batch*T, k)
	first, end := m.span()
	total := end - first
	if onShard != nil {
		onShard(len(m.Shards), total)
	}
	if m.Part != nil {
		// A part's manifest exists from its start, so that a merge names
		// a part still running (or owning no shard) as such.
		if err := m.write(dir); err != nil {
			return &m, err
		}
	}
	for s := first + len(m.Shards); s < end; s++ {
		lo, hi := s*m.ShardWindows, min((s+1)*m.ShardWindows, m.Windows)
		idBytes, lpBytes := make([]byte, 0, (hi-lo)*T*k*4), make([]byte, 0, (hi-lo)*T*k*2)
		for w := lo; w < hi; w += batch {
			if err := ctx.Err(); err != nil {
				return &m, err
			}
			nb := min(batch, hi-w)
			in := tokens[w*T : (w+nb)*T] // consecutive windows are consecutive tokens
			logits := t.Forward(in, nb, T, nil)
			vi, vl := b.View(ids, 0, nb*T), b.View(lps, 0, nb*T)
			ops.TopKLogProbs(vi, vl, logits, k, m.Temperature)
			idBytes = append(idBytes, b.ReadBytes(vi)...)
			lpBytes = append(lpBytes, b.ReadBytes(vl)...)
		}
		name := shardFile(s)
		shape := []int{hi - lo, T, k}
		path := filepath.Join(dir, name)
		if err := safetensors.Write(path, []safetensors.Tensor{
			{Name: "ids", DType: "I32", Shape: shape, Data: idBytes},
			{Name: "logprobs", DType: "F16", Shape: shape, Data: lpBytes},
		}, nil); err != nil {
			return &m, fmt.Errorf("student: teach: %w", err)
		}
		sum, err := HashFile(path)
		if err != nil {
			return &m, err
		}
		m.Shards = append(m.Shards, Shard{File: name, SHA256: sum})
		if err := m.write(dir); err != nil {
			return &m, err
		}
		if onShard != nil {
			onShard(len(m.Shards), total)
		}
	}
	return &m, nil
}

// CacheMismatch says why dir does not hold a (possibly unfinished) cache
// for the inputs want describes, which Teach would resume; nil when it
// does. Commands ask before letting Teach replace anything else. For a
// part (want.Part set), the other parts' files in dir are part of the same
// cache when their manifests match want's inputs.
func CacheMismatch(dir string, want Manifest) error {
	if want.Part != nil {
		return partsMismatch(dir, want)
	}
	old, err := readManifest(dir)
	if err != nil {
		return err
	}
	return old.compatible(&want)
}

func (m *Manifest) write(dir string) error {
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, m.fileName()), js)
}

func readManifest(dir string) (*Manifest, error) {
	return readManifestFile(filepath.Join(dir, ManifestFile))
}

func readManifestFile(path string) (*Manifest, error) {
	js, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("student: soft labels: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, fmt.Errorf("student: soft labels: %s: %w", path, err)
	}
	return &m, nil
}

// compatible reports the first field where m differs from want (zero
// fields of want are not checked).
func (m *Manifest) compatible(want *Manifest) error {
	var errs []error
	str := func(name, got, w string) {
		if w != "" && got != w {
			errs = append(errs, fmt.Errorf("%s %s, want %s", name, got, w))
		}
	}
	num := func(name string, got, w int) {
		if w != 0 && got != w {
			errs = append(errs, fmt.Errorf("%s %d, want %d", name, got, w))
		}
	}
	str("teacher_sha256", m.TeacherHash, want.TeacherHash)
	str("tokenizer_sha256", m.TokenizerHash, want.TokenizerHash)
	str("tokens_sha256", m.TokensHash, want.TokensHash)
	num("vocab_size", m.VocabSize, want.VocabSize)
	num("top_k", m.K, want.K)
	num("seq_len", m.SeqLen, want.SeqLen)
	num("windows_per_shard", m.ShardWindows, want.ShardWindows)
	if want.Part != nil && (m.Part == nil || *m.Part != *want.Part) {
		errs = append(errs, fmt.Errorf("part %s, want %s", m.Part, want.Part))
	}
	if want.Temperature != 0 && m.Temperature != want.Temperature {
		errs = append(errs, fmt.Errorf("temperature %g, want %g", m.Temperature, want.Temperature))
	}
	return errors.Join(errs...)
}

// complete reports whether every window (of the part, for a part) has its
// shard.
func (m *Manifest) complete() bool {
	if m.ShardWindows < 1 {
		return false
	}
	first, end := m.span()
	return len(m.Shards) >= end-first
}

// SoftLabelCache reads a finished cache, a shard at a time (memory-mapped).
type SoftLabelCache struct {
	Manifest
	dir   string
	open  int // index of the open shard, -1 when none
	file  *safetensors.File
	ids   []byte
	lps   []byte
	shard int // windows per shard
}

// OpenSoftLabels opens the cache in dir, refusing one that is incomplete or
// made for other inputs than want describes (zero fields are not checked).
func OpenSoftLabels(dir string, want Manifest) (*SoftLabelCache, error) {
	m, err := readManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// Parts written by distill teach --shard and not merged yet are
		// read as their merge (the same checks, nothing written).
		if parts, perr := partManifests(dir); perr == nil && len(parts) > 0 {
			m, err = MergeParts(dir)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := m.compatible(&want); err != nil {
		return nil, fmt.Errorf("student: soft labels in %s were made for other inputs: %w", dir, err)
	}
	if !m.complete() {
		return nil, fmt.Errorf("student: soft labels in %s are incomplete (%d shards of %d windows for %d windows): rerun distill teach", dir, len(m.Shards), m.ShardWindows, m.Windows)
	}
	return &SoftLabelCache{Manifest: *m, dir: dir, open: -1, shard: m.ShardWindows}, nil
}

// Close releases the open shard.
func (c *SoftLabelCache) Close() error {
	if c.file == nil {
		return nil
	}
	err := c.file.Close()
	c.file, c.open = nil, -1
	return err
}

// Window returns the raw labels of window w: ids (int32) and log-probs
// (fp16), SeqLen*K each, as little-endian bytes valid until the next call.
func (c *SoftLabelCache) Window(w int) (ids, lps []byte, err error) {
	if w < 0 || w >= c.Windows {
		return nil, nil, fmt.Errorf("student: soft labels: window %d outside [0, %d)", w, c.Windows)
	}
	if s := w / c.shard; s != c.open {
		if err := c.openShard(s); err != nil {
			return nil, nil, err
		}
	}
	n := c.SeqLen * c.K
	i := w % c.shard
	return c.ids[i*n*4 : (i+1)*n*4], c.lps[i*n*2 : (i+1)*n*2], nil
}

func (c *SoftLabelCache) openShard(s int) error {
	c.Close()
	sh := c.Shards[s]
	path := filepath.Join(c.dir, sh.File)
	sum, err := HashFile(path)
	if err != nil {
		return fmt.Errorf("student: soft labels: %w", err)
	}
	if sum != sh.SHA256 {
		return fmt.Errorf("student: soft labels: %s: checksum %s, manifest says %s (corrupt shard: rerun distill teach)", path, sum, sh.SHA256)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("student: soft labels: %w", err)
	}
	windows := min(c.shard, c.Windows-s*c.shard)
	want := []int{windows, c.SeqLen, c.K}
	get := func(name, dt string) ([]byte, error) {
		t, err := f.Tensor(name)
		if err != nil {
			return nil, err
		}
		if t.DType != dt || len(t.Shape) != 3 || t.Shape[0] != want[0] || t.Shape[1] != want[1] || t.Shape[2] != want[2] {
			return nil, fmt.Errorf("%s: tensor %s is %s%v, want %s%v", path, name, t.DType, t.Shape, dt, want)
		}
		return t.Data, nil
	}
	if c.ids, err = get("ids", "I32"); err == nil {
		c.lps, err = get("logprobs", "F16")
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("student: soft labels: %w", err)
	}
	c.file, c.open = f, s
	return nil
}
