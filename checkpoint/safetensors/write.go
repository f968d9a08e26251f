package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/distill-dev/distill/internal/atomicfile"
)

// Write writes tensors and metadata to path as one .safetensors file,
// atomically: on error any existing file at path is left untouched.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		return Encode(w, tensors, metadata)
	})
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return nil
}

// Encode writes a .safetensors stream to w. Tensors are laid out by
// decreasing element size, then by name (the reference implementation's
// order, which keeps each tensor aligned to its element size); each must
// have a known dtype and exactly Size() bytes of Data (or of Source).
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	order := make([]*Tensor, len(tensors))
	seen := map[string]bool{}
	for i := range tensors {
		t := &tensors[i]
		if t.Name == "" || t.Name == metadataKey {
			return fmt.Errorf("invalid tensor name %q", t.Name)
		}
		if seen[t.Name] {
			return fmt.Errorf("duplicate tensor %q", t.Name)
		}
		seen[t.Name] = true
		size, err := t.Size()
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if t.Source == nil && len(t.Data) != size {
			return fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, Data has %d", t.Name, t.Shape, t.DType, size, len(t.Data))
		}
		order[i] = t
	}
	sort.Slice(order, func(i, j int) bool {
		bi, bj := dtypeBits[order[i].DType], dtypeBits[order[j].DType]
		if bi != bj {
			return bi > bj
		}
		return order[i].Name < order[j].Name
	})

	header, err := encodeHeader(order, metadata)
	if err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, t := range order {
		if err := writeData(w, t); err != nil {
			return err
		}
	}
	return nil
}

// encodeHeader builds the JSON header with sorted keys, padded with spaces
// to a multiple of 8 bytes.
func encodeHeader(order []*Tensor, metadata map[string]string) ([]byte, error) {
	type info struct {
		DType       string   `json:"dtype"`
		Shape       []int    `json:"shape"`
		DataOffsets [2]int64 `json:"data_offsets"`
	}
	hdr := make(map[string]any, len(order)+1)
	if len(metadata) > 0 {
		hdr[metadataKey] = metadata
	}
	var off int64
	for _, t := range order {
		size, _ := t.Size() // checked by Encode
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[t.Name] = info{t.DType, shape, [2]int64{off, off + int64(size)}}
		off += int64(size)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(hdr); err != nil { // map keys come out sorted
		return nil, err
	}
	b := bytes.TrimRight(buf.Bytes(), "\n")
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	return b, nil
}

// writeData writes one tensor's bytes, from Data or streamed from Source.
func writeData(w io.Writer, t *Tensor) error {
	size, _ := t.Size()
	if t.Source == nil {
		_, err := w.Write(t.Data)
		return err
	}
	cw := &countingWriter{w: w}
	if _, err := t.Source.WriteTo(cw); err != nil {
		return fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if cw.n != int64(size) {
		return fmt.Errorf("tensor %q: Source wrote %d bytes, want %d", t.Name, cw.n, size)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
