// Package progress reports the progress of long jobs (evaluation, teacher
// soft labels, training) on stderr: an in-place bar (schollz/progressbar)
// when the writer is a terminal, and otherwise plain log lines, one every
// Interval or every Percent of the total, whichever comes first, each with
// the count, rate and ETA, so CI logs stay readable.
//
// Custom fields (tok/s, loss, lr, loss scale) are set with SetFields and
// shown after the counts in both modes:
//
//	bar := progress.New(total, "train", progress.Options{Unit: "tok"})
//	defer bar.Finish()
//	for ... {
//		bar.SetFields(progress.F("loss", "%.4f", loss), progress.F("lr", "%.2e", lr))
//		bar.Add(int64(tokens))
//	}
//
// ETA is (total - done) / rate with rate = done / elapsed, the mean over the
// whole run (steady for training loops whose steps cost the same).
//
// All methods are safe for concurrent use, and a nil *Bar does nothing, so
// callers can pass nil for "no progress".
package progress
