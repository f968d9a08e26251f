package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTest(total int64, o Options) (*Bar, *bytes.Buffer, *clock) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(1000, 0)}
	o.Writer, o.Now = &buf, c.now
	if o.Mode == ModeAuto {
		o.Mode = ModeLines
	}
	return New(total, "eval", o), &buf, c
}

func TestLinesEveryPercent(t *testing.T) {
	b, buf, c := newTest(1000, Options{Unit: "tok", Percent: 25})
	for range 10 {
		c.advance(time.Second)
		b.Add(100)
	}
	b.Finish()
	expectLines(t, buf,
		"eval: 30.0% 300/1000 tok, 100.0 tok/s, elapsed 3s, ETA 7s",
		"eval: 50.0% 500/1000 tok, 100.0 tok/s, elapsed 5s, ETA 5s",
		"eval: 80.0% 800/1000 tok, 100.0 tok/s, elapsed 8s, ETA 2s",
		"eval: done 100.0% 1000/1000 tok, 100.0 tok/s, elapsed 10s",
	)
}

func expectLines(t *testing.T, buf *bytes.Buffer, want ...string) {
	t.Helper()
	got := strings.TrimSuffix(buf.String(), "\n")
	if got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestLinesEveryInterval(t *testing.T) {
	b, buf, c := newTest(0, Options{Interval: 10 * time.Second, Percent: -1})
	for range 25 {
		c.advance(time.Second)
		b.Add(2)
	}
	b.SetFields(F("loss", "%.3f", 1.23456), F("lr", "%.0e", 3e-4))
	b.SetFields(F("loss", "%.3f", 1.0))
	b.Finish()
	b.Finish()
	b.Add(5) // after Finish: ignored
	expectLines(t, buf,
		"eval: 20 it, 2.0 it/s, elapsed 10s",
		"eval: 40 it, 2.0 it/s, elapsed 20s",
		"eval: done 50 it, 2.0 it/s, elapsed 25s, loss=1.000, lr=3e-04",
	)
}

func TestStop(t *testing.T) {
	b, buf, c := newTest(100, Options{Percent: 50})
	c.advance(time.Second)
	b.Add(60)
	b.Stop()
	b.Finish()
	b.Add(40)
	expectLines(t, buf, "eval: 60.0% 60/100 it, 60.0 it/s, elapsed 1s, ETA 700ms")
}

func TestQuietAndNil(t *testing.T) {
	b, buf, _ := newTest(10, Options{Mode: ModeQuiet})
	b.Add(10)
	b.Finish()
	if buf.Len() != 0 {
		t.Errorf("quiet mode wrote %q", buf.String())
	}
	var nb *Bar
	nb.Add(1)
	nb.Set(2)
	nb.SetFields(F("a", "%d", 1))
	nb.Finish()
	nb.Stop()
}

func TestNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	if IsTerminal(&buf) {
		t.Error("a bytes.Buffer is a terminal")
	}
	b := New(5, "x", Options{Writer: &buf})
	if b.o.Mode != ModeLines {
		t.Errorf("auto mode on a buffer = %v, want ModeLines", b.o.Mode)
	}
}

func TestBarModeWrites(t *testing.T) {
	var buf bytes.Buffer
	b := New(100, "train", Options{Writer: &buf, Mode: ModeBar, Unit: "tok"})
	b.SetFields(F("loss", "%.2f", 2.5))
	b.Add(100)
	b.Finish()
	if s := buf.String(); !strings.Contains(s, "train loss=2.50") || !strings.Contains(s, "100/100") {
		t.Errorf("bar output %q", s)
	}
}

func TestConcurrentAdd(t *testing.T) {
	b, _, _ := newTest(8000, Options{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				b.Add(1)
			}
		}()
	}
	wg.Wait()
	if b.done != 8000 {
		t.Errorf("done %d, want 8000", b.done)
	}
}
