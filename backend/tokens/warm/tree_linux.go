package warm

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// On Linux the walk works on directory descriptors with plain system
// calls: openat, getdents64 and fstatat relative to the open directory, no
// path walk per file and no os.File (whose poller registration and
// finalizer cost more than the call itself).

type dirHandle struct{ fd int }

func (h dirHandle) close() {
	if h.fd >= 0 {
		unix.Close(h.fd)
	}
}

// entry is a directory entry: its name and d_type.
type entry struct {
	name string
	typ  uint8
}

// walker walks one subtree; it reuses its buffers from one directory to
// the next.
type walker struct {
	out  *subtree
	buf  []byte
	ents []entry
}

func readTop(real string) (*topDir, error) {
	fd, err := unix.Open(real, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: real, Err: err}
	}
	top := &topDir{handle: dirHandle{fd}}
	ents, err := top.walker.readDir(fd)
	if err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "readdirent", Path: real, Err: err}
	}
	top.subdirs, top.files = classifyEntries(fd, ents, top.subdirs, top.files)
	return top, nil
}

// classifyEntries sorts the entries of the directory open at fd into its
// subdirectories and its transcripts (regular files; a symlink is never
// followed), appending them to subdirs and files. It stats only the
// transcripts and what getdents did not type; an entry that vanishes in
// between is skipped.
func classifyEntries(fd int, ents []entry, subdirs []string, files []File) ([]string, []File) {
	for _, e := range ents {
		typ := e.typ
		var st unix.Stat_t
		stated := false
		if typ == unix.DT_UNKNOWN {
			if unix.Fstatat(fd, e.name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
				continue
			}
			typ, stated = modeType(st.Mode), true
		}
		switch {
		case typ == unix.DT_DIR:
			subdirs = append(subdirs, e.name)
		case typ == unix.DT_REG && isTranscript(e.name):
			if !stated && unix.Fstatat(fd, e.name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
				continue
			}
			if st.Mode&unix.S_IFMT == unix.S_IFREG {
				files = append(files, fileOf(e.name, &st))
			}
		}
	}
	return subdirs, files
}

// walk lists the directory name in parent (at path), then its
// subdirectories. Entries that vanish or cannot be read while it walks are
// skipped; a directory that cannot be opened is listed as unreadable.
func (w *walker) walk(parent dirHandle, name, path, project string) {
	idx := len(w.out.dirs)
	w.out.dirs = append(w.out.dirs, Dir{Path: path, Project: project})
	fd, err := unix.Openat(parent.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		w.out.dirs[idx].Unreadable = true
		return
	}
	defer unix.Close(fd)
	ents, err := w.readDir(fd)
	if err != nil {
		w.out.dirs[idx].Unreadable = true
	}
	first := len(w.out.files)
	var subdirs []string
	subdirs, w.out.files = classifyEntries(fd, ents, subdirs, w.out.files)
	for i := first; i < len(w.out.files); i++ {
		w.out.files[i].Dir = idx
	}
	for _, sub := range subdirs {
		w.walk(dirHandle{fd}, sub, path+string(filepath.Separator)+sub, project)
	}
}

func fileOf(name string, st *unix.Stat_t) File {
	return File{Name: name, Size: st.Size, MtimeNS: st.Mtim.Nano(), Inode: st.Ino}
}

func modeType(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return unix.DT_DIR
	case unix.S_IFREG:
		return unix.DT_REG
	}
	return unix.DT_UNKNOWN + 0xf0 // anything else: neither walked nor listed
}

// readDir returns fd's entries but "." and "..", sorted by name. The slice
// is reused by the next call; an error returns what was read before it.
func (w *walker) readDir(fd int) ([]entry, error) {
	if w.buf == nil {
		w.buf = make([]byte, 8<<10)
	}
	w.ents = w.ents[:0]
	for {
		n, err := unix.Getdents(fd, w.buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return sortEntries(w.ents), err
		}
		if n <= 0 {
			return sortEntries(w.ents), nil
		}
		b := w.buf[:n]
		for len(b) >= 19 {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				break
			}
			typ := b[18]
			name := b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			if s := string(name); s != "." && s != ".." {
				w.ents = append(w.ents, entry{name: s, typ: typ})
			}
			b = b[reclen:]
		}
	}
}

func sortEntries(ents []entry) []entry {
	slices.SortFunc(ents, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return ents
}
