// Package atomicfile writes files so that readers see either the old content
// or the complete new content, never a partial file.
//
// A write goes to a temporary file in the destination's directory (so that
// the final rename stays on one file system), is flushed to stable storage
// with fsync, renamed over the destination, and the directory is fsynced so
// that the rename itself survives a crash:
//
//	tmp := CreateTemp(dir(path)); write; tmp.Sync(); tmp.Close()
//	rename(tmp, path); fsync(dir(path))
//
// Any failure before the rename removes the temporary file and leaves an
// existing file at path untouched. Checkpoint writers (safetensors, GGUF,
// llama2.c) all go through this package.
package atomicfile
