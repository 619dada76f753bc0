//go:build linux

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/backup"
)

// The settings pane's import reads at most the size limit of the file the
// dialog returned, like the CLI: a never-ending pipe is refused, not read.
func TestImportBackupReadsAtMostTheLimit(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "endless.json")
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
	a := &App{}
	done := make(chan error, 1)
	go func() { _, err := a.importFile(context.Background(), fifo, ""); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, backup.ErrNotBackup) {
			t.Fatalf("got %v, want a too-large refusal", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the import kept reading past the size limit")
	}
}
