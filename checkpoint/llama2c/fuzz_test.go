package llama2c

import (
	"bytes"
	"testing"
)

// FuzzRead checks that no input panics the parser and that whatever parses
// re-encodes to the same weights.
func FuzzRead(f *testing.F) {
	f.Add(v0)
	f.Add(v1)
	for _, tc := range badInputs {
		f.Add(tc.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read("fuzz", data)
		if err != nil {
			return
		}
		weights := map[string][]float32{}
		for _, tt := range file.Tensors() {
			weights[tt.Name] = tt.Float32s()
		}
		var buf bytes.Buffer
		if err := Encode(&buf, file.Header, weights); err != nil {
			t.Fatalf("re-encoding a parsed file: %v", err)
		}
		again, err := Read("again", buf.Bytes())
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if again.Header != file.Header {
			t.Fatalf("header changed: %+v vs %+v", again.Header, file.Header)
		}
		for i, tt := range file.Tensors() {
			if !bytes.Equal(again.Tensors()[i].Data, tt.Data) {
				t.Fatalf("tensor %q changed", tt.Name)
			}
		}
	})
}
