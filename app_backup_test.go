//go:build linux

package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/backup"
	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/service"
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

// A backup without logins proves nothing about who made it: the settings
// pane shows what it would change (start-at-login included) and applies it
// only when the user says yes.
func TestImportBackupAppliesOnlyWhenConfirmed(t *testing.T) {
	root := t.TempDir()
	env := []string{"HOME=" + root + "/home", "XDG_CONFIG_HOME=" + root + "/config", "XDG_DATA_HOME=" + root + "/data",
		"XDG_STATE_HOME=" + root + "/state", "XDG_RUNTIME_DIR=" + root + "/run", "DBUS_SESSION_BUS_ADDRESS=disabled:"}
	svc, err := service.New(service.Options{Environ: env, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	data, err := backup.Encode(&backup.Bundle{Format: backup.FormatName, Version: backup.FormatVersion, CreatedAt: time.Now().UTC().Truncate(time.Second),
		Settings: map[string]any{"autostart": true, "poll.interval_sec": float64(900)}, Accounts: []backup.Account{}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "plain.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(root, "config", "autostart", "aimonitor.desktop")

	var shown []string
	a := newApp(svc, cli.GUIOptions{})
	a.confirmImport = func(_ context.Context, p *backup.Preview) bool { shown = p.Lines(); return false }
	if _, err := a.importFile(context.Background(), file, ""); !errors.Is(err, errCancelled) {
		t.Fatalf("declined import: %v", err)
	}
	for _, want := range []string{"setting autostart: false → true", "setting poll.interval_sec: 600 → 900", "start-at-login entry"} {
		if !strings.Contains(strings.Join(shown, "\n"), want) {
			t.Fatalf("the question lacks %q: %q", want, shown)
		}
	}
	if _, err := os.Stat(entry); err == nil {
		t.Fatal("a declined import installed the start-at-login entry")
	}
	if _, err := os.Stat(svc.Paths.ConfigFile); err == nil {
		t.Fatal("a declined import wrote the config file")
	}

	a.confirmImport = func(context.Context, *backup.Preview) bool { return true }
	if _, err := a.importFile(context.Background(), file, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entry); err != nil {
		t.Fatalf("a confirmed import did not install the start-at-login entry: %v", err)
	}
}
