package gguf

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzRead checks that no input panics the parser and that whatever parses
// re-encodes to a file that parses to the same metadata and tensors.
func FuzzRead(f *testing.F) {
	f.Add(validFile())
	for _, tc := range badInputs {
		f.Add(tc.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read("fuzz", data)
		if err != nil {
			return
		}
		// The writer refuses 64-byte names (llama.cpp's limit), which the
		// spec allows; skip those files.
		for _, tt := range file.Tensors() {
			if len(tt.Name) >= MaxNameLen {
				return
			}
		}
		var buf bytes.Buffer
		if err := Encode(&buf, file.KV(), file.Tensors()); err != nil {
			t.Fatalf("re-encoding a parsed file: %v", err)
		}
		again, err := Read("again", buf.Bytes())
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if !reflect.DeepEqual(sanitize(again.KV()), sanitize(withQuantVersion(file.KV(), file.Tensors()))) {
			t.Fatalf("round trip changed the metadata")
		}
		for i, tt := range file.Tensors() {
			u := again.Tensors()[i]
			if u.Name != tt.Name || u.Type != tt.Type || !reflect.DeepEqual(u.Shape, tt.Shape) || !bytes.Equal(u.Data, tt.Data) {
				t.Fatalf("round trip changed tensor %q", tt.Name)
			}
		}
	})
}

// sanitize replaces float values by their bits so NaNs compare equal.
func sanitize(kv []KV) []string {
	var out []string
	for _, p := range kv {
		var buf bytes.Buffer
		e := &encoder{w: &buf}
		e.value(p.Value)
		out = append(out, p.Key+"="+buf.String())
	}
	return out
}
