package tfevents

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// crc32cNaive is the bitwise CRC-32C (reflected polynomial 0x82F63B78), the
// reference the table-driven hash/crc32 must equal.
func crc32cNaive(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x82F63B78
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

func TestMaskedCRC(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 0xa282ead8},          // crc 0: only the mask delta
		{"123456789", 0xc78ab0e5}, // crc32c check value 0xe3069283, masked
	} {
		if got := MaskedCRC([]byte(tc.in)); got != tc.want {
			t.Errorf("MaskedCRC(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
		c := crc32cNaive([]byte(tc.in))
		if got, want := MaskedCRC([]byte(tc.in)), ((c>>15)|(c<<17))+0xa282ead8; got != want {
			t.Errorf("MaskedCRC(%q) = %#x, naive %#x", tc.in, got, want)
		}
	}
}

// event is a decoded Event proto.
type event struct {
	wall    float64
	step    int64
	version string
	values  map[string]float32
}

// readRecords parses every record of an event file, checking both CRCs.
func readRecords(r io.Reader) ([][]byte, error) {
	var out [][]byte
	for {
		var hdr [12]byte
		if _, err := io.ReadFull(r, hdr[:]); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if got, want := binary.LittleEndian.Uint32(hdr[8:]), MaskedCRC(hdr[:8]); got != want {
			return nil, fmt.Errorf("record %d: length crc %#x, want %#x", len(out), got, want)
		}
		data := make([]byte, binary.LittleEndian.Uint64(hdr[:8])+4)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("record %d: %w", len(out), err)
		}
		n := len(data) - 4
		if got, want := binary.LittleEndian.Uint32(data[n:]), crc32cNaive(data[:n]); got != ((want>>15)|(want<<17))+0xa282ead8 {
			return nil, fmt.Errorf("record %d: data crc mismatch", len(out))
		}
		out = append(out, data[:n])
	}
}

// fields splits one protobuf message into (field, wire type, payload).
type field struct {
	num, wire int
	varint    uint64
	bytes     []byte
}

func parseFields(b []byte) ([]field, error) {
	var fs []field
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("bad key")
		}
		b = b[n:]
		f := field{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case wireVarint:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, fmt.Errorf("bad varint")
			}
			f.varint, b = v, b[n:]
		case wireFixed64:
			f.bytes, b = b[:8], b[8:]
		case wireFixed32:
			f.bytes, b = b[:4], b[4:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, fmt.Errorf("bad length")
			}
			f.bytes, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return nil, fmt.Errorf("wire type %d", f.wire)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

func decodeEvent(t *testing.T, b []byte) event {
	t.Helper()
	fs, err := parseFields(b)
	if err != nil {
		t.Fatal(err)
	}
	e := event{values: map[string]float32{}}
	for _, f := range fs {
		switch f.num {
		case 1:
			e.wall = math.Float64frombits(binary.LittleEndian.Uint64(f.bytes))
		case 2:
			e.step = int64(f.varint)
		case 3:
			e.version = string(f.bytes)
		case 5:
			vals, err := parseFields(f.bytes)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				vf, err := parseFields(v.bytes)
				if err != nil || v.num != 1 || len(vf) != 2 || vf[0].num != 1 || vf[1].num != 2 || vf[1].wire != wireFixed32 {
					t.Fatalf("bad Summary.Value %x: %v", v.bytes, err)
				}
				e.values[string(vf[0].bytes)] = math.Float32frombits(binary.LittleEndian.Uint32(vf[1].bytes))
			}
		default:
			t.Fatalf("unexpected Event field %d", f.num)
		}
	}
	return e
}

func TestWriterRoundTrip(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(w.Path()), "events.out.tfevents.") {
		t.Errorf("file name %s", w.Path())
	}
	if err := w.Scalars(1, map[string]float64{"train/loss": 2.5, "train/lr": 1e-3}); err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("val/ppl", 200, 7.25); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := readRecords(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	first := decodeEvent(t, recs[0])
	if first.version != FileVersion || first.wall < 1e9 || len(first.values) != 0 {
		t.Errorf("first event %+v", first)
	}
	e1, e2 := decodeEvent(t, recs[1]), decodeEvent(t, recs[2])
	if e1.step != 1 || e1.values["train/loss"] != 2.5 || e1.values["train/lr"] != float32(1e-3) {
		t.Errorf("event 1 %+v", e1)
	}
	if e2.step != 200 || e2.values["val/ppl"] != 7.25 || e2.version != "" {
		t.Errorf("event 2 %+v", e2)
	}
}

// TestRecordBytes pins the exact bytes of a small event against a hand
// encoding, so a change in field numbers or wire types is caught.
func TestRecordBytes(t *testing.T) {
	got := encodeEvent(0.5, 3, "", map[string]float64{"a": 1})
	want := []byte{
		0x09, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, // wall_time 0.5 (fixed64)
		0x10, 0x03, // step 3
		0x2a, 0x0a, // summary, 10 bytes
		0x0a, 0x08, // value, 8 bytes
		0x0a, 0x01, 'a', // tag "a"
		0x15, 0, 0, 0x80, 0x3f, // simple_value 1.0 (fixed32)
	}
	if string(got) != string(want) {
		t.Errorf("encodeEvent = % x\nwant          % x", got, want)
	}
}
