//go:build unix

package tokens

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// walkProject lists what a plain walk with lstat lists: regular *.jsonl
// files at any depth, with their size, mtime and inode; not symbolic links
// (to files or directories), not other file types, not directories named
// like transcripts.
func TestWalkProjectFindsRegularTranscripts(t *testing.T) {
	dir := t.TempDir()
	elsewhere := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.jsonl", "one\n")
	write("b.txt", "not a transcript\n")
	write("s1/subagents/agent-1.jsonl", "two\nlines\n")
	write("s1/deeper/still/c.jsonl", "")
	os.MkdirAll(filepath.Join(dir, "d.jsonl"), 0o755)
	os.WriteFile(filepath.Join(elsewhere, "x.jsonl"), []byte("outside\n"), 0o644)
	os.Symlink(filepath.Join(elsewhere, "x.jsonl"), filepath.Join(dir, "link.jsonl"))
	os.Symlink(elsewhere, filepath.Join(dir, "linkdir"))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.jsonl"), 0o644); err != nil {
		t.Fatal(err)
	}

	var want []fileInfo
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonl") {
			return nil
		}
		info, err := os.Lstat(path)
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		want = append(want, fileInfo{path: path, project: "p", size: info.Size(), mtimeNS: info.ModTime().UnixNano(), inode: inodeOf(info)})
		return nil
	})
	got := walkProject(dir, "p")
	byPath := func(a, b fileInfo) int { return strings.Compare(a.path, b.path) }
	slices.SortFunc(got, byPath)
	slices.SortFunc(want, byPath)
	if len(want) != 3 || !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
