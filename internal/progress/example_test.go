package progress_test

import (
	"os"
	"time"

	"github.com/distill-dev/distill/internal/progress"
)

func ExampleBar() {
	t := time.Unix(0, 0)
	bar := progress.New(4096, "train", progress.Options{
		Writer: os.Stdout, Mode: progress.ModeLines, Unit: "tok", Percent: 50,
		Now: func() time.Time { return t }, // a fake clock, for a stable output
	})
	for step := range 4 {
		t = t.Add(2 * time.Second)
		bar.SetFields(progress.F("loss", "%.3f", 2.0/float64(step+1)), progress.F("lr", "%.1e", 3e-4))
		bar.Add(1024)
	}
	bar.Finish()
	// Output:
	// train: 50.0% 2048/4096 tok, 512.0 tok/s, elapsed 4s, ETA 4s, loss=1.000, lr=3.0e-04
	// train: done 100.0% 4096/4096 tok, 512.0 tok/s, elapsed 8s, loss=0.500, lr=3.0e-04
}
