package gemm

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/distill-dev/distill/internal/spinwait"
)

// The goroutines that help a blocked GEMM are kept between calls: starting
// one per call meant waking an idle OS thread each time, which took 0.1-0.6
// ms on the 2-core CI machine (5% of a 1024 x 768 x 768 product at 2
// threads). A helper that has just finished polls for its next share for
// helperSpin before it sleeps, like OpenBLAS's threads, so that GEMMs that
// come one after another (a forward pass) find it awake.
const helperSpin = 2 * time.Millisecond

// helper is a goroutine that runs shares of blocked GEMMs.
type helper struct {
	work chan share
}

// share is share t of driver d, for a helper.
type share struct {
	d        *driver
	t        int
	finished *atomic.Int32
}

var (
	idleMu  sync.Mutex
	idle    []*helper // helpers waiting for work
	helpers atomic.Int32
)

// runParallel runs share 0 of d on the calling goroutine and shares
// 1..threads-1 on helpers (idle ones, or new ones when every helper is busy
// with another GEMM), and returns when all are done.
func runParallel(d *driver, threads int) {
	var finished atomic.Int32
	idleMu.Lock()
	for t := 1; t < threads; t++ {
		var h *helper
		if n := len(idle); n > 0 {
			h, idle = idle[n-1], idle[:n-1]
		} else {
			h = &helper{work: make(chan share, 1)}
			helpers.Add(1)
			go h.run()
		}
		h.work <- share{d, t, &finished}
	}
	idleMu.Unlock()
	d.work(0)
	d.await(&finished, threads-1)
}

func (h *helper) run() {
	for {
		s := h.next()
		s.d.work(s.t)
		idleMu.Lock()
		idle = append(idle, h)
		idleMu.Unlock()
		s.d.done(s.finished)
	}
}

// next returns the helper's next share, polling for helperSpin before it
// blocks.
func (h *helper) next() share {
	var s share
	if spinwait.Until(helperSpin, func() bool {
		select {
		case s = <-h.work:
			return true
		default:
			return false
		}
	}) {
		return s
	}
	return <-h.work
}
