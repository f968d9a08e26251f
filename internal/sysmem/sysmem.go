// Package sysmem reports how much memory this process may use: the
// machine's physical memory, or the cgroup's limit when that is lower (a
// container sees the host's /proc/meminfo but is killed at its own limit).
// Training refuses plans above it before allocating anything.
package sysmem

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Files read, replaced in tests.
var (
	memInfoFile  = "/proc/meminfo"
	cgroupFiles  = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}
	readFileHook = os.ReadFile
)

// Limit returns the bytes of memory available to the process: the lower of
// physical memory and the cgroup limit. 0 means unknown (no /proc, another
// OS); callers then apply no limit.
func Limit() int64 {
	total := physical()
	for _, f := range cgroupFiles {
		if c := cgroupLimit(f); c > 0 && (total == 0 || c < total) {
			total = c
		}
	}
	return total
}

// physical reads MemTotal from /proc/meminfo.
func physical() int64 {
	b, err := readFileHook(memInfoFile)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || kb <= 0 || kb > 1<<53 {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// cgroupLimit reads a cgroup v2 memory.max or v1 limit_in_bytes; "max",
// absurd values (v1 reports 2^63 rounded down to a page when unlimited) and
// missing files give 0.
func cgroupLimit(path string) int64 {
	b, err := readFileHook(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0
	}
	return n
}

// Status returns the memory counters of /proc/self/status in bytes, by
// name (VmRSS, VmHWM: the peak resident set, RssAnon, RssFile: mapped
// files' pages, ...); an error where there is no /proc.
func Status() (map[string]int64, error) {
	b, err := readFileHook("/proc/self/status")
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[2] == "kB" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				out[strings.TrimSuffix(f[0], ":")] = kb << 10
			}
		}
	}
	return out, nil
}

// WatchPeak samples Status()[name] (RssAnon, VmRSS, ...) every 20 ms until
// the returned function is called, which returns the highest value seen
// (the kernel keeps a peak only for VmRSS, as VmHWM).
func WatchPeak(name string) func() int64 {
	var peak atomic.Int64
	sample := func() {
		if st, err := Status(); err == nil && st[name] > peak.Load() {
			peak.Store(st[name])
		}
	}
	done := make(chan struct{})
	go func() {
		for {
			sample()
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		sample()
		return peak.Load()
	}
}
