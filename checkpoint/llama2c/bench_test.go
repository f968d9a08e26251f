package llama2c

import (
	"path/filepath"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// BenchmarkOpenStories260K measures mapping and validating the real 1 MB
// checkpoint (the weights themselves are not read).
func BenchmarkOpenStories260K(b *testing.B) {
	path := filepath.Join(formattest.SharedData(b), "stories260K", "stories260K.bin")
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
