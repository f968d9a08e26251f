package safetensors

import (
	"bytes"
	"testing"
)

// FuzzRead checks that no input panics the parser and that whatever parses
// survives a write-then-read round trip unchanged.
func FuzzRead(f *testing.F) {
	f.Add(encode(f, sampleTensors(), map[string]string{"format": "pt"}))
	f.Add(encode(f, nil, nil))
	for _, tc := range badInputs {
		f.Add(tc.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read("fuzz", data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, file.Tensors(), file.Metadata()); err != nil {
			t.Fatalf("re-encoding a parsed file: %v", err)
		}
		again, err := Read("again", buf.Bytes())
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if len(again.Tensors()) != len(file.Tensors()) {
			t.Fatalf("round trip changed the tensor count")
		}
		for i, tt := range file.Tensors() {
			u := again.Tensors()[i]
			if u.Name != tt.Name || u.DType != tt.DType || !equalInts(u.Shape, tt.Shape) || !bytes.Equal(u.Data, tt.Data) {
				t.Fatalf("round trip changed tensor %q", tt.Name)
			}
		}
	})
}

// FuzzParseIndex checks that no index JSON panics the parser.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"metadata":{"total_size":8},"weight_map":{"a":"model-00001-of-00002.safetensors"}}`))
	f.Add([]byte(`{"weight_map":{"a":"../x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseIndex("fuzz", data)
	})
}
