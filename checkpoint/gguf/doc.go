// Package gguf reads and writes GGUF files, the single-file checkpoint
// format of ggml and llama.cpp, as specified in ggml's docs/gguf.md.
//
// # Format
//
// All fields are little-endian and written back to back without alignment,
// except the tensor data:
//
//	magic              "GGUF" (bytes 0x47 0x47 0x55 0x46)
//	version            uint32: 2 or 3 (v1 used 32-bit counts; v3 only
//	                   added big-endian files, which are not supported)
//	tensor_count       uint64
//	metadata_kv_count  uint64
//	metadata_kv[]      key: string; value_type: uint32; value
//	tensor_infos[]     name: string (at most 64 bytes); n_dims: uint32 (at
//	                   most 4); ne[n_dims]: uint64; type: uint32 (ggml_type);
//	                   offset: uint64 (relative to tensor_data, a multiple of
//	                   ALIGNMENT)
//	padding            zeros up to a multiple of ALIGNMENT
//	tensor_data        each tensor at its offset, padded to ALIGNMENT
//
// A string is a uint64 byte length and the UTF-8 bytes (no terminator).
// Value types: uint8 0, int8 1, uint16 2, int16 3, uint32 4, int32 5,
// float32 6, bool 7 (one byte, 0 or 1), string 8, array 9, uint64 10,
// int64 11, float64 12. An array is an element type (uint32), a count
// (uint64) and the elements; arrays may nest. ALIGNMENT is the uint32
// general.alignment (a power of two, multiple of 8), 32 when absent.
//
// # Shapes
//
// ggml lists dimensions innermost first: ne[0] is the length of a
// contiguous row. This package exposes Tensor.Shape outermost first, like
// the rest of distill, so Shape is ne reversed: a [vocab, dim] embedding is
// stored with ne = [dim, vocab]. Writers take the same outermost-first
// shapes and reverse them on output.
//
// # Tensor types
//
// Type ids follow ggml.h's enum ggml_type: F32 0, F16 1, Q4_0 2, Q4_1 3,
// Q5_0 6, Q5_1 7, Q8_0 8, Q8_1 9, Q2_K..Q8_K 10..15, the IQ types 16..23
// and 29, I8..I64 24..27, F64 28, BF16 30, TQ1_0 34, TQ2_0 35, MXFP4 39.
// Every known type is sized (ggml's block size and bytes per block), so any
// valid file parses; Tensor.KernelDType maps the ones distill's kernels
// store (F32, F16, BF16, I32, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K) and returns an
// error naming the tensor for the rest. Block types need ne[0] to be a
// multiple of the block size.
//
// # Reading
//
// Open memory-maps the file (package mmap) and parses everything but the
// tensor bytes, treating the file as hostile: every count is checked
// against the bytes left before anything is allocated for it, nested arrays
// are capped at 16 levels, keys and tensor names must be unique, every
// tensor must lie inside the file, aligned and without overlapping another.
// Errors name the file, the key or tensor, and the offset; a field cut
// short wraps io.ErrUnexpectedEOF. Metadata is copied out of the mapping;
// Tensor.Data aliases it until Close.
//
// # Writing
//
// Write produces a GGUF v3 file atomically (package atomicfile): metadata
// in the given order, tensors in the given order at aligned offsets. Reading
// llama.cpp's stories260K conversion and writing it back reproduces the file
// byte for byte.
package gguf
