package tokens

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The reader gives the same result whatever its chunk size: the same
// entries at the same offsets, the end of the last complete line, the bytes
// present, and the hash of the 64 bytes before that end — taken from the
// buffer where it can, which must match hashing the file; from an offset,
// with the right and a wrong hash of what precedes it; for files ending
// with and without a newline, shorter than the hashed tail, and with lines
// longer than the chunk.
func TestReaderChunkSizes(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range 12 {
		m := msg{id: fmt.Sprintf("msg_%d", i), req: fmt.Sprintf("r%d", i), at: t0, in: int64(i), out: 2, text: strings.Repeat("é\\n", i*7)}
		lines = append(lines, m.line(), userLine(i*13), "{}")
	}
	whole := strings.Join(lines, "\n")
	bodies := map[string]string{
		"complete":   whole + "\n",
		"cut":        whole + "\n" + lines[0][:40],
		"short":      "{}\n{",
		"no-lines":   lines[0][:100],
		"empty":      "",
		"one-short":  "x\n",
		"short-last": lines[0] + "\n{}\n",
	}
	for name, body := range bodies {
		path := filepath.Join(dir, name+".jsonl")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		consumed := int64(strings.LastIndexByte(body, '\n') + 1)
		wantTail := tailHash([]byte(body[max(0, consumed-tailLen):consumed]))
		check := func(chunk int, job readJob, wantFrom int64) {
			t.Helper()
			defer func(old int) { readChunk = old }(readChunk)
			readChunk = chunk
			var r reader
			res, found := r.read(path, job)
			if res.err != nil || res.from != wantFrom || res.consumed != consumed || res.eof != int64(len(body)) || res.tail != wantTail {
				t.Fatalf("%s, chunk %d, %+v: got %+v; want from %d, consumed %d, eof %d, tail %x",
					name, chunk, job, res, wantFrom, consumed, len(body), wantTail)
			}
			var ref reader
			readChunk = 1 << 20
			_, all := ref.read(path, readJob{})
			skip := 0
			for skip < len(all) && all[skip].offset < wantFrom {
				skip++
			}
			if fmt.Sprint(found) != fmt.Sprint(all[skip:]) {
				t.Fatalf("%s, chunk %d, %+v: entries differ:\n%v\nwant\n%v", name, chunk, job, found, all[skip:])
			}
		}
		chunks := []int{1, 7, 63, 64, 65, 200, 1000, 1 << 20}
		// Chunks that end right after a line, or a byte into the next.
		for i, c := range body {
			if c == '\n' && len(chunks) < 30 {
				chunks = append(chunks, i+1, i+2)
			}
		}
		for _, chunk := range chunks {
			check(chunk, readJob{}, 0)
			// From the start of the fourth line, with its tail hash, and
			// with a wrong one (read again from 0).
			if n := strings.Count(body, "\n"); n >= 4 {
				off := int64(len(strings.Join(lines[:3], "\n")) + 1)
				tail := tailHash([]byte(body[max(0, off-tailLen):off]))
				check(chunk, readJob{from: off, wantTail: tail}, off)
				check(chunk, readJob{from: off, wantTail: tail + 1}, 0)
			}
		}
	}
}
