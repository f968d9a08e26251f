// Package mmap loads checkpoint files read-only into memory and offers the
// small helpers the format readers share for viewing tensor bytes.
//
// A plain mapping of the file (shared or private) is unsafe: another
// program truncating or rewriting the checkpoint while distill runs makes
// the kernel drop the pages past the new end, and the next read of a weight
// kills the process with SIGBUS. On Linux, Open therefore maps the file
// itself, private and read-only, only while it holds a read lease on it
// (fcntl F_SETLEASE): the kernel holds back any program that truncates the
// file or opens it for writing until the lease holder lets go, and signals
// it (SIGIO); Open's handler then copies the mapping into anonymous memory
// at the same addresses and releases the lease, so readers keep the bytes
// they opened and never fault. Mapped weights cost no read at open, live in
// the page cache (shared between processes, dropped under memory pressure
// rather than swapped), and bf16/f16 weights used in place never need a
// second copy: resident memory after loading is the file's size at most.
// Where no lease can be had (the file open for writing elsewhere, another
// user's file without CAP_LEASE, a file system without leases, other unix
// systems) Open copies the file into a private anonymous mapping made
// read-only, outside the Go heap: one read of the file, no sharing. When
// anonymous mapping is unavailable too (other OSes, an empty file) Open
// reads the file into an ordinary slice; callers see the same []byte
// every way.
//
// OpenOwned, for scratch files the process itself created and unlinked (a
// tokenised corpus), maps the file itself: nobody else can truncate it.
//
// (This package sits under internal/atomicfile only because of who owned
// which directory when it was written; it is independent of atomicfile.)
package mmap
