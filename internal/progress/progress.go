package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// DisplayMode selects how progress is shown.
type DisplayMode int

const (
	ModeAuto  DisplayMode = iota // ModeBar when the writer is a terminal, else ModeLines
	ModeBar                      // an in-place progress bar
	ModeLines                    // plain periodic log lines
	ModeQuiet                    // nothing
)

// Options configures a Bar. The zero value reports on os.Stderr, as a bar on
// a terminal and as lines every 10 s or 10% otherwise.
type Options struct {
	Writer   io.Writer     // default os.Stderr
	Mode     DisplayMode   // default ModeAuto
	Interval time.Duration // ModeLines: at most this long between lines (default 10 s)
	Percent  float64       // ModeLines: also a line each time this many percent complete (default 10; < 0 disables)
	Unit     string        // what is counted, e.g. "tok" (default "it")
	Now      func() time.Time
}

// Field is a named value shown beside the counts, e.g. loss=1.234.
type Field struct{ Name, Value string }

// F formats a Field: F("loss", "%.4f", 1.23456) is loss=1.2346.
func F(name, format string, v any) Field { return Field{name, fmt.Sprintf(format, v)} }

// Bar reports the progress of one job towards a total (total <= 0: unknown,
// no percentage or ETA).
type Bar struct {
	mu       sync.Mutex
	o        Options
	desc     string
	total    int64
	done     int64
	fields   []Field
	start    time.Time
	last     time.Time // last line printed (ModeLines)
	lastPct  float64   // percentage at the last line (ModeLines)
	bar      *progressbar.ProgressBar
	finished bool
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New starts reporting progress of desc towards total.
func New(total int64, desc string, o Options) *Bar {
	if o.Writer == nil {
		o.Writer = os.Stderr
	}
	if o.Mode == ModeAuto {
		o.Mode = ModeLines
		if IsTerminal(o.Writer) {
			o.Mode = ModeBar
		}
	}
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.Percent == 0 {
		o.Percent = 10
	}
	if o.Unit == "" {
		o.Unit = "it"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	b := &Bar{o: o, desc: desc, total: total, start: o.Now()}
	b.last = b.start
	if o.Mode == ModeBar {
		max := total
		if max <= 0 {
			max = -1 // progressbar's spinner for an unknown total
		}
		b.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(o.Writer),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(o.Unit),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(o.Writer) }),
		)
	}
	return b
}

// Add advances the count by n.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.set(b.done + n)
}

// Set sets the count to n.
func (b *Bar) Set(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.set(n)
}

func (b *Bar) set(n int64) {
	if b.finished {
		return
	}
	b.done = n
	switch b.o.Mode {
	case ModeBar:
		_ = b.bar.Set64(n) // errors only from a closed writer; progress is best effort
	case ModeLines:
		now := b.o.Now()
		pct := b.percent()
		due := now.Sub(b.last) >= b.o.Interval
		if b.o.Percent > 0 && b.total > 0 {
			due = due || int(pct/b.o.Percent) > int(b.lastPct/b.o.Percent)
		}
		if due && !(b.total > 0 && n >= b.total) { // the final line is Finish's
			b.line(now, false)
		}
	}
}

// SetFields sets the named fields shown beside the counts, replacing earlier
// values of the same name and keeping the order in which names first came.
func (b *Bar) SetFields(fs ...Field) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
next:
	for _, f := range fs {
		for i := range b.fields {
			if b.fields[i].Name == f.Name {
				b.fields[i].Value = f.Value
				continue next
			}
		}
		b.fields = append(b.fields, f)
	}
	if b.bar != nil {
		b.bar.Describe(b.describe())
	}
}

// Finish completes the report: the bar is filled, or a final line with the
// totals is printed. Further calls, and Stop, do nothing.
func (b *Bar) Finish() { b.end(true) }

// Stop ends the report without completing it (the job failed): the bar is
// left where it is and the line ended, and no final line is printed.
// Further calls, and Finish, do nothing.
func (b *Bar) Stop() { b.end(false) }

func (b *Bar) end(complete bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.finished = true
	switch {
	case b.o.Mode == ModeBar && complete:
		_ = b.bar.Finish()
	case b.o.Mode == ModeBar:
		_ = b.bar.Exit() // leaves the bar as drawn
		_, _ = io.WriteString(b.o.Writer, "\n")
	case b.o.Mode == ModeLines && complete:
		b.line(b.o.Now(), true)
	}
}

func (b *Bar) describe() string {
	if len(b.fields) == 0 {
		return b.desc
	}
	var sb strings.Builder
	sb.WriteString(b.desc)
	for _, f := range b.fields {
		fmt.Fprintf(&sb, " %s=%s", f.Name, f.Value)
	}
	return sb.String()
}

func (b *Bar) percent() float64 {
	if b.total <= 0 {
		return 0
	}
	return 100 * float64(b.done) / float64(b.total)
}

// line prints one plain progress line:
//
//	eval: 45.0% 1234/5000 tok, 512.3 tok/s, elapsed 2.4s, ETA 7.4s, loss=1.23
func (b *Bar) line(now time.Time, final bool) {
	elapsed := now.Sub(b.start)
	var sb strings.Builder
	sb.WriteString(b.desc)
	sb.WriteString(":")
	if final {
		sb.WriteString(" done")
	}
	if b.total > 0 {
		fmt.Fprintf(&sb, " %.1f%% %d/%d %s", b.percent(), b.done, b.total, b.o.Unit)
	} else {
		fmt.Fprintf(&sb, " %d %s", b.done, b.o.Unit)
	}
	if elapsed > 0 {
		rate := float64(b.done) / elapsed.Seconds()
		fmt.Fprintf(&sb, ", %.1f %s/s", rate, b.o.Unit)
		fmt.Fprintf(&sb, ", elapsed %s", round(elapsed))
		if !final && b.total > 0 && rate > 0 {
			eta := time.Duration(float64(b.total-b.done) / rate * float64(time.Second))
			fmt.Fprintf(&sb, ", ETA %s", round(eta))
		}
	}
	for _, f := range b.fields {
		fmt.Fprintf(&sb, ", %s=%s", f.Name, f.Value)
	}
	sb.WriteByte('\n')
	_, _ = io.WriteString(b.o.Writer, sb.String()) // best effort, like log output
	b.last, b.lastPct = now, b.percent()
}

// round shortens a duration for display: 0.1 s resolution under a minute,
// whole seconds above.
func round(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
