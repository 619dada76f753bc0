//go:build unix

package tokens

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// transcriptFile reads a transcript through its file descriptor. os.Open
// costs five system calls more per regular file on Linux (it makes the file
// non-blocking, fails to add it to the poller and makes it blocking again),
// and os.File's Read needs a seek first; on a tree of 1000 small
// transcripts that was more system calls than the reading itself.
type transcriptFile struct{ fd int }

func openTranscript(path string) (transcriptFile, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return transcriptFile{}, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return transcriptFile{fd: fd}, nil
	}
}

// readAt reads up to len(b) bytes at off. Fewer (a short read) means the
// end of the file.
func (f transcriptFile) readAt(b []byte, off int64) (int, error) {
	for {
		n, err := unix.Pread(f.fd, b, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: "", Err: err}
		}
		return n, nil
	}
}

func (f transcriptFile) close() { unix.Close(f.fd) }
