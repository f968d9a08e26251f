package corpus

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"github.com/distill-dev/distill/internal/mmap"
)

// SpillBytes is the data file size above which TokenizeFile builds the
// token stream on disk instead of in memory: the stream's IDs, Target and
// Starts are written to unlinked scratch files in os.TempDir as documents
// are tokenised, then memory-mapped (mmap.OpenOwned). Memory then no
// longer grows with the corpus: the consumers index the same slices, now
// backed by page cache that the kernel drops under pressure, and the
// stream's values are the same either way. Tests lower it to take the disk
// path on small files.
var SpillBytes int64 = 256 << 20

// spill is an array of T written to an unlinked scratch file a batch at a
// time and mapped back when complete.
type spill[T int32 | bool | int] struct {
	f   *os.File
	w   *bufio.Writer
	n   int
	err error
}

func newSpill[T int32 | bool | int](name string) (*spill[T], error) {
	f, err := os.CreateTemp("", "distill-"+name+"-*")
	if err != nil {
		return nil, fmt.Errorf("corpus: scratch file for the token stream: %w", err)
	}
	// Unlinked now, the file lives while it is open or mapped and vanishes
	// with the process, however it ends. (Where an open file cannot be
	// removed, it stays in TempDir.)
	os.Remove(f.Name())
	return &spill[T]{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// add appends vs (in host byte order: only this process reads them).
func (s *spill[T]) add(vs ...T) {
	if s.err != nil || len(vs) == 0 {
		return
	}
	var zero T
	b := unsafe.Slice((*byte)(unsafe.Pointer(&vs[0])), len(vs)*int(unsafe.Sizeof(zero)))
	if _, err := s.w.Write(b); err != nil {
		s.err = fmt.Errorf("corpus: writing the token stream to %s: %w", s.f.Name(), err)
	}
	s.n += len(vs)
}

// finish maps the file and returns its elements (an empty, non-nil slice
// when there are none).
func (s *spill[T]) finish() ([]T, error) {
	defer s.f.Close() // the mapping outlives the descriptor
	if s.err != nil {
		return nil, s.err
	}
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("corpus: writing the token stream to %s: %w", s.f.Name(), err)
	}
	if s.n == 0 {
		return []T{}, nil
	}
	m, err := mmap.OpenOwned(s.f)
	if err != nil {
		return nil, fmt.Errorf("corpus: mapping the token stream: %w", err)
	}
	// The mapping lives as long as the process: streams are values shared
	// by slices, with no owner to close them.
	return unsafe.Slice((*T)(unsafe.Pointer(&m.Data[0])), s.n), nil
}

// diskStream is a Stream being built in scratch files (Builder.Add's
// layout: a document's start, its BOS if any, then its tokens).
type diskStream struct {
	ids    *spill[int32]
	target *spill[bool]
	starts *spill[int]
	scored []bool // reused: Target of one document's tokens
}

func newDiskStream() (*diskStream, error) {
	ids, err := newSpill[int32]("ids")
	if err != nil {
		return nil, err
	}
	target, err := newSpill[bool]("target")
	if err != nil {
		ids.f.Close()
		return nil, err
	}
	starts, err := newSpill[int]("starts")
	if err != nil {
		ids.f.Close()
		target.f.Close()
		return nil, err
	}
	return &diskStream{ids: ids, target: target, starts: starts}, nil
}

func (d *diskStream) add(enc Encoder, bos BOS, doc string) {
	d.starts.add(d.ids.n)
	if bos == BOSDocument || (bos == BOSStream && d.ids.n == 0) {
		d.ids.add(enc.BOS())
		d.target.add(false)
	}
	ids := enc.Encode(doc, false, false)
	d.ids.add(ids...)
	for len(d.scored) < len(ids) {
		d.scored = append(d.scored, true)
	}
	d.target.add(d.scored[:len(ids)]...)
}

// finish maps the three files (closing all of them whatever happens).
func (d *diskStream) finish() (Stream, error) {
	ids, err1 := d.ids.finish()
	target, err2 := d.target.finish()
	starts, err3 := d.starts.finish()
	if err := errors.Join(err1, err2, err3); err != nil {
		return Stream{}, err
	}
	return Stream{IDs: ids, Target: target, Starts: starts}, nil
}
