//go:build !unix

package tokens

import (
	"errors"
	"io"
	"os"
)

// transcriptFile reads a transcript (read_unix.go says why it is not an
// os.File there).
type transcriptFile struct{ f *os.File }

func openTranscript(path string) (transcriptFile, error) {
	f, err := os.Open(path)
	return transcriptFile{f: f}, err
}

// readAt reads up to len(b) bytes at off. Fewer (a short read) means the
// end of the file.
func (f transcriptFile) readAt(b []byte, off int64) (int, error) {
	n, err := f.f.ReadAt(b, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

func (f transcriptFile) close() { f.f.Close() }
