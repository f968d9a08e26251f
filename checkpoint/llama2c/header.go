package llama2c

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Header formats.
const (
	Magic          = 0x616b3432 // "ak42", little-endian, starts version >= 1 files
	legacySize     = 7 * 4
	versionedSize  = 256
	maxDim         = 1 << 17 // bounds keep every size computation far from overflow
	maxLayers      = 1 << 10
	maxVocab       = 1 << 24
	maxSeqLen      = 1 << 24
	supportedNewer = 1
)

// Header is a checkpoint's configuration.
type Header struct {
	Version          int // 0 (legacy 28-byte header) or 1 (256-byte "ak42" header)
	Dim              int
	HiddenDim        int
	NLayers          int
	NHeads           int
	NKVHeads         int
	VocabSize        int // always positive here; the legacy sign is SharedClassifier
	SeqLen           int
	SharedClassifier bool // the classifier is the token embedding
}

// HeadSize is dim / n_heads.
func (h Header) HeadSize() int { return h.Dim / h.NHeads }

// KVDim is the width of the key and value projections.
func (h Header) KVDim() int { return h.NKVHeads * h.HeadSize() }

// Validate checks that the dimensions are positive, within bounds and
// consistent.
func (h Header) Validate() error {
	for _, f := range []struct {
		name string
		v    int
		max  int
	}{
		{"dim", h.Dim, maxDim}, {"hidden_dim", h.HiddenDim, maxDim},
		{"n_layers", h.NLayers, maxLayers}, {"n_heads", h.NHeads, maxDim},
		{"n_kv_heads", h.NKVHeads, maxDim}, {"vocab_size", h.VocabSize, maxVocab},
		{"seq_len", h.SeqLen, maxSeqLen},
	} {
		if f.v <= 0 || f.v > f.max {
			return fmt.Errorf("%s = %d is out of range 1..%d", f.name, f.v, f.max)
		}
	}
	if h.Dim%h.NHeads != 0 {
		return fmt.Errorf("dim %d is not a multiple of n_heads %d", h.Dim, h.NHeads)
	}
	if h.NKVHeads > h.NHeads || h.NHeads%h.NKVHeads != 0 {
		return fmt.Errorf("n_heads %d is not a multiple of n_kv_heads %d", h.NHeads, h.NKVHeads)
	}
	if h.HeadSize()%2 != 0 {
		return fmt.Errorf("head size %d (dim %d / n_heads %d) is odd; RoPE needs pairs", h.HeadSize(), h.Dim, h.NHeads)
	}
	if h.Version != 0 && h.Version != 1 {
		return fmt.Errorf("version %d (want 0 or 1)", h.Version)
	}
	return nil
}

// parseHeader decodes either header kind from the start of data and
// returns it with the header's size.
func parseHeader(data []byte) (Header, int, error) {
	le := binary.LittleEndian
	if len(data) < 4 {
		return Header{}, 0, fmt.Errorf("file of %d bytes is too short for a header: %w", len(data), io.ErrUnexpectedEOF)
	}
	var h Header
	var fields []byte
	size := legacySize
	if le.Uint32(data) == Magic {
		size = versionedSize
		if len(data) < 8 {
			return h, 0, fmt.Errorf("file of %d bytes is too short for the version: %w", len(data), io.ErrUnexpectedEOF)
		}
		h.Version = int(int32(le.Uint32(data[4:])))
		if h.Version == 2 {
			return h, 0, fmt.Errorf("version 2 (int8 Q8_0 export) is not supported; export with --version 0 or 1")
		}
		if h.Version != supportedNewer {
			return h, 0, fmt.Errorf("unknown version %d after the ak42 magic", h.Version)
		}
		if len(data) < size {
			return h, 0, fmt.Errorf("file of %d bytes is too short for the %d-byte header: %w", len(data), size, io.ErrUnexpectedEOF)
		}
		fields = data[8:]
	} else {
		if len(data) < size {
			return h, 0, fmt.Errorf("file of %d bytes is too short for the %d-byte header: %w", len(data), size, io.ErrUnexpectedEOF)
		}
		fields = data
	}
	v := func(i int) int { return int(int32(le.Uint32(fields[4*i:]))) }
	h.Dim, h.HiddenDim, h.NLayers, h.NHeads = v(0), v(1), v(2), v(3)
	h.NKVHeads, h.VocabSize, h.SeqLen = v(4), v(5), v(6)
	if h.Version == 0 {
		h.SharedClassifier = h.VocabSize > 0
		if h.VocabSize < 0 {
			h.VocabSize = -h.VocabSize
		}
	} else {
		flag := fields[28]
		if flag > 1 {
			return h, 0, fmt.Errorf("shared_classifier flag at offset 36 is %d (want 0 or 1)", flag)
		}
		h.SharedClassifier = flag == 1
	}
	if err := h.Validate(); err != nil {
		return h, 0, fmt.Errorf("header: %w", err)
	}
	return h, size, nil
}

// encodeHeader returns the header bytes for h.Version.
func encodeHeader(h Header) []byte {
	le := binary.LittleEndian
	vocab := h.VocabSize
	vals := []int{h.Dim, h.HiddenDim, h.NLayers, h.NHeads, h.NKVHeads, vocab, h.SeqLen}
	if h.Version == 0 {
		if !h.SharedClassifier {
			vals[5] = -vocab
		}
		b := make([]byte, legacySize)
		for i, v := range vals {
			le.PutUint32(b[4*i:], uint32(int32(v)))
		}
		return b
	}
	b := make([]byte, versionedSize)
	le.PutUint32(b, Magic)
	le.PutUint32(b[4:], uint32(h.Version))
	for i, v := range vals {
		le.PutUint32(b[8+4*i:], uint32(int32(v)))
	}
	if h.SharedClassifier {
		b[36] = 1
	}
	return b
}
