//go:build unix

package statusline

import (
	"os"
	"syscall"
)

// mapFile maps a file read-only instead of copying it: .claude.json grows to
// megabytes and the line only searches it once. release unmaps it; the
// bytes must not be used after.
func mapFile(path string) (data []byte, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, func() {}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, func() {}, err
	}
	size := fi.Size()
	if size == 0 || size != int64(int(size)) {
		data, err := os.ReadFile(path)
		return data, func() {}, err
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, mapFlags)
	if err != nil {
		data, err := os.ReadFile(path)
		return data, func() {}, err
	}
	return m, func() { _ = syscall.Munmap(m) }, nil
}
