package tokens

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
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

// fileInfo is a transcript found on disk.
type fileInfo struct {
	path    string
	project string // the directory right under the root ("" for a file at the top)
	size    int64
	mtimeNS int64
	inode   uint64
}

// listFiles finds every *.jsonl under the roots. Roots that do not exist are
// skipped; the same file reached through two roots is listed once. Project
// directories are walked in parallel: stat-ing every file is most of what a
// scan with nothing new to read costs.
func listFiles(roots []string) ([]fileInfo, error) {
	var out []fileInfo
	seen := map[string]bool{}
	for _, root := range roots {
		real, err := filepath.EvalSymlinks(root)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading transcripts in %s: %w", root, err)
		}
		top, err := os.ReadDir(real)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading transcripts in %s: %w", root, err)
		}
		found := make([][]fileInfo, len(top))
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < min(listWorkers, len(top)); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= len(top) {
						return
					}
					e := top[i]
					if e.IsDir() {
						found[i] = walkProject(filepath.Join(real, e.Name()), e.Name())
					} else if fi, ok := statTranscript(filepath.Join(real, e.Name()), ""); ok {
						found[i] = []fileInfo{fi}
					}
				}
			}()
		}
		wg.Wait()
		for _, fs := range found {
			for _, f := range fs {
				if !seen[f.path] {
					seen[f.path] = true
					out = append(out, f)
				}
			}
		}
	}
	return out, nil
}

const listWorkers = 4

// walkProject lists the transcripts under one project directory. Entries
// that vanish or cannot be read while it walks are skipped, and symbolic
// links are not followed (as filepath.WalkDir does).
func walkProject(dir, project string) []fileInfo {
	var out []fileInfo
	walkDir(dir, project, &out)
	return out
}

func walkDir(dir, project string, out *[]fileInfo) {
	f, err := openDir(dir)
	if err != nil {
		return
	}
	entries, _ := f.ReadDir(-1)
	var subdirs []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
			subdirs = append(subdirs, name)
		case e.Type().IsRegular() && strings.HasSuffix(name, ".jsonl"):
			// Stat by name in the open directory: no walk of the whole
			// path per file (a warm run's time goes to stat-ing).
			if fi, ok := statIn(f, dir, name); ok {
				fi.project = project
				*out = append(*out, fi)
			}
		}
	}
	f.Close()
	for _, name := range subdirs {
		walkDir(filepath.Join(dir, name), project, out)
	}
}

// statTranscript stats a transcript at the top of a root (outside any
// project directory).
func statTranscript(path, project string) (fileInfo, bool) {
	if !strings.HasSuffix(path, ".jsonl") {
		return fileInfo{}, false
	}
	info, err := os.Lstat(path)
	if err != nil || !info.Mode().IsRegular() {
		return fileInfo{}, false
	}
	return fileInfo{path: path, project: project, size: info.Size(), mtimeNS: info.ModTime().UnixNano(), inode: inodeOf(info)}, true
}

// DecodeProjectDir turns Claude Code's directory name for a working
// directory back into a path, best effort: Claude Code replaces every '/'
// (and '.', '_', ':' and '\') with '-', so "-home-me-src-app" becomes
// "/home/me/src/app" and "C--Users-me" becomes "C:/Users/me". Dashes that
// were in the original name come back as slashes; reports prefer the
// working directory recorded in the transcript lines, which is exact.
func DecodeProjectDir(dir string) string {
	if dir == "" {
		return ""
	}
	if len(dir) >= 3 && isLetter(dir[0]) && dir[1] == '-' && dir[2] == '-' {
		return dir[:1] + ":/" + strings.ReplaceAll(dir[3:], "-", "/")
	}
	return strings.ReplaceAll(dir, "-", "/")
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// tailLen is how many bytes before a file's consumed offset are hashed to
// notice a file rewritten in place with the same inode.
const tailLen = 64

func tailHash(b []byte) int64 {
	h := fnv.New64a()
	h.Write(b)
	return int64(h.Sum64() >> 1)
}

// readJob reads one file from an offset.
type readJob struct {
	idx      int // into the scan's file list
	from     int64
	wantTail int64 // verify the bytes before from; a mismatch restarts at 0
}

// readResult is what one file yielded.
type readResult struct {
	from     int64 // where reading actually started
	consumed int64 // end of the last complete line
	eof      int64 // bytes present when reading stopped
	tail     int64
	cwd      string
	err      error
}

// fileEntry is a parsed entry with its line's position, which identifies
// lines that carry no message id.
type fileEntry struct {
	Entry
	offset int64
	sub    int // index among the entries of its line
}

// maxLine bounds one line. Longer lines (base64 images of tens of MB) are
// skipped whole, so a reader's memory stays bounded.
const maxLine = 64 << 20

// reader parses files; each worker owns one and reuses its buffer.
type reader struct {
	buf     []byte
	entries []Entry     // one line's
	found   []fileEntry // one file's, reused for the next file
	recent  recent
}

// readChunk is the read size and a reader's buffer; a variable for tests.
var readChunk = 1 << 20

func (r *reader) read(path string, job readJob) (readResult, []fileEntry) {
	res := readResult{from: job.from}
	r.found = r.found[:0]
	f, err := openTranscript(path)
	if err != nil {
		res.err = err
		return res, nil
	}
	defer f.close()
	// res.tail is the hash of the bytes before res.consumed (at first
	// res.from) while tailKnown.
	res.tail = tailHash(nil)
	tailKnown := true
	if job.from > 0 {
		if tail, err := hashBefore(f, job.from); err != nil || tail != job.wantTail {
			res.from = 0
		} else {
			res.tail = tail
		}
	}
	if r.buf == nil {
		r.buf = make([]byte, readChunk)
	}
	res.consumed = res.from
	base := res.from // file offset of r.buf[0]
	filled := 0
	skipping := false // inside a line longer than maxLine
	for {
		if filled == len(r.buf) {
			if len(r.buf) >= maxLine {
				// Drop the oversized line's start and skip to its end.
				skipping = true
				base += int64(filled)
				filled = 0
			} else {
				nb := make([]byte, 2*len(r.buf))
				copy(nb, r.buf[:filled])
				r.buf = nb
			}
		}
		want := len(r.buf) - filled
		n, err := f.readAt(r.buf[filled:], base+int64(filled))
		if err != nil {
			res.err = err
			return res, nil
		}
		filled += n
		if n > 0 {
			data := r.buf[:filled]
			// Only the bytes just read can hold a newline: what was kept
			// from the last read is the start of an unfinished line.
			if end := bytes.LastIndexByte(data[filled-n:], '\n'); end >= 0 {
				end += filled - n
				start := 0
				if skipping {
					start = bytes.IndexByte(data, '\n') + 1
					skipping = false
				}
				if start <= end {
					r.lines(&res, data[start:end+1], base+int64(start))
				}
				res.consumed = base + int64(end+1)
				// The bytes before the new offset are still here (unless
				// this chunk holds fewer of them and the file goes on
				// before it): hash them now instead of reading them again.
				if tailKnown = end+1 >= tailLen || base == 0; tailKnown {
					res.tail = tailHash(data[max(0, end+1-tailLen) : end+1])
				}
				filled = copy(r.buf, data[end+1:])
				base += int64(end + 1)
			}
		}
		if n < want {
			// A short read is the end of the file. A file still being
			// written may have grown meanwhile; the next scan reads on
			// from res.consumed.
			break
		}
	}
	res.eof = base + int64(filled)
	if !tailKnown {
		res.tail, res.err = hashBefore(f, res.consumed)
	}
	if len(r.buf) > 4<<20 {
		r.buf = nil // do not keep a buffer grown for one long line
	}
	return res, r.found
}

// hashBefore hashes the tailLen bytes before off.
func hashBefore(f transcriptFile, off int64) (int64, error) {
	var b [tailLen]byte
	n := int(min(int64(tailLen), off))
	got, err := f.readAt(b[:n], off-int64(n))
	if err == nil && got < n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return 0, err
	}
	return tailHash(b[:n]), nil
}

// lines parses the complete lines in data (which ends with '\n'); off is the
// file offset of data[0]. Only lines holding the usage marker are parsed,
// and they are found by searching the whole chunk at once.
func (r *reader) lines(res *readResult, data []byte, off int64) {
	i := 0
	for i < len(data) {
		m := indexMarker(data[i:])
		if m < 0 {
			return
		}
		m += i
		// The line starts after the last newline before the marker; i is
		// always a line start, so search forward (IndexByte is vectorized,
		// LastIndexByte is not).
		start := i
		for {
			nl := bytes.IndexByte(data[start:m], '\n')
			if nl < 0 {
				break
			}
			start += nl + 1
		}
		end := bytes.IndexByte(data[m:], '\n') + m
		r.entries = parseLine(r.entries[:0], data[start:end], &r.recent)
		for k, e := range r.entries {
			if res.cwd == "" {
				res.cwd = e.Cwd
			}
			e.Cwd = ""
			r.found = append(r.found, fileEntry{Entry: e, offset: off + int64(start), sub: k})
		}
		i = end + 1
	}
}

// swarOnes has a one in every byte: times c, it is c in every byte.
const swarOnes = 0x0101010101010101

// indexMarker finds usageMarker in b. Where the CPU has AVX2 it tests 32
// positions at a time for the marker's first and last bytes ('"' and,
// eight bytes on, '{'; pairScan), a pair rare enough in transcripts that
// few candidates need a full comparison; elsewhere, and for the last few
// bytes, it does the same eight positions at a time (SWAR). Most of a
// transcript's bytes are tool results without the marker, which only this
// search looks at.
func indexMarker(b []byte) int {
	i := 0
	if hasPairScan {
		for {
			j, hit := pairScan(b[i:])
			j += i
			if !hit {
				i = j
				break
			}
			if string(b[j:j+len(usageMarker)]) == string(usageMarker) {
				return j
			}
			i = j + 1
		}
	}
	if k := indexMarkerSWAR(b[i:]); k >= 0 {
		return i + k
	}
	return -1
}

// indexMarkerSWAR is indexMarker eight positions at a time, in plain Go:
// two to three times faster than bytes.Index here.
func indexMarkerSWAR(b []byte) int {
	const n = 9 // len(usageMarker)
	i := 0
	for ; i+16 <= len(b); i += 8 {
		// '{' is the rarer of the two: test it first.
		last := binary.LittleEndian.Uint64(b[i+n-1:]) ^ (swarOnes * '{')
		zl := ^(((last & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f) | last | 0x7f7f7f7f7f7f7f7f)
		if zl == 0 {
			continue
		}
		// Exact zero-byte masks (no borrow between bytes), then both at once.
		first := binary.LittleEndian.Uint64(b[i:]) ^ (swarOnes * '"')
		zf := ^(((first & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f) | first | 0x7f7f7f7f7f7f7f7f)
		for m := zf & zl; m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)>>3
			if string(b[j:j+n]) == string(usageMarker) {
				return j
			}
		}
	}
	if k := bytes.Index(b[i:], usageMarker); k >= 0 {
		return i + k
	}
	return -1
}

// sortJobs orders jobs largest first so parallel workers finish together.
func sortJobs(jobs []readJob, files []fileInfo) {
	sort.Slice(jobs, func(a, b int) bool {
		return files[jobs[a].idx].size-jobs[a].from > files[jobs[b].idx].size-jobs[b].from
	})
}
