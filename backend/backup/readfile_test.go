//go:build unix

package backup

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// ReadFile stops after MaxFileSize+1 bytes whatever it is given: here a
// pipe that never ends (a wrong pick in the file dialog), which a plain
// read-everything would wait on for ever.
func TestReadFileStopsAtTheLimit(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "endless")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		chunk := make([]byte, 64<<10)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() { _, err := ReadFile(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotBackup) {
			t.Fatalf("got %v, want a too-large refusal", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ReadFile kept reading past the limit")
	}
}

func TestReadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.json")
	if err := os.WriteFile(p, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFile(p); err != nil || string(data) != `{}` {
		t.Fatalf("%q %v", data, err)
	}
	if _, err := ReadFile(p + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
