//go:build !linux

package warm

import (
	"os"
	"path/filepath"
)

// Elsewhere the walk uses the os package: os.ReadDir and os.Lstat.

type dirHandle struct{ path string }

func (dirHandle) close() {}

type walker struct{ out *subtree }

func readTop(real string) (*topDir, error) {
	ents, err := os.ReadDir(real)
	if err != nil {
		return nil, err
	}
	top := &topDir{handle: dirHandle{real}}
	for _, e := range ents {
		switch {
		case e.IsDir():
			top.subdirs = append(top.subdirs, e.Name())
		case isTranscript(e.Name()):
			if f, ok := lstatFile(filepath.Join(real, e.Name())); ok {
				top.files = append(top.files, f)
			}
		}
	}
	return top, nil
}

func (w *walker) walk(parent dirHandle, name, path, project string) {
	idx := len(w.out.dirs)
	w.out.dirs = append(w.out.dirs, Dir{Path: path, Project: project})
	ents, err := os.ReadDir(path)
	if err != nil && len(ents) == 0 {
		w.out.dirs[idx].Unreadable = true
		return
	}
	var subdirs []string
	for _, e := range ents {
		switch {
		case e.IsDir():
			subdirs = append(subdirs, e.Name())
		case e.Type().IsRegular() && isTranscript(e.Name()):
			if f, ok := lstatFile(filepath.Join(path, e.Name())); ok {
				f.Dir = idx
				w.out.files = append(w.out.files, f)
			}
		}
	}
	for _, sub := range subdirs {
		w.walk(dirHandle{path}, sub, filepath.Join(path, sub), project)
	}
}

func lstatFile(path string) (File, bool) {
	info, err := os.Lstat(path)
	if err != nil || !info.Mode().IsRegular() {
		return File{}, false
	}
	return File{Name: filepath.Base(path), Size: info.Size(), MtimeNS: info.ModTime().UnixNano(), Inode: inodeOfInfo(info)}, true
}
