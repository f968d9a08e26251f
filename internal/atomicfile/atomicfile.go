package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// File is a destination file being written. Writes go to a temporary file
// that Commit renames over the destination; Abort (or a failed Commit)
// removes it. Writes are buffered.
type File struct {
	path string
	tmp  *os.File
	buf  *bufio.Writer
	perm os.FileMode
	done bool
}

// bufSize is large enough that tensor-sized writes go through in few syscalls.
const bufSize = 1 << 20

// Create starts an atomic write of path. The file gets mode 0644 when
// committed. If path is a symbolic link, the link itself is replaced.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	return &File{path: path, tmp: tmp, buf: bufio.NewWriterSize(tmp, bufSize), perm: 0o644}, nil
}

// Write writes p to the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("atomicfile: %s: write after Commit or Abort", f.path)
	}
	return f.buf.Write(p)
}

// Name returns the destination path.
func (f *File) Name() string { return f.path }

// Commit flushes, syncs and renames the temporary file over the destination,
// then syncs the directory. On error the temporary file is removed and the
// destination is unchanged (unless the error came from the final directory
// sync, after the rename).
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("atomicfile: %s: Commit after Commit or Abort", f.path)
	}
	f.done = true
	err := f.buf.Flush()
	if err == nil {
		err = f.tmp.Chmod(f.perm)
	}
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
		return fmt.Errorf("atomicfile: %s: %w", f.path, err)
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("atomicfile: %s: sync directory: %w", f.path, err)
	}
	return nil
}

// Abort discards the temporary file. It is a no-op after Commit or Abort, so
// it can be deferred unconditionally.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// Write creates path atomically with the bytes fn writes. If fn returns an
// error, nothing is written and any existing file at path is untouched.
func Write(path string, fn func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fn(f); err != nil {
		return err
	}
	return f.Commit()
}

// syncDir fsyncs a directory so a rename in it is durable. Windows cannot
// open directories for syncing; renames there are as durable as they get.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	// Some file systems (and some CI sandboxes) refuse fsync on directories.
	if errors.Is(err, os.ErrInvalid) {
		return nil
	}
	return err
}
