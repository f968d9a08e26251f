package safetensors

import (
	"bytes"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// TestWriteFuzzSeeds regenerates the committed seed corpus under
// testdata/fuzz from the inputs the fuzz targets start from. Run it with
// DISTILL_WRITE_FUZZ_SEEDS=1 after changing them.
func TestWriteFuzzSeeds(t *testing.T) {
	var valid, empty bytes.Buffer
	if Encode(&valid, sampleTensors(), map[string]string{"format": "pt"}) != nil || Encode(&empty, nil, nil) != nil {
		t.Fatal("encoding the sample tensors failed")
	}
	formattest.WriteFuzzSeeds(t, map[string]map[string][]byte{
		"FuzzRead": formattest.Seeds(map[string][]byte{"valid": valid.Bytes(), "valid-empty": empty.Bytes()}, badInputs),
		"FuzzParseIndex": {
			"valid":  []byte(`{"metadata":{"total_size":8},"weight_map":{"a":"model-00001-of-00002.safetensors"}}`),
			"escape": []byte(`{"weight_map":{"a":"../x"}}`),
			"empty":  []byte(`{}`),
		},
	})
}
