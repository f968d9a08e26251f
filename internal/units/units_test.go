package units

import "testing"

func TestCountAndBytes(t *testing.T) {
	for _, c := range []struct {
		n            int64
		count, bytes string
	}{
		{0, "0", "0 B"},
		{999, "999", "999 B"},
		{1023, "1.0K", "1023 B"},
		{1024, "1.0K", "1.00 KiB"},
		{264128, "264.1K", "257.94 KiB"},
		{1056512, "1.06M", "1.01 MiB"},
		{15200000, "15.20M", "14.50 MiB"},
		{3 << 30, "3.22B", "3.00 GiB"},
		{5 << 40, "5497.56B", "5.00 TiB"},
	} {
		if got := Count(c.n); got != c.count {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.count)
		}
		if got := Bytes(c.n); got != c.bytes {
			t.Errorf("Bytes(%d) = %q, want %q", c.n, got, c.bytes)
		}
	}
}
