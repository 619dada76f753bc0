//go:build unix

package warm

import (
	"io/fs"
	"syscall"
)

func devIno(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}

func inodeOfInfo(fi fs.FileInfo) uint64 {
	_, ino := devIno(fi)
	return ino
}
