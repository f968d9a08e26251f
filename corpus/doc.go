// Package corpus is distill's one data path: documents -> token stream ->
// windows. Evaluation, quantization (its evaluation text and its
// calibration text), soft-label caching and training all read text through
// it, so the same file with the same settings is the same token stream
// everywhere.
//
// # Documents
//
// A data file is text or JSONL (Format; by default chosen by extension:
// .jsonl, .json and .ndjson are JSONL). A text file is cut into documents at
// blank lines (lines holding only white space) unless ReadOptions says
// otherwise: Separator cuts at an exact string instead, and Whole keeps the
// whole file as one document, byte for byte. JSONL holds one JSON object per
// line with the document under "text" (ReadOptions.TextField). Documents cut
// from a file are trimmed of surrounding white space; empty ones are
// dropped. Text (but for Whole) and JSONL are read a line at a time (Each), so
// reading costs the memory of one document, not of the file.
//
// # Token stream
//
// Each document is tokenised without BOS/EOS and the documents are
// concatenated into one stream x_0 .. x_{N-1}. BOS placement (BOS) is one
// vocabulary for the command line and recipes:
//
//   - document: a BOS before every document (llama2.c trains on stories
//     concatenated this way). The default everywhere.
//   - stream: one BOS before the whole stream.
//   - none: no BOS.
//
// The old spellings "doc" (command line) and "sequence" (recipes) still
// parse, as document and stream, with a deprecation note.
//
// Inserted BOS tokens are never scored by evaluation (Stream.Target), and
// position 0 is never scored (nothing predicts it).
//
// A file larger than SpillBytes (256 MiB) is tokenised into scratch files
// instead of memory, a document at a time, and the finished stream's
// slices are memory-mapped from them: training, teaching and evaluation
// index the same values, while the process's anonymous memory stays that
// of one document and the per-window bookkeeping (the sampler's
// permutation, the evaluation plan), not of the corpus. The mapped pages
// are page cache the kernel reclaims. (A Whole file is one document, read
// whole.)
//
// # Windows
//
// Three consumers cut the stream into windows:
//
//   - Plan: evaluation. Window k feeds the model positions [b_k, e_k) with
//     b_k = k*s and e_k = min(b_k+C, N-1) (context C, stride 1 <= s <= C)
//     and scores targets (e_{k-1}, e_k], so every scorable token is scored
//     exactly once (the Hugging Face fixed-length-model method).
//   - Sampler: training. Disjoint windows of SeqLen+1 tokens (window w
//     starts at w*SeqLen) served in a seeded order.
//   - CalibrationWindows: quantization calibration. n windows of t tokens
//     spread evenly over a stream.
//
// # Calibration never sees evaluation text
//
// HoldOut splits a stream by whole documents into the part evaluated and
// the part that calibrates: the last documents, enough to hold the
// calibration windows but never more than half of the documents. The two
// parts share no token position.
package corpus
