//go:build !unix

package mmap

import (
	"errors"
	"os"
)

func mapFile(*os.File, int) ([]byte, func() error, bool, error) {
	return nil, nil, false, errors.New("mmap not supported on this OS")
}

func mapOwned(*os.File, int) ([]byte, func() error, error) {
	return nil, nil, errors.New("mmap not supported on this OS")
}
