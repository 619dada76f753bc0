//go:build unix

package warm

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// List lists what a plain walk with lstat lists: regular *.jsonl files at
// any depth, with their size, mtime and inode; not symbolic links (to files
// or directories), not other file types, not directories named like
// transcripts. Every directory walked is listed, and a file at the top of
// the root belongs to no project.
func TestListFindsRegularTranscripts(t *testing.T) {
	root := filepath.Join(t.TempDir(), "projects")
	dir := filepath.Join(root, "p")
	elsewhere := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("top.jsonl", "at the top\n")
	write("p/a.jsonl", "one\n")
	write("p/b.txt", "not a transcript\n")
	write("p/s1/subagents/agent-1.jsonl", "two\nlines\n")
	write("p/s1/deeper/still/c.jsonl", "")
	os.MkdirAll(filepath.Join(dir, "d.jsonl"), 0o755)
	os.WriteFile(filepath.Join(elsewhere, "x.jsonl"), []byte("outside\n"), 0o644)
	os.Symlink(filepath.Join(elsewhere, "x.jsonl"), filepath.Join(dir, "link.jsonl"))
	os.Symlink(elsewhere, filepath.Join(dir, "linkdir"))
	os.Symlink(elsewhere, filepath.Join(root, "linkproject"))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.jsonl"), 0o644); err != nil {
		t.Fatal(err)
	}

	type found struct {
		path, project string
		size, mtime   int64
		inode         uint64
	}
	var want []found
	var wantDirs []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			wantDirs = append(wantDirs, path)
			return nil
		}
		if !strings.HasSuffix(path, ".jsonl") {
			return nil
		}
		info, err := os.Lstat(path)
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		project := ""
		if rel, _ := filepath.Rel(root, path); strings.Contains(rel, "/") {
			project = strings.Split(rel, "/")[0]
		}
		want = append(want, found{path, project, info.Size(), info.ModTime().UnixNano(), inodeOfInfo(info)})
		return nil
	})
	absent := filepath.Join(t.TempDir(), "absent")
	tree, err := List([]string{root, absent})
	if err != nil {
		t.Fatal(err)
	}
	var got []found
	for i, f := range tree.Files {
		got = append(got, found{tree.Path(i), tree.Dirs[f.Dir].Project, f.Size, f.MtimeNS, f.Inode})
	}
	var gotDirs []string
	for _, d := range tree.Dirs {
		gotDirs = append(gotDirs, d.Path)
	}
	byPath := func(a, b found) int { return strings.Compare(a.path, b.path) }
	slices.SortFunc(got, byPath)
	slices.SortFunc(want, byPath)
	slices.Sort(gotDirs)
	if len(want) != 4 || !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if !slices.Equal(gotDirs, wantDirs) {
		t.Fatalf("directories %q\nwant %q", gotDirs, wantDirs)
	}
	if len(tree.Roots) != 2 || tree.Roots[0].Real != root || tree.Roots[1].Real != "" {
		t.Fatalf("roots %+v", tree.Roots)
	}
	again, err := List([]string{root, absent})
	if err != nil || !again.Equal(tree) {
		t.Fatalf("a second listing of the same tree differs: %v", err)
	}
}

// A root reached twice (itself and through a link, or nested in another)
// lists each file once.
func TestListRootsReachedTwice(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "projects")
	os.MkdirAll(filepath.Join(root, "p", "q"), 0o755)
	os.WriteFile(filepath.Join(root, "p", "a.jsonl"), []byte("a\n"), 0o644)
	os.WriteFile(filepath.Join(root, "p", "q", "b.jsonl"), []byte("b\n"), 0o644)
	link := filepath.Join(base, "link")
	os.Symlink(root, link)
	tree, err := List([]string{root, link, filepath.Join(root, "p")})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range tree.Files {
		paths = append(paths, tree.Path(i))
	}
	want := []string{filepath.Join(root, "p", "a.jsonl"), filepath.Join(root, "p", "q", "b.jsonl")}
	if !slices.Equal(paths, want) {
		t.Fatalf("files %q, want %q", paths, want)
	}
}
