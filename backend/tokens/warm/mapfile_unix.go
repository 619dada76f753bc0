//go:build unix

package warm

import (
	"fmt"
	"os"
	"syscall"
)

// mapSnapshot reads the snapshot at path by mapping it: the launcher reads
// it once and exits, and a mapped file costs a page fault per 16 pages
// (the kernel maps around each fault) where a read into fresh heap costs
// one per page. The mapping is never released: only for a process about
// to exit.
func mapSnapshot(path string) (*Snapshot, error) {
	// Plain system calls: os.Open would set up the poller for one read.
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Size <= 0 || st.Size > maxSnapshot {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadSnapshot, st.Size)
	}
	data, err := syscall.Mmap(fd, 0, int(st.Size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return readLazily(path)
	}
	return parseSnapshot(data, true)
}
