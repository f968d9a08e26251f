//go:build unix && !linux

package mmap

import "os"

// mapFile copies the file (copyMap): file leases, which make mapping the
// file itself safe, are Linux's.
func mapFile(f *os.File, size int) ([]byte, func() error, bool, error) {
	data, unmap, err := copyMap(f, size)
	return data, unmap, false, err
}
