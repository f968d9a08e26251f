package sysmem

import (
	"os"
	"runtime"
	"testing"
)

func TestLimit(t *testing.T) {
	defer func(r func(string) ([]byte, error)) { readFileHook = r }(readFileHook)
	const meminfo = "MemTotal:       24576000 kB\nMemFree: 1 kB\n"
	cases := []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"machine only", map[string]string{memInfoFile: meminfo}, 24576000 << 10},
		{"cgroup v2 lower", map[string]string{memInfoFile: meminfo, cgroupFiles[0]: "8589934592\n"}, 8 << 30},
		{"cgroup v2 max", map[string]string{memInfoFile: meminfo, cgroupFiles[0]: "max\n"}, 24576000 << 10},
		{"cgroup v1 unlimited", map[string]string{memInfoFile: meminfo, cgroupFiles[1]: "9223372036854771712\n"}, 24576000 << 10},
		{"cgroup higher than the machine", map[string]string{memInfoFile: meminfo, cgroupFiles[0]: "99999999999999\n"}, 24576000 << 10},
		{"cgroup only", map[string]string{cgroupFiles[1]: "1073741824"}, 1 << 30},
		{"nothing readable", nil, 0},
		{"garbage", map[string]string{memInfoFile: "MemTotal: lots kB\n", cgroupFiles[0]: "-5"}, 0},
	}
	for _, c := range cases {
		readFileHook = func(p string) ([]byte, error) {
			if s, ok := c.files[p]; ok {
				return []byte(s), nil
			}
			return nil, os.ErrNotExist
		}
		if got := Limit(); got != c.want {
			t.Errorf("%s: Limit() = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestLimitHere(t *testing.T) {
	if _, err := os.Stat(memInfoFile); err != nil {
		t.Skip("no /proc/meminfo on this system")
	}
	if Limit() <= 0 {
		t.Errorf("Limit() = %d on a system with %s", Limit(), memInfoFile)
	}
}

func TestStatus(t *testing.T) {
	st, err := Status()
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if st["VmRSS"] <= 0 || st["VmHWM"] < st["VmRSS"] {
		t.Errorf("VmRSS %d, VmHWM %d", st["VmRSS"], st["VmHWM"])
	}
	stop := WatchPeak("RssAnon")
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = 1
	}
	if peak := stop(); peak < st["RssAnon"]+32<<20 {
		t.Errorf("peak RssAnon %d after touching 64 MiB from %d", peak, st["RssAnon"])
	}
	runtime.KeepAlive(buf)
}
