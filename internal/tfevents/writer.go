package tfevents

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// FileVersion is the file_version of the first event in every file.
const FileVersion = "brain.Event:2"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC returns the masked CRC32C of b, as stored in record headers and
// trailers.
func MaskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// Writer appends scalar events to one event file. It is safe for use by
// several goroutines.
type Writer struct {
	mu     sync.Mutex
	closed bool
	f      *os.File
	w      *bufio.Writer
	path   string
	now    func() time.Time
}

// Create makes dir (if needed) and starts a new event file in it named
// events.out.tfevents.<unix seconds>.<host>, writing the file-version
// record.
func Create(dir string) (*Writer, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	now := time.Now()
	path := filepath.Join(dir, fmt.Sprintf("events.out.tfevents.%d.%s", now.Unix(), host))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	w := &Writer{f: f, w: bufio.NewWriter(f), path: path, now: time.Now}
	if err := w.record(encodeEvent(wallTime(now), 0, FileVersion, nil)); err != nil {
		f.Close()
		return nil, err
	}
	return w, w.Flush()
}

// Path is the event file's name.
func (w *Writer) Path() string { return w.path }

// Scalar appends one event holding value under tag at step, stamped with
// the current time.
func (w *Writer) Scalar(tag string, step int64, value float64) error {
	return w.Scalars(step, map[string]float64{tag: value})
}

// Scalars appends one event holding every (tag, value) at step, tags in
// sorted order.
func (w *Writer) Scalars(step int64, values map[string]float64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.record(encodeEvent(wallTime(w.now()), step, "", values))
}

// Flush writes buffered records to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("tfevents: %s: %w", w.path, err)
	}
	return nil
}

// Close flushes and closes the file; closing again does nothing.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.Flush()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("tfevents: %s: %w", w.path, cerr)
	}
	return err
}

func wallTime(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// record frames data: length, masked CRC of the length, data, masked CRC
// of the data.
func (w *Writer) record(data []byte) error {
	var hdr [12]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(hdr[8:], MaskedCRC(hdr[:8]))
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], MaskedCRC(data))
	for _, b := range [][]byte{hdr[:], data, tail[:]} {
		if _, err := w.w.Write(b); err != nil {
			return fmt.Errorf("tfevents: %s: %w", w.path, err)
		}
	}
	return nil
}

// Wire types of the protobuf encoding.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// encodeEvent serialises an Event: wall_time, step, then file_version when
// set, else a Summary with one Value per tag.
func encodeEvent(wall float64, step int64, fileVersion string, values map[string]float64) []byte {
	var b []byte
	b = appendTag(b, 1, wireFixed64)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(wall))
	if step != 0 {
		b = appendTag(b, 2, wireVarint)
		b = binary.AppendUvarint(b, uint64(step))
	}
	if fileVersion != "" {
		b = appendBytes(b, 3, []byte(fileVersion))
	}
	if len(values) > 0 {
		var sum []byte
		for _, tag := range sortedKeys(values) {
			var v []byte
			v = appendBytes(v, 1, []byte(tag))
			v = appendTag(v, 2, wireFixed32)
			v = binary.LittleEndian.AppendUint32(v, math.Float32bits(float32(values[tag])))
			sum = appendBytes(sum, 1, v)
		}
		b = appendBytes(b, 5, sum)
	}
	return b
}

func appendTag(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field<<3|wire))
}

func appendBytes(b []byte, field int, data []byte) []byte {
	b = appendTag(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
