package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/statusline"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
)

// The widget's own poller (no daemon running) keeps the status line's
// cache current as `aimonitor daemon` does: once it has written the status
// row, which leaves the entry the line kept unmatched, the launcher's fast
// path answers again.
func TestWidgetPollerKeepsTheStatusLineCacheCurrent(t *testing.T) {
	root := t.TempDir()
	env := []string{"HOME=" + root + "/home", "XDG_CONFIG_HOME=" + root + "/config", "XDG_DATA_HOME=" + root + "/data",
		"XDG_STATE_HOME=" + root + "/state", "XDG_RUNTIME_DIR=" + root + "/run", "DBUS_SESSION_BUS_ADDRESS=disabled:",
		// Nothing leaves the machine (the owner runs the release check).
		"AIMONITOR_API_BASE=http://127.0.0.1:9", "AIMONITOR_TOKEN_URL=http://127.0.0.1:9/token", "AIMONITOR_RELEASES_URL=http://127.0.0.1:9/releases"}
	svc, err := service.New(service.Options{Environ: env, Stderr: io.Discard, GOOS: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	db, err := svc.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(key string) (string, bool) {
		for i := len(env) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
				return v, true
			}
		}
		return "", false
	}
	// Claude Code ran a line: there is a cache to keep.
	first := statusline.Line(context.Background(), statusline.Options{Stdin: strings.NewReader(""), Environ: env, GOOS: "linux", Now: time.Now(), NoColor: true})
	if _, hit := line.FromCache(nil, lookup, "linux", time.Now(), strings.NewReader("")); !hit {
		t.Fatalf("the first line (%q) kept no cache", first)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	a := newApp(svc, cli.GUIOptions{})
	go func() { defer close(done); a.runPoller(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	published := func() bool {
		found := false
		db.Read(context.Background(), func(conn *sqlite.Conn) error {
			return sqlitex.Execute(conn, `SELECT 1 FROM settings WHERE key = ?`, &sqlitex.ExecOptions{
				Args: []any{daemon.StatusKey}, ResultFunc: func(*sqlite.Stmt) error { found = true; return nil }})
		})
		return found
	}
	deadline := time.Now().Add(time.Minute)
	for {
		// The status row is written before the cache is refreshed: a hit
		// seen after it was written can only be the poller's entry.
		if published() {
			got, hit := line.FromCache([]string{"--no-color"}, lookup, "linux", time.Now(), strings.NewReader(""))
			if hit {
				if got != first {
					t.Errorf("from the poller's entry %q, the line printed %q", got, first)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cache hit a minute after the widget's poller started (status row written: %v; poller error %q)", published(), pollerErr(a))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pollerErr(a *App) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pollerErr
}
