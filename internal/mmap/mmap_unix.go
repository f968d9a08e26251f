//go:build unix

package mmap

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyMap copies the file into a private anonymous mapping and makes it
// read-only: the fallback of mapFile where the file cannot be mapped under
// a lease (see the package doc). The copy costs one read of the file;
// living outside the Go heap, it neither inflates the garbage collector's
// heap goal nor is scanned.
func copyMap(f *os.File, size int) ([]byte, func() error, error) {
	data, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, nil, err
	}
	unmap := func() error { return unix.Munmap(data) }
	if n, err := f.ReadAt(data, 0); n != size {
		unmap()
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF // the file shrank while it was read
		}
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	if err := unix.Mprotect(data, unix.PROT_READ); err != nil {
		unmap()
		return nil, nil, err
	}
	return data, unmap, nil
}

// mapOwned maps f itself, shared and writable: its pages are the file's
// page cache, which the kernel writes back and drops under pressure, not
// anonymous memory.
func mapOwned(f *os.File, size int) ([]byte, func() error, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return unix.Munmap(data) }, nil
}
