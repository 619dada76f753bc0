package doctor_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/doctor"
	"github.com/aimonitor/aimonitor/internal/claudetest"
)

// doctor names the installed Claude Code's version, and warns when it is
// newer than the newest one aimonitor was verified with.
func TestDoctorNamesClaudeCodesVersion(t *testing.T) {
	real := claudetest.Bin(t)
	w := newWorld(t)

	dir := t.TempDir()
	if err := os.Symlink(real, filepath.Join(dir, "claude")); err != nil {
		t.Fatal(err)
	}
	expect(t, w.doctor("PATH="+dir), doctor.AreaClaudeCode, doctor.OK, "Claude Code "+claudecode.TestPinned, "verified from "+claudecode.OldestSupported+" to "+claudecode.NewestVerified)

	future := t.TempDir()
	script := "#!/bin/sh\necho '99.0.1 (Claude Code)'\n"
	if err := os.WriteFile(filepath.Join(future, "claude"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	expect(t, w.doctor("PATH="+future+":/usr/bin:/bin"), doctor.AreaClaudeCode, doctor.Warn,
		"Claude Code 99.0.1", "newer than the newest version aimonitor was verified with ("+claudecode.NewestVerified+")", "@anthropic-ai/claude-code@"+claudecode.NewestVerified)

	// One release before the oldest supported: a warning that says to update.
	old := t.TempDir()
	script = "#!/bin/sh\necho '2.1.133 (Claude Code)'\n"
	if err := os.WriteFile(filepath.Join(old, "claude"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	expect(t, w.doctor("PATH="+old+":/usr/bin:/bin"), doctor.AreaClaudeCode, doctor.Warn,
		"Claude Code 2.1.133", "older than the oldest version aimonitor supports ("+claudecode.OldestSupported+")", "claude update")

	expect(t, w.doctor("PATH="+t.TempDir()), doctor.AreaClaudeCode, doctor.Warn, "no `claude` on the PATH")
}

// Claude Code, run for its version, gets its own command line and a bare
// environment: no passphrase, no aimonitor setting.
func TestClaudeCodeRunsWithoutOurSecrets(t *testing.T) {
	w := newWorld(t)
	bin, out := t.TempDir(), t.TempDir()
	script := "#!/bin/sh\n/usr/bin/env > " + filepath.Join(out, "env") + "\necho \"$@\" > " + filepath.Join(out, "args") + "\necho '" + claudecode.TestPinned + " (Claude Code)'\n"
	if err := os.WriteFile(filepath.Join(bin, "claude"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	w.doctor("PATH="+bin, "AIMONITOR_KEYRING_PASSPHRASE=keyring-passphrase-canary", "AIMONITOR_PASSPHRASE=backup-passphrase-canary")
	env, err := os.ReadFile(filepath.Join(out, "env"))
	if err != nil {
		t.Fatalf("doctor did not run claude: %v", err)
	}
	if bytes.Contains(env, []byte("canary")) || bytes.Contains(env, []byte("AIMONITOR_")) {
		t.Fatalf("claude got aimonitor's environment:\n%s", env)
	}
	if args, _ := os.ReadFile(filepath.Join(out, "args")); string(args) != "--version\n" {
		t.Fatalf("claude was run with %q", args)
	}
}
