// Package mmap loads checkpoint files read-only into memory and offers the
// small helpers the format readers share for viewing tensor bytes.
//
// On unix systems Open copies the file into a private anonymous mapping,
// made read-only, outside the Go heap. It does not map the file itself:
// with a file mapping (shared or private), another program truncating or
// rewriting the checkpoint while distill runs makes the kernel drop the
// pages past the new end, and the next read of a weight kills the process
// with SIGBUS. A copy cannot change underneath; the price is one read of
// the file at open and no page sharing between processes. When anonymous
// mapping is unavailable (other OSes, an empty file) Open reads the file
// into an ordinary slice; callers see the same []byte either way.
//
// OpenOwned, for scratch files the process itself created and unlinked (a
// tokenised corpus), maps the file itself: nobody else can truncate it.
//
// (This package sits under internal/atomicfile only because of who owned
// which directory when it was written; it is independent of atomicfile.)
package mmap
