package mmap

import (
	"fmt"
	"os"
)

// OpenOwned maps the whole of f, a file this process alone writes and
// reads (a scratch file it created and unlinked), itself rather than a
// copy: data too big to hold in memory (a tokenised corpus) then costs
// page cache, not anonymous memory. The SIGBUS hazard that keeps Open from
// mapping checkpoints (see the package doc) needs another program to
// truncate the file, which an unlinked file rules out. Data is writable,
// like a slice; writes go to the file. Where mapping is unavailable the
// file is read into a slice.
func OpenOwned(f *os.File) (*File, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < 0 || int64(int(size)) != size {
		return nil, fmt.Errorf("%s: size %d does not fit in memory", f.Name(), size)
	}
	if size > 0 {
		if data, unmap, err := mapOwned(f, int(size)); err == nil {
			return &File{Data: data, path: f.Name(), unmap: unmap}, nil
		}
	}
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil && size > 0 {
		return nil, fmt.Errorf("%s: read: %w", f.Name(), err)
	}
	return &File{Data: data, path: f.Name()}, nil
}
