package service

import (
	"path/filepath"
	"testing"
)

// The saved logins live in the keyring, not in the data directory: two
// processes with different data directories that share the keyring (the
// same session, so the same XDG_RUNTIME_DIR, where its bus lives) must take
// the same account lock. Without a runtime directory the data directory
// separates them, and that is what the docs say.
func TestProcessesSharingTheKeyringShareTheAccountLock(t *testing.T) {
	home, run := t.TempDir(), t.TempDir()
	svc := func(extra ...string) *Service {
		s, err := New(Options{Environ: append([]string{"HOME=" + home}, extra...), GOOS: "linux"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a := svc("XDG_RUNTIME_DIR="+run, "AIMONITOR_DATA_DIR="+t.TempDir())
	b := svc("XDG_RUNTIME_DIR="+run, "XDG_DATA_HOME="+t.TempDir())
	if a.accountsLockFile() != b.accountsLockFile() {
		t.Fatalf("processes sharing the keyring lock apart: %s vs %s", a.accountsLockFile(), b.accountsLockFile())
	}
	if want := filepath.Join(run, "aimonitor", "accounts.lock"); a.accountsLockFile() != want {
		t.Fatalf("lock %s, want %s", a.accountsLockFile(), want)
	}
	c := svc("AIMONITOR_DATA_DIR=" + t.TempDir())
	if want := filepath.Join(c.Paths.DataDir, "accounts.lock"); c.accountsLockFile() != want {
		t.Fatalf("without a runtime directory the lock is %s, want %s", c.accountsLockFile(), want)
	}
}
