package student

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	tok "github.com/distill-dev/distill/tokenizer"
)

// TeacherIdentity returns the manifest fields that name the teacher a
// soft-label cache was made with: TeacherHash (HashTree of the checkpoint)
// and TokenizerHash (tokenizer.Hash). Every door that writes or reads a cache
// (distill teach and train, the recipe's teach and train stages) calls it,
// so a cache written by one is accepted by the others. hashFile hashes one
// file (HashFile when nil; the pipeline passes its cached hasher).
func TeacherIdentity(checkpoint string, t tok.Tokenizer, hashFile func(string) (string, error)) (Manifest, error) {
	th, err := HashTree(checkpoint, hashFile)
	if err != nil {
		return Manifest{}, err
	}
	kh, err := tok.Hash(t)
	if err != nil {
		return Manifest{}, err
	}
	return Manifest{TeacherHash: th, TokenizerHash: kh}, nil
}

// HashTree returns the hex SHA-256 of a file, or for a folder (HF
// checkpoints) the SHA-256 of its files' slash-separated relative names and
// hashes, one "name\x00hash\n" line per file in name order. hashFile hashes
// one file (HashFile when nil).
func HashTree(path string, hashFile func(string) (string, error)) (string, error) {
	if hashFile == nil {
		hashFile = HashFile
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("student: hashing %w", err)
	}
	if !st.IsDir() {
		return hashFile(path)
	}
	var names []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("student: hashing %w", err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, p := range names {
		sum, err := hashFile(p)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(path, p)
		fmt.Fprintf(h, "%s\x00%s\n", filepath.ToSlash(rel), sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
