package tokens

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"io"
	"math/bits"
	"sort"
	"strings"

	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// DefaultRoots lists the transcript directories for an environment
// (warm.DefaultRoots: discovery is shared with the launcher's warm path).
func DefaultRoots(environ []string) []string { return warm.DefaultRoots(environ) }

// fileInfo is a transcript found on disk.
type fileInfo struct {
	path    string
	project string // the directory right under the root ("" for a file at the top)
	size    int64
	mtimeNS int64
	inode   uint64
}

// listFiles finds every *.jsonl under the roots (warm.List) and returns the
// listing with its files in the form a scan reads them.
func listFiles(roots []string) (*warm.Tree, []fileInfo, error) {
	t, err := warm.List(roots)
	if err != nil {
		return nil, nil, err
	}
	out := make([]fileInfo, len(t.Files))
	for i, f := range t.Files {
		out[i] = fileInfo{path: t.Path(i), project: t.Dirs[f.Dir].Project, size: f.Size, mtimeNS: f.MtimeNS, inode: f.Inode}
	}
	return t, out, nil
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
	entries []Entry       // one line's
	found   []fileEntry   // one file's, reused for the next file
	index   map[int64]int // keyEntries's, reused likewise
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
