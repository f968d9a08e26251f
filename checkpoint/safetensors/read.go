package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
)

// maxHeaderSize caps the JSON header as the reference implementation does,
// so a hostile length cannot make the parser hold gigabytes of JSON.
const maxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding string metadata.
const metadataKey = "__metadata__"

// rawInfo is one tensor entry of the JSON header.
type rawInfo struct {
	DType       string   `json:"dtype"`
	Shape       []uint64 `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// entry is a tensor with its byte range in the data region.
type entry struct {
	t          Tensor
	begin, end uint64
}

// parsed is one decoded .safetensors file.
type parsed struct {
	tensors  []Tensor // sorted by name
	metadata map[string]string
}

// parseFile decodes and validates a whole .safetensors file held in data.
// name is used in error messages.
func parseFile(name string, data []byte) (*parsed, error) {
	errf := func(format string, args ...any) error {
		return fmt.Errorf("safetensors: %s: "+format, append([]any{name}, args...)...)
	}
	if len(data) < 8 {
		return nil, errf("file of %d bytes is too short for the 8-byte header length: %w", len(data), io.ErrUnexpectedEOF)
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeaderSize {
		return nil, errf("header length %d exceeds the %d-byte limit", n, maxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, errf("header length %d points past the end of the %d-byte file: %w", n, len(data), io.ErrUnexpectedEOF)
	}
	header := data[8 : 8+n]
	body := data[8+n:]
	if len(header) == 0 || header[0] != '{' {
		return nil, errf("header does not start with '{'")
	}
	entries, meta, err := decodeHeader(header, uint64(len(body)))
	if err != nil {
		return nil, errf("header: %w", err)
	}
	// The byte ranges must tile the data region exactly: no gaps, no
	// overlaps, nothing left over.
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].begin != entries[j].begin {
			return entries[i].begin < entries[j].begin
		}
		return entries[i].end < entries[j].end
	})
	var next uint64
	for _, e := range entries {
		if e.begin != next {
			what := "leaves a gap after"
			if e.begin < next {
				what = "overlaps"
			}
			return nil, errf("tensor %q: data_offsets [%d, %d] %s the previous tensor's data ending at %d (data offset %d)", e.t.Name, e.begin, e.end, what, next, 8+n+e.begin)
		}
		next = e.end
	}
	if next != uint64(len(body)) {
		return nil, errf("tensors cover %d of the %d data bytes (file size %d, header %d)", next, len(body), len(data), n)
	}
	p := &parsed{metadata: meta}
	for _, e := range entries {
		e.t.Data = body[e.begin:e.end:e.end]
		e.t.path = name
		p.tensors = append(p.tensors, e.t)
	}
	sort.Slice(p.tensors, func(i, j int) bool { return p.tensors[i].Name < p.tensors[j].Name })
	return p, nil
}

// decodeHeader parses the JSON header, rejecting duplicate keys (which
// encoding/json would silently merge), and checks every entry against the
// data region's size.
func decodeHeader(header []byte, dataLen uint64) ([]entry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("header is not a JSON object: %v", err)
	}
	var (
		entries []entry
		meta    map[string]string
		seen    = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("JSON: %w", noEOF(err))
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("JSON: key %v is not a string", tok)
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("duplicate header key %q", key)
		}
		seen[key] = true
		if key == metadataKey {
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, fmt.Errorf("%s is not an object of strings: %w", metadataKey, noEOF(err))
			}
			continue
		}
		var info rawInfo
		if err := dec.Decode(&info); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", key, noEOF(err))
		}
		e, err := checkEntry(key, info, dataLen)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", key, err)
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, fmt.Errorf("JSON: %w", noEOF(err))
	}
	// Only the space padding may follow the object.
	rest := header[dec.InputOffset():]
	if len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return nil, nil, errors.New("trailing data after the JSON object")
	}
	return entries, meta, nil
}

// checkEntry validates one tensor entry: a known dtype, a shape whose size
// is the byte range's length, and a range inside the data region.
func checkEntry(name string, info rawInfo, dataLen uint64) (entry, error) {
	if name == "" {
		return entry{}, errors.New("empty tensor name")
	}
	if info.DType == "" {
		return entry{}, errors.New("missing dtype")
	}
	if info.Shape == nil {
		return entry{}, errors.New("missing shape")
	}
	if len(info.DataOffsets) != 2 {
		return entry{}, fmt.Errorf("data_offsets has %d values, want 2", len(info.DataOffsets))
	}
	shape := make([]int, len(info.Shape))
	for i, d := range info.Shape {
		if d > uint64(math.MaxInt) {
			return entry{}, fmt.Errorf("dimension %d of shape %v is too large", d, info.Shape)
		}
		shape[i] = int(d)
	}
	size, err := byteSize(info.DType, shape)
	if err != nil {
		return entry{}, err
	}
	begin, end := info.DataOffsets[0], info.DataOffsets[1]
	if begin > end {
		return entry{}, fmt.Errorf("data_offsets [%d, %d] are reversed", begin, end)
	}
	if end > dataLen {
		return entry{}, fmt.Errorf("data_offsets [%d, %d] run past the %d-byte data region", begin, end, dataLen)
	}
	if end-begin != size {
		return entry{}, fmt.Errorf("shape %v of %s needs %d bytes but data_offsets [%d, %d] hold %d", shape, info.DType, size, begin, end, end-begin)
	}
	return entry{t: Tensor{Name: name, DType: info.DType, Shape: shape}, begin: begin, end: end}, nil
}

// noEOF turns io.EOF inside the header into io.ErrUnexpectedEOF: the JSON
// was cut short.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
