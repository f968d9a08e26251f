package corpusgen

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
)

// Stories returns the endless sequence of stories of seed. The same seed
// always gives the same stories, on every platform and Go release.
func Stories(seed uint64) iter.Seq[Story] {
	return func(yield func(Story) bool) {
		s := source{rand.NewPCG(seed, streamID)}
		for {
			if !yield(newStory(s)) {
				return
			}
		}
	}
}

// streamID is PCG's second seed word, fixed so that one number names a corpus.
const streamID = 0x636f72707573 // "corpus"

// Write writes the first n stories of seed to w, one paragraph each,
// separated by a blank line and ending with a newline.
func Write(w io.Writer, n int, seed uint64) error {
	if n < 0 {
		panic(fmt.Sprintf("corpusgen: Write: negative story count %d", n))
	}
	bw := bufio.NewWriter(w)
	i := 0
	for st := range Stories(seed) {
		if i == n {
			break
		}
		if i > 0 {
			bw.WriteString("\n")
		}
		bw.WriteString(st.Text)
		bw.WriteString("\n")
		i++
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("corpusgen: writing stories: %w", err)
	}
	return nil
}
