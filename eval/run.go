package eval

import (
	"fmt"
	"github.com/distill-dev/distill/corpus"
	"math"
	"sync"
)

// totals accumulates rowStats in stream order.
type totals struct {
	windows, tokens int
	nll             [2]float64
	agree           int
	kl, rkl         float64
}

// job is one scored position inside a batch: logits row (offset into the
// batch's [B*T, V] buffer) and the target token it predicts.
type job struct {
	row    int
	target int32
	pos    int // stream position of the target, for error messages
}

// evaluate runs one or two models over the windows of s and accumulates the
// statistics of every scored target. o has been resolved against lms.
func evaluate(lms []LM, s corpus.Stream, o Options) (totals, error) {
	var tot totals
	v := lms[0].VocabSize()
	for p, id := range s.IDs {
		if id < 0 || int(id) >= v {
			return tot, fmt.Errorf("eval: token id %d at stream position %d is outside the vocabulary of %d", id, p, v)
		}
	}
	if s.Target != nil && len(s.Target) != len(s.IDs) {
		panic(fmt.Sprintf("eval: stream has %d ids but %d target flags", len(s.IDs), len(s.Target)))
	}
	windows, err := corpus.NewWindows(len(s.IDs), o.Context, o.Stride) // on demand: no memory per window
	if err != nil {
		return tot, err
	}
	total := s.Targets()
	if total == 0 {
		return tot, fmt.Errorf("eval: nothing to score (stream of %d tokens, none predicted)", len(s.IDs))
	}
	bufs := make([][]float32, len(lms))
	var ids []int32
	var jobs []job
	var stats []rowStats
	for i := 0; i < windows.Len(); {
		// A batch is up to o.Batch windows of equal length (only the last
		// window of a stream can be shorter).
		T := windows.At(i).Len()
		j := i
		for j < windows.Len() && j-i < o.Batch && windows.At(j).Len() == T {
			j++
		}
		B := j - i
		ids, jobs = ids[:0], jobs[:0]
		for b := range B {
			w := windows.At(i + b)
			ids = append(ids, s.IDs[w.Start:w.End]...)
			for t := w.First; t <= w.End; t++ {
				if s.Scored(t) {
					jobs = append(jobs, job{row: b*T + (t - 1 - w.Start), target: s.IDs[t], pos: t})
				}
			}
		}
		for m, lm := range lms {
			bufs[m] = lm.Logits(bufs[m], ids, B, T)
			if len(bufs[m]) < B*T*v {
				return tot, fmt.Errorf("eval: model %d returned %d logits for %d x %d tokens and vocabulary %d", m, len(bufs[m]), B, T, v)
			}
		}
		stats = scoreRows(stats, bufs, jobs, v, o.Workers)
		for k, r := range stats {
			if math.IsNaN(r.nll[0]) || math.IsInf(r.nll[0], 0) || math.IsNaN(r.nll[1]) || math.IsInf(r.nll[1], 0) {
				return tot, fmt.Errorf("eval: non-finite logits predicting stream position %d", jobs[k].pos)
			}
			tot.nll[0] += r.nll[0]
			tot.nll[1] += r.nll[1]
			if r.agree {
				tot.agree++
			}
			tot.kl += r.kl
			tot.rkl += r.rkl
		}
		tot.windows += B
		tot.tokens += len(jobs)
		if o.Progress != nil {
			o.Progress(tot.tokens, total)
		}
		i = j
	}
	return tot, nil
}

// scoreRows computes the statistics of every job, in parallel over workers
// goroutines; stats[k] belongs to jobs[k] whatever the schedule, so sums
// taken in order are deterministic.
func scoreRows(stats []rowStats, bufs [][]float32, jobs []job, v, workers int) []rowStats {
	stats = append(stats[:0], make([]rowStats, len(jobs))...)
	workers = max(1, min(workers, len(jobs)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ep := make([]float64, v)
			var eq []float64
			if len(bufs) == 2 {
				eq = make([]float64, v)
			}
			for k := w; k < len(jobs); k += workers {
				jb := jobs[k]
				zp := bufs[0][jb.row*v : (jb.row+1)*v]
				if len(bufs) == 1 {
					stats[k] = scoreOne(zp, jb.target, ep)
				} else {
					zq := bufs[1][jb.row*v : (jb.row+1)*v]
					stats[k] = scorePair(zp, zq, jb.target, ep, eq)
				}
			}
		}()
	}
	wg.Wait()
	return stats
}
