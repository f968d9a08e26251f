// Package units formats counts and sizes for people: the one home of the
// K/M/B and KiB/MiB/GiB spellings in messages, tables and reports.
package units

import "fmt"

// Count formats a count with a decimal K/M/B suffix: 264128 -> "264.1K",
// 15200000 -> "15.20M".
func Count(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// Bytes formats a size in binary units: 1056512 -> "1.01 MiB", 512 ->
// "512 B".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.2f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
