package corpus

import (
	"errors"
	"os"
)

// Encoder is what tokenising a corpus needs of a tokenizer.
type Encoder interface {
	Encode(text string, addBOS, addEOS bool) []int32
	BOS() int32
}

// Stream is a token stream: documents tokenised and concatenated, BOS
// inserted as a BOS placement says.
type Stream struct {
	IDs []int32
	// Target[p] reports whether IDs[p] is scored when predicted. Nil means
	// every position is. Position 0 is never scored (nothing predicts it).
	Target []bool
	// Starts[i] is the position where document i begins (its BOS, if it
	// has one). Nil for streams not built from documents.
	Starts []int
}

// NewStream returns a stream of ids in which every predicted token is
// scored.
func NewStream(ids []int32) Stream { return Stream{IDs: ids} }

// Len is the number of tokens in s.
func (s Stream) Len() int { return len(s.IDs) }

// Docs is the number of documents in s.
func (s Stream) Docs() int { return len(s.Starts) }

// Scored reports whether position p is scored.
func (s Stream) Scored(p int) bool { return p > 0 && (s.Target == nil || s.Target[p]) }

// Targets counts the scored positions of s.
func (s Stream) Targets() int {
	n := 0
	for p := range s.IDs {
		if s.Scored(p) {
			n++
		}
	}
	return n
}

// Builder tokenises documents one at a time into a Stream.
type Builder struct {
	enc  Encoder
	bos  BOS
	s    Stream
	disk *diskStream // non-nil: the stream goes to scratch files (SpillBytes)
}

// NewBuilder starts an empty stream.
func NewBuilder(enc Encoder, bos BOS) *Builder {
	return &Builder{enc: enc, bos: bos, s: Stream{IDs: []int32{}, Target: []bool{}, Starts: []int{}}}
}

// Add appends one document: BOS as the placement says (not scored), then
// its tokens without BOS/EOS (scored).
func (b *Builder) Add(doc string) {
	if b.disk != nil {
		b.disk.add(b.enc, b.bos, doc)
		return
	}
	b.s.Starts = append(b.s.Starts, len(b.s.IDs))
	if b.bos == BOSDocument || (b.bos == BOSStream && len(b.s.IDs) == 0) {
		b.s.IDs = append(b.s.IDs, b.enc.BOS())
		b.s.Target = append(b.s.Target, false)
	}
	ids := b.enc.Encode(doc, false, false)
	b.s.IDs = append(b.s.IDs, ids...)
	for range ids {
		b.s.Target = append(b.s.Target, true)
	}
}

// Stream returns the stream built so far.
func (b *Builder) Stream() Stream { return b.s }

// Tokenize builds the stream of docs.
func Tokenize(enc Encoder, docs []string, bos BOS) Stream {
	b := NewBuilder(enc, bos)
	for _, d := range docs {
		b.Add(d)
	}
	return b.Stream()
}

// TokenizeFile reads the file at path a document at a time (see Each) and
// builds its stream, on disk when the file is larger than SpillBytes. A
// file with no document is an error.
func TokenizeFile(path string, o ReadOptions, enc Encoder, bos BOS) (Stream, error) {
	b := NewBuilder(enc, bos)
	if st, err := os.Stat(path); err == nil && st.Size() > SpillBytes {
		if b.disk, err = newDiskStream(); err != nil {
			return Stream{}, err
		}
	}
	err := Each(path, o, func(d string) error { b.Add(d); return nil })
	s := b.s
	if b.disk != nil {
		var ferr error
		s, ferr = b.disk.finish()
		err = errors.Join(err, ferr)
	}
	if err != nil {
		return Stream{}, err
	}
	if s.Docs() == 0 {
		return Stream{}, errNoText(path)
	}
	return s, nil
}

// Limit keeps the first n positions of s; n <= 0 or n >= s.Len() keeps
// everything. Documents starting at or after n are dropped.
func (s Stream) Limit(n int) Stream {
	if n <= 0 || n >= len(s.IDs) {
		return s
	}
	s.IDs = s.IDs[:n]
	if s.Target != nil {
		s.Target = s.Target[:n]
	}
	k := 0
	for k < len(s.Starts) && s.Starts[k] < n {
		k++
	}
	s.Starts = s.Starts[:k]
	return s
}

// Slice returns documents [i, j) of s as a stream of their own, positions
// renumbered from 0.
func (s Stream) Slice(i, j int) Stream {
	from, to := s.Starts[i], len(s.IDs)
	if j < len(s.Starts) {
		to = s.Starts[j]
	}
	out := Stream{IDs: s.IDs[from:to:to]}
	if s.Target != nil {
		out.Target = s.Target[from:to:to]
	}
	for _, st := range s.Starts[i:j] {
		out.Starts = append(out.Starts, st-from)
	}
	return out
}
