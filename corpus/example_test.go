package corpus_test

import (
	"fmt"

	"github.com/distill-dev/distill/corpus"
)

// bytes is a tokenizer with one token per byte and BOS 1.
type bytes struct{}

func (bytes) BOS() int32 { return 1 }
func (bytes) Encode(text string, addBOS, addEOS bool) []int32 {
	var ids []int32
	for i := range len(text) {
		ids = append(ids, int32(text[i]))
	}
	return ids
}

// Two documents become one stream with a BOS before each; evaluation with
// context 4 and stride 2 scores every text token exactly once (inserted
// BOS tokens, like position 4, are targets that are not scored).
func ExamplePlan() {
	s := corpus.Tokenize(bytes{}, []string{"abc", "de"}, corpus.BOSDocument)
	fmt.Println(s.IDs, s.Starts, s.Targets())
	ws, _ := corpus.Plan(s.Len(), 4, 2)
	for _, w := range ws {
		fmt.Printf("feed [%d, %d), targets %d..%d\n", w.Start, w.End, w.First, w.End)
	}
	// Output:
	// [1 97 98 99 1 100 101] [0 4] 5
	// feed [0, 4), targets 1..4
	// feed [2, 6), targets 5..6
}
