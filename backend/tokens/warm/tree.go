package warm

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultRoots lists the transcript directories for an environment: every
// <dir>/projects for dir in ~/.claude, ~/.config/claude and each entry of
// CLAUDE_CONFIG_DIR (comma-separated, as ccusage allows). Missing
// directories are kept: they are skipped while absent and read once created.
func DefaultRoots(environ []string) []string {
	get := func(key string) string {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
				return v
			}
		}
		return ""
	}
	var dirs []string
	if home := get("HOME"); home != "" {
		dirs = append(dirs, filepath.Join(home, ".claude"), filepath.Join(home, ".config", "claude"))
	}
	for _, d := range strings.Split(get("CLAUDE_CONFIG_DIR"), ",") {
		if d = strings.TrimSpace(d); d != "" {
			dirs = append(dirs, d)
		}
	}
	var roots []string
	seen := map[string]bool{}
	for _, d := range dirs {
		r := filepath.Join(d, "projects")
		if abs, err := filepath.Abs(r); err == nil {
			r = abs
		}
		if !seen[r] {
			seen[r] = true
			roots = append(roots, r)
		}
	}
	return roots
}

// Tree is the transcript tree as discovery saw it: the roots, every
// directory walked under them and every transcript (a regular *.jsonl file
// at any depth; symbolic links are not followed). A scan reads what it
// lists, and the launcher's warm path compares a new listing with the one a
// snapshot holds: two equal trees mean no transcript changed.
type Tree struct {
	Roots []Root
	Dirs  []Dir
	Files []File
}

// Root is one transcript root and where it leads.
type Root struct {
	Path string // as given (DefaultRoots)
	Real string // with symbolic links resolved; "" when the root does not exist
}

// Dir is a directory walked: a root's real path or one under it.
type Dir struct {
	Path       string
	Project    string // the directory right under the root ("" for the root itself)
	Unreadable bool   // could not be opened or listed (its files are not listed)
}

// File is one transcript: its name in Dirs[Dir] and its stat.
type File struct {
	Dir     int
	Name    string
	Size    int64
	MtimeNS int64
	Inode   uint64
}

// Path is the full path of t.Files[i].
func (t *Tree) Path(i int) string {
	return t.Dirs[t.Files[i].Dir].Path + string(filepath.Separator) + t.Files[i].Name
}

// Equal reports whether two listings are the same, in the same order.
func (t *Tree) Equal(o *Tree) bool {
	if len(t.Roots) != len(o.Roots) || len(t.Dirs) != len(o.Dirs) || len(t.Files) != len(o.Files) {
		return false
	}
	for i := range t.Roots {
		if t.Roots[i] != o.Roots[i] {
			return false
		}
	}
	for i := range t.Dirs {
		if t.Dirs[i] != o.Dirs[i] {
			return false
		}
	}
	for i := range t.Files {
		if t.Files[i] != o.Files[i] {
			return false
		}
	}
	return true
}

// List finds every transcript under roots. Roots that do not exist are
// skipped; a root that leads where an earlier one does is not walked again,
// and the same file reached through two roots is listed once. Entries are
// in name order, a directory's files before its subdirectories; the
// directories right under a root are walked in parallel, since stat-ing
// every file is most of what a scan with nothing new to read costs.
func List(roots []string) (*Tree, error) {
	t := &Tree{}
	walked := map[string]bool{}
	for _, root := range roots {
		real, err := filepath.EvalSymlinks(root)
		if errors.Is(err, fs.ErrNotExist) {
			t.Roots = append(t.Roots, Root{Path: root})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading transcripts in %s: %w", root, err)
		}
		t.Roots = append(t.Roots, Root{Path: root, Real: real})
		if walked[real] {
			continue
		}
		walked[real] = true
		top, err := readTop(real)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading transcripts in %s: %w", root, err)
		}
		t.add(top, real)
	}
	if overlapping(t.Roots) {
		t.dedupe()
	}
	return t, nil
}

// subtree is what one walk found: directories and files, each file's Dir
// an index into dirs.
type subtree struct {
	dirs  []Dir
	files []File
}

// topDir is a root's own listing: its transcripts and its subdirectories,
// each walked by walkProject.
type topDir struct {
	handle  dirHandle
	walker  walker // the one that read it, handed on to a worker
	files   []File // Dir is 0: the root
	subdirs []string
}

// add walks the root's subdirectories on the CPUs and appends everything,
// in the order of the subdirectories' names.
func (t *Tree) add(top *topDir, real string) {
	defer top.handle.close()
	base := len(t.Dirs)
	t.Dirs = append(t.Dirs, Dir{Path: real})
	for _, f := range top.files {
		f.Dir = base
		t.Files = append(t.Files, f)
	}
	// Each worker appends to its own lists; span says where each
	// subdirectory's part is.
	type span struct{ worker, dirs, dirsEnd, files, filesEnd int }
	spans := make([]span, len(top.subdirs))
	workers := min(runtime.GOMAXPROCS(0), len(top.subdirs))
	found := make([]subtree, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	work := func(id int, w *walker) {
		// Room for a large tree from the start: untouched capacity costs
		// nothing, while growing copies (and touches) everything again.
		found[id] = subtree{dirs: make([]Dir, 0, 1024), files: make([]File, 0, 4096)}
		w.out = &found[id]
		for {
			i := int(next.Add(1) - 1)
			if i >= len(top.subdirs) {
				return
			}
			name := top.subdirs[i]
			sp := span{worker: id, dirs: len(w.out.dirs), files: len(w.out.files)}
			w.walk(top.handle, name, real+string(filepath.Separator)+name, name)
			sp.dirsEnd, sp.filesEnd = len(w.out.dirs), len(w.out.files)
			spans[i] = sp
		}
	}
	for id := 1; id < workers; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(id, &walker{})
		}()
	}
	if workers > 0 {
		work(0, &top.walker)
	}
	wg.Wait()
	nd, nf := 0, 0
	for _, s := range found {
		nd += len(s.dirs)
		nf += len(s.files)
	}
	t.Dirs = slices.Grow(t.Dirs, nd)
	t.Files = slices.Grow(t.Files, nf)
	for _, sp := range spans {
		s := &found[sp.worker]
		// A file's Dir is an index into its worker's list: rebase it.
		off := len(t.Dirs) - sp.dirs
		t.Dirs = append(t.Dirs, s.dirs[sp.dirs:sp.dirsEnd]...)
		for _, f := range s.files[sp.files:sp.filesEnd] {
			f.Dir += off
			t.Files = append(t.Files, f)
		}
	}
}

// overlapping reports whether one walked root lies inside another, so the
// same file may have been listed twice.
func overlapping(roots []Root) bool {
	for i, a := range roots {
		for j, b := range roots {
			if i != j && a.Real != "" && b.Real != "" && a.Real != b.Real &&
				strings.HasPrefix(b.Real, a.Real+string(filepath.Separator)) {
				return true
			}
		}
	}
	return false
}

// dedupe drops files listed a second time (through a nested root).
func (t *Tree) dedupe() {
	seen := map[string]bool{}
	out := t.Files[:0]
	for i, f := range t.Files {
		p := t.Path(i)
		if !seen[p] {
			seen[p] = true
			out = append(out, f)
		}
	}
	t.Files = out
}

// isTranscript is the name test: *.jsonl.
func isTranscript(name string) bool { return strings.HasSuffix(name, ".jsonl") }
