// Package mmap maps checkpoint files read-only into memory and offers the
// small helpers the format readers share for viewing tensor bytes.
//
// Open memory-maps the file on unix systems, so opening a multi-gigabyte
// checkpoint costs no reads and the OS pages weights in as they are used and
// shares them between processes. When mapping is unavailable (other OSes, a
// file system that refuses mmap, an empty file) it falls back to reading the
// whole file into memory; callers see the same []byte either way.
//
// A mapped file must not be truncated while mapped: the OS reports access to
// the missing pages with SIGBUS. Writers in this project replace files by
// atomic rename (package atomicfile), which leaves existing mappings intact.
//
// (This package sits under internal/atomicfile only because of who owned
// which directory when it was written; it is independent of atomicfile.)
package mmap
