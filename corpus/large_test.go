package corpus_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/internal/sysmem"
	"github.com/distill-dev/distill/tokenizer"
)

// TestLargeCorpusMemory tokenises a generated corpus of
// DISTILL_LARGE_CORPUS bytes (e.g. 2G; the test is skipped unless it is
// set, and in -short) and one an eighth of its size, each followed by what
// the consumers do with a stream (a pass over every token, as hashing and
// teaching do; training batches; the evaluation plan), and reports the
// peak anonymous resident memory of each. The stream is on disk (mapped,
// page cache), so anonymous memory must not grow with the corpus; the
// in-memory stream would need 5 bytes a token.
func TestLargeCorpusMemory(t *testing.T) {
	spec := os.Getenv("DISTILL_LARGE_CORPUS")
	if testing.Short() || spec == "" {
		t.Skip("set DISTILL_LARGE_CORPUS=2G to tokenise a generated corpus that large (minutes, disk: 4x its size)")
	}
	size, err := parseSize(spec)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load("../testdata/quickstart/tokenizer.bin")
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile("../testdata/quickstart/train.txt")
	if err != nil {
		t.Fatal(err)
	}
	old := corpus.SpillBytes
	corpus.SpillBytes = 0 // both sizes on disk (2G is above the default anyway)
	defer func() { corpus.SpillBytes = old }()
	var peaks [2]int64
	for i, n := range []int64{size / 8, size} {
		path := filepath.Join(t.TempDir(), "corpus.txt")
		writeCorpus(t, path, sample, n)
		runtime.GC()
		start := status(t)["RssAnon"]
		stop := sysmem.WatchPeak("RssAnon")
		began := time.Now()
		s, err := corpus.TokenizeFile(path, corpus.ReadOptions{}, tok, corpus.BOSDocument)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, id := range s.IDs {
			sum += int64(id)
		}
		sampler, err := corpus.NewSampler(s.IDs, 256, 8, 1)
		if err != nil {
			t.Fatal(err)
		}
		ids, targets := make([]int32, 256*8), make([]int32, 256*8)
		for range 100 {
			sampler.Next(ids, targets)
		}
		plan, err := corpus.NewWindows(s.Len(), 512, 512)
		if err != nil {
			t.Fatal(err)
		}
		peak := stop()
		st := status(t)
		peaks[i] = peak - start
		t.Logf("%d MB corpus: %d tokens, %d documents, %d eval windows in %v; anonymous RSS peak +%d MB (in memory the stream alone: %d MB); at the end RssAnon %d MB, RssFile %d MB (mapped page cache), VmHWM %d MB",
			n>>20, s.Len(), s.Docs(), plan.Len(), time.Since(began).Round(time.Second), peaks[i]>>20, int64(s.Len())*5>>20,
			st["RssAnon"]>>20, st["RssFile"]>>20, st["VmHWM"]>>20)
		runtime.KeepAlive(sum)
	}
	if grow := peaks[1] - peaks[0]; grow > 256<<20 {
		t.Errorf("anonymous memory grew by %d MB from a corpus of %d MB to one of %d MB", grow>>20, size>>23, size>>20)
	}
}

// writeCorpus writes sample over and over (blank-line documents) until the
// file holds n bytes.
func writeCorpus(t *testing.T, path string, sample []byte, n int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for written := int64(0); written < n; written += int64(len(sample)) + 2 {
		w.Write(sample)
		w.WriteString("\n\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func status(t *testing.T) map[string]int64 {
	st, err := sysmem.Status()
	if err != nil {
		t.Skip("no /proc/self/status to read memory from:", err)
	}
	return st
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("DISTILL_LARGE_CORPUS=%q: want a size such as 2G or 512M", s)
	}
	return n * mult, nil
}
