package tokens

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// statIn stats name in the open directory dir (at path) without following
// a symbolic link; only regular files count.
func statIn(dir *os.File, path, name string) (fileInfo, bool) {
	rc, err := dir.SyscallConn()
	if err != nil {
		return fileInfo{}, false
	}
	var st unix.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.Fstatat(int(fd), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	}); err != nil || serr != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fileInfo{}, false
	}
	return fileInfo{path: filepath.Join(path, name), size: st.Size, mtimeNS: st.Mtim.Nano(), inode: st.Ino}, true
}
