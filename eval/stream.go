package eval

import "fmt"

// BOSMode says where a BOS token is inserted into the evaluation stream.
type BOSMode int

const (
	BOSNone     BOSMode = iota // no BOS; the first token of the stream is not scored
	BOSStream                  // one BOS before the whole stream
	BOSDocument                // a BOS before every document
)

var bosNames = [...]string{BOSNone: "none", BOSStream: "stream", BOSDocument: "doc"}

func (m BOSMode) String() string {
	if m >= 0 && int(m) < len(bosNames) {
		return bosNames[m]
	}
	return fmt.Sprintf("BOSMode(%d)", int(m))
}

// ParseBOSMode parses "none", "stream" or "doc".
func ParseBOSMode(s string) (BOSMode, error) {
	for i, n := range bosNames {
		if s == n {
			return BOSMode(i), nil
		}
	}
	return 0, fmt.Errorf("eval: unknown BOS mode %q (want none, stream or doc)", s)
}

// Stream is a token stream to evaluate.
type Stream struct {
	IDs []int32
	// Target[p] reports whether IDs[p] is scored when predicted. Nil means
	// every position is. Position 0 is never scored (nothing predicts it).
	Target []bool
}

// NewStream returns a stream of ids in which every predicted token is scored.
func NewStream(ids []int32) Stream { return Stream{IDs: ids} }

// Len is the number of tokens in s.
func (s Stream) Len() int { return len(s.IDs) }

func (s Stream) scored(p int) bool { return p > 0 && (s.Target == nil || s.Target[p]) }

// Targets counts the scored positions of s.
func (s Stream) Targets() int {
	n := 0
	for p := range s.IDs {
		if s.scored(p) {
			n++
		}
	}
	return n
}

// BuildStream concatenates tokenised documents (without BOS/EOS) into one
// stream, inserting bos as mode says. Inserted BOS tokens are not scored.
func BuildStream(docs [][]int32, bos int32, mode BOSMode) Stream {
	n := 0
	for _, d := range docs {
		n += len(d) + 1
	}
	s := Stream{IDs: make([]int32, 0, n), Target: make([]bool, 0, n)}
	add := func(id int32, scored bool) {
		s.IDs = append(s.IDs, id)
		s.Target = append(s.Target, scored)
	}
	for i, d := range docs {
		if mode == BOSDocument || (mode == BOSStream && i == 0) {
			add(bos, false)
		}
		for _, id := range d {
			add(id, true)
		}
	}
	return s
}
