package tfevents_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/distill-dev/distill/internal/tfevents"
)

func Example() {
	dir, err := os.MkdirTemp("", "tb")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := tfevents.Create(filepath.Join(dir, "train"))
	if err != nil {
		log.Fatal(err)
	}
	for step := int64(1); step <= 3; step++ {
		if err := w.Scalars(step, map[string]float64{"train/loss": 3 / float64(step), "train/lr": 1e-3}); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(filepath.Base(w.Path()), "events.out.tfevents."))
	// Output: true
}
