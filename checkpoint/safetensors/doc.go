// Package safetensors reads and writes Hugging Face safetensors checkpoints:
// single files and sharded checkpoints with a model.safetensors.index.json.
//
// # Format
//
// A .safetensors file is
//
//	N        uint64, little-endian: length of the JSON header in bytes
//	header   N bytes of UTF-8 JSON, padded at the end with spaces
//	data     the tensor bytes, back to back
//
// The header is one JSON object. Each key except "__metadata__" names a
// tensor:
//
//	"model.embed_tokens.weight": {"dtype": "BF16", "shape": [32000, 4096],
//	                              "data_offsets": [begin, end]}
//
// with [begin, end) a byte range relative to the start of data, row-major,
// little-endian elements. "__metadata__", when present, maps strings to
// strings ({"format": "pt"}). A valid file's byte ranges tile the data
// region exactly: sorted by begin, each begin equals the previous end, the
// first is 0 and the last end is the data length; and
// end-begin = prod(shape) * sizeof(dtype).
//
// A sharded checkpoint is an index
//
//	{"metadata": {"total_size": ...},
//	 "weight_map": {"tensor name": "model-00001-of-00002.safetensors", ...}}
//
// beside the shard files; each tensor lives in the shard the map names.
//
// # Reading
//
// Open maps the file(s) read-only (package mmap) and validates the whole
// header before returning: header length against the file size (and a 100 MB
// cap, as the reference implementation has), JSON syntax, duplicate names,
// known dtypes, overflow-safe shape*dtype sizes, offsets in range and exact
// tiling of the data region. Every error names the file and, where there is
// one, the tensor. Tensor.Data aliases the mapping and is valid until Close.
//
// Any dtype of the format is parsed (BOOL, U8, I8, F8_*, I16, U16, F16,
// BF16, I32, U32, F32, I64, U64, F64, ...); Tensor.KernelDType maps the ones
// the compute kernels store (F32, F16, BF16, I32) and returns an error naming
// the tensor for the rest, so a loader refuses them clearly.
//
// # Writing
//
// Write streams tensors to a file atomically (package atomicfile). As the
// reference implementation does, tensors are ordered by decreasing element
// size and then by name, which keeps every tensor aligned to its element size
// since the header is padded with spaces to a multiple of 8 bytes.
package safetensors
