package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// guardOutput is every writing command's check before it writes path
// (given by flag): it never overwrites one of the command's own inputs
// (the same file, or a folder holding one), and asks for --force before
// replacing an existing file or non-empty folder.
func guardOutput(flag, path string, force bool, inputs ...string) error {
	out := resolvePath(path)
	for _, in := range inputs {
		if in == "" {
			continue
		}
		src := resolvePath(in)
		if same(out, src) || within(src, out) {
			return fmt.Errorf("%s %s would overwrite the input %s: choose another output path", flag, path, in)
		}
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", flag, path, err)
	}
	if force {
		return nil
	}
	if !st.IsDir() {
		return fmt.Errorf("%s %s already exists: pass --force to replace it, or choose another path", flag, path)
	}
	if empty, err := emptyDir(path); err != nil || !empty {
		return fmt.Errorf("%s %s is a non-empty folder: pass --force to write into it (replacing what is there), or choose another path", flag, path)
	}
	return nil
}

// resolvePath returns path made absolute with symbolic links resolved as
// far as it exists, so two spellings of one file compare equal.
func resolvePath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	var rest []string
	for p := abs; ; p = filepath.Dir(p) {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{r}, rest...)...)
		}
		if filepath.Dir(p) == p {
			return abs
		}
		rest = append([]string{filepath.Base(p)}, rest...)
	}
}

// same reports whether a and b name the same file (hard links included).
func same(a, b string) bool {
	if a == b {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// within reports whether path lies inside dir.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func emptyDir(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if err == io.EOF {
		return true, nil
	}
	return false, err
}
