package mmap

import (
	"fmt"
	"os"
)

// mapFileHook lets tests force the read-into-memory fallback.
var mapFileHook = mapFile

// File is a read-only, private copy of a whole file.
type File struct {
	// Data is the file's content. It is read-only (writing to a mapped
	// region faults) and valid until Close.
	Data       []byte
	path       string
	unmap      func() error
	fileBacked bool
	closed     bool
}

// Open maps the file at path read-only: the file itself under a read lease
// where the OS allows (Linux), else a copy in an anonymous mapping, else a
// copy in a slice (see the package doc).
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	size := st.Size()
	if size < 0 || int64(int(size)) != size {
		return nil, fmt.Errorf("%s: size %d does not fit in memory", path, size)
	}
	if size > 0 {
		if data, unmap, fileBacked, err := mapFileHook(f, int(size)); err == nil {
			return &File{Data: data, path: path, unmap: unmap, fileBacked: fileBacked}, nil
		}
	}
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil && size > 0 {
		return nil, fmt.Errorf("%s: read: %w", path, err)
	}
	return &File{Data: data, path: path}, nil
}

// Mapped reports whether Data lives in an anonymous mapping outside the Go
// heap (rather than in a slice).
func (m *File) Mapped() bool { return m.unmap != nil }

// FileBacked reports whether Data maps the file itself (under a lease)
// rather than a copy: its pages are then the page cache's, shared with
// other processes, read on first touch and dropped by the kernel under
// memory pressure.
func (m *File) FileBacked() bool { return m.fileBacked }

// Close unmaps the file. Data must not be used afterwards. Close is
// idempotent.
func (m *File) Close() error {
	if m == nil || m.closed {
		return nil
	}
	m.closed = true
	m.Data = nil
	if m.unmap != nil {
		if err := m.unmap(); err != nil {
			return fmt.Errorf("%s: munmap: %w", m.path, err)
		}
	}
	return nil
}

// Parse maps path and decodes it with parse (given the path as the name for
// its errors). On a parse error the mapping is released. Errors opening the
// file are prefixed with pkg.
func Parse[T any](pkg, path string, parse func(name string, data []byte) (T, error)) (T, *File, error) {
	var zero T
	m, err := Open(path)
	if err != nil {
		return zero, nil, fmt.Errorf("%s: %w", pkg, err)
	}
	v, err := parse(path, m.Data)
	if err != nil {
		m.Close()
		return zero, nil, err
	}
	return v, m, nil
}
