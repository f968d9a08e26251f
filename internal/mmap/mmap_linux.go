//go:build linux

package mmap

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapFile maps the file itself, private and read-only, while this process
// holds a read lease on it (fcntl F_SETLEASE): pages are the page cache's,
// read on first touch, so opening costs no read and no anonymous memory.
// Before another program may truncate the file or open it for writing, the
// kernel signals the lease holder (SIGIO) and holds that program back (up to
// /proc/sys/fs/lease-break-time, 45 s by default); the handler then copies
// the mapping into anonymous memory, moves the copy over the same addresses
// (mremap), and releases the lease, so readers keep the content they opened
// and never see SIGBUS. Where no lease can be taken (a file open for
// writing elsewhere, another user's file without CAP_LEASE, a file system
// without leases) the file is copied at once (copyMap), as before.
func mapFile(f *os.File, size int) ([]byte, func() error, bool, error) {
	if l, err := leaseMap(f, size); err == nil {
		return l.data, l.close, true, nil
	}
	data, unmap, err := copyMap(f, size)
	return data, unmap, false, err
}

// leased is one file mapped under a read lease.
type leased struct {
	mu   sync.Mutex
	data []byte // the mapping; its addresses never change
	fd   int    // the leased descriptor; -1 once the mapping is a copy
}

var (
	leaseMu     sync.Mutex
	leases      = map[*leased]bool{}
	leaseSignal sync.Once
)

// leaseMap takes a read lease on a descriptor of its own for f and maps
// the file under it.
func leaseMap(f *os.File, size int) (*leased, error) {
	leaseSignal.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, unix.SIGIO)
		go func() {
			for range ch {
				breakLeases()
			}
		}()
	})
	// close-on-exec from the start: a child holding the descriptor would
	// hold the lease
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_RDLCK); err != nil {
		unix.Close(fd)
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Size != int64(size) {
		unix.Close(fd) // changed since it was opened: copy what is there now
		return nil, errors.New("mmap: file changed size")
	}
	p, err := unix.MmapPtr(fd, 0, nil, uintptr(size), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	l := &leased{data: unsafe.Slice((*byte)(p), size), fd: fd}
	leaseMu.Lock()
	leases[l] = true
	leaseMu.Unlock()
	l.breakIfAsked() // a break signalled before l was registered
	return l, nil
}

// breakLeases moves every mapping whose lease the kernel is breaking into
// anonymous memory (the signal does not say which file).
func breakLeases() {
	leaseMu.Lock()
	all := make([]*leased, 0, len(leases))
	for l := range leases {
		all = append(all, l)
	}
	leaseMu.Unlock()
	for _, l := range all {
		l.breakIfAsked()
	}
}

// breakIfAsked copies l when its lease is being broken (F_GETLEASE then
// reports the type the breaker allows, no longer F_RDLCK).
func (l *leased) breakIfAsked() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fd < 0 {
		return
	}
	if t, err := unix.FcntlInt(uintptr(l.fd), unix.F_GETLEASE, 0); err == nil && t == unix.F_RDLCK {
		return
	}
	if err := l.copyInPlace(); err != nil {
		// Nothing safe is left to do: the file is about to change under
		// the mapping. Say so before a read faults.
		fmt.Fprintf(os.Stderr, "distill: a memory-mapped checkpoint is being modified and could not be copied (%v); reading it further may crash\n", err)
	}
	unix.FcntlInt(uintptr(l.fd), unix.F_SETLEASE, unix.F_UNLCK) // the breaker proceeds
	unix.Close(l.fd)
	l.fd = -1
}

// copyInPlace replaces l's file mapping by an anonymous copy at the same
// addresses, atomically for readers (mremap onto the old range).
func (l *leased) copyInPlace() error {
	size := uintptr(len(l.data))
	p, err := unix.MmapPtr(-1, 0, nil, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return err
	}
	copy(unsafe.Slice((*byte)(p), len(l.data)), l.data)
	if err := unix.Mprotect(unsafe.Slice((*byte)(p), len(l.data)), unix.PROT_READ); err != nil {
		unix.MunmapPtr(p, size)
		return err
	}
	old := unsafe.Pointer(unsafe.SliceData(l.data))
	if _, err := unix.MremapPtr(p, size, old, size, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED); err != nil {
		unix.MunmapPtr(p, size)
		return err
	}
	return nil
}

// close unmaps l and releases its lease.
func (l *leased) close() error {
	leaseMu.Lock()
	delete(leases, l)
	leaseMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	err := unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(l.data)), uintptr(len(l.data)))
	if l.fd >= 0 {
		unix.Close(l.fd)
		l.fd = -1
	}
	return err
}
