//go:build !linux

package tokens

import (
	"os"
	"path/filepath"
)

// statIn stats name in the directory at path without following a symbolic
// link; only regular files count.
func statIn(_ *os.File, path, name string) (fileInfo, bool) {
	p := filepath.Join(path, name)
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() {
		return fileInfo{}, false
	}
	return fileInfo{path: p, size: info.Size(), mtimeNS: info.ModTime().UnixNano(), inode: inodeOf(info)}, true
}
