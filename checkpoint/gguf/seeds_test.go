package gguf

import (
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// TestWriteFuzzSeeds regenerates the committed seed corpus under
// testdata/fuzz from the inputs the fuzz targets start from. Run it with
// DISTILL_WRITE_FUZZ_SEEDS=1 after changing them.
func TestWriteFuzzSeeds(t *testing.T) {
	formattest.WriteFuzzSeeds(t, map[string]map[string][]byte{
		"FuzzRead": formattest.Seeds(map[string][]byte{"valid": validFile()}, badInputs),
	})
}
