package claudecode

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
)

// swapOnNow is the real clock with a hook run on the n-th call of Now: the
// moment between judging a lock stale and breaking it.
type swapOnNow struct {
	clock.Real
	calls atomic.Int32
	n     int32
	hook  func()
}

func (c *swapOnNow) Now() time.Time {
	if c.calls.Add(1) == c.n {
		c.hook()
	}
	return time.Now()
}

// A stale lock that another process breaks and takes for itself between our
// look and our removal is a live lock: it must not be removed.
func TestBreakingAStaleLockRechecksItIsTheSameOne(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".claude.json.lock")
	if err := os.Mkdir(path, 0o700); err != nil { // as Claude Code makes it: no mark
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	var fresh os.FileInfo
	clk := &swapOnNow{n: 2, hook: func() {
		// Another Claude Code breaks the stale lock and takes it.
		if err := os.Remove(path); err != nil {
			t.Error(err)
		}
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Error(err)
		}
		fresh, _ = os.Lstat(path)
	}}
	h, err := acquire(context.Background(), dirLock{path: path, stale: configLockStale}, 300*time.Millisecond, clk, slog.New(slog.DiscardHandler))
	if err == nil {
		h.release()
		t.Fatal("took a lock another process held: its fresh directory was removed as the stale one")
	}
	var busy *LockBusyError
	if !errors.As(err, &busy) {
		t.Fatalf("err = %v, want the lock reported busy", err)
	}
	cur, err := os.Lstat(path)
	if err != nil || fresh == nil || !os.SameFile(cur, fresh) {
		t.Fatalf("the other holder's lock directory is gone or replaced (err %v)", err)
	}
}

// Claude Code takes its credential-storage lock with proper-lockfile on
// <config dir>/.storage-write with realpath false and no lockfilePath, so
// the directory it creates is <config dir>/.storage-write.lock (read in its
// bundled code: `lock(join(configDir, ".storage-write"), {realpath: false,
// stale: 15000, …})`). A write of the credential must wait while Claude
// Code holds that directory.
func TestCredentialWritesTakeClaudeCodesStorageLock(t *testing.T) {
	home := t.TempDir()
	s, err := New(Options{Env: Env{Home: home, GOOS: "linux"}, LockWait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".claude", ".storage-write.lock"), 0o700); err != nil { // Claude Code holds it
		t.Fatal(err)
	}
	err = s.UpdateCredentials(context.Background(), func([]byte) ([]byte, error) { return []byte(`{"claudeAiOauth":{}}`), nil })
	var busy *LockBusyError
	if !errors.As(err, &busy) || busy.Path != filepath.Join(home, ".claude", ".storage-write.lock") {
		t.Fatalf("err = %v, want a wait on Claude Code's .storage-write.lock", err)
	}
	if _, err := os.Stat(s.CredentialsPath()); !os.IsNotExist(err) {
		t.Fatal("the credential was written while Claude Code held its storage lock")
	}
}
