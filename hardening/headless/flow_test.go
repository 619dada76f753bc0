//go:build linux

package headless

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/hardening/internal/world"
)

// TestHeadlessFlow is the whole server story, once per passphrase source:
// the file keyring chosen with config set, an adopted login, a captured
// second one, a switch Claude Code agrees with, the daemon swapping over
// the threshold, list — and no token byte anywhere it should not be.
func TestHeadlessFlow(t *testing.T) {
	for _, source := range []string{"environment", "file", "unlock"} {
		t.Run(source, func(t *testing.T) { flow(t, source) })
	}
}

func flow(t *testing.T, source string) {
	if source != "unlock" {
		slowUnderRace(t)
	}
	m := newMachine(t, world.Options{Headless: true, FilePassphrase: passphrase})
	labels, creds := m.w.NewAccounts(2)

	m.must("config", "set", "keyring.backend", "file")
	switch source {
	case "environment":
		m.extra = []string{"AIMONITOR_KEYRING_PASSPHRASE=" + passphrase}
	case "file":
		f := filepath.Join(t.TempDir(), "keyring-pass")
		if err := os.WriteFile(f, []byte(passphrase+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		m.extra = []string{"AIMONITOR_KEYRING_PASSPHRASE_FILE=" + f}
	case "unlock":
		// Asked once, without echo, on a terminal; it makes the store.
		out, _ := m.runOnTerminal([][2]string{
			{"Choose a passphrase", passphrase},
			{"The same passphrase again", passphrase},
		}, "keyring", "unlock")
		if !strings.Contains(out, "Made a new file keyring") || !strings.Contains(out, "Unlocked until") {
			t.Fatalf("keyring unlock said:\n%s", out)
		}
		t.Cleanup(func() { m.run("keyring", "lock") })
		if st := m.must("keyring", "status", "--json"); !strings.Contains(st, `"unlocked": true`) {
			t.Fatalf("not unlocked after keyring unlock:\n%s", st)
		}
	}

	// Adopt the current login, then capture a second one.
	m.w.Login(creds[0])
	m.must("add", "--adopt-current", "--label", labels[0])
	capture, capErr := m.start("add", "--label", labels[1], "--timeout", "2m")
	waitUntil(t, 2*time.Minute, "the capture to wait for /login", func() bool { return strings.Contains(capErr.String(), "Waiting until") })
	m.w.Login(creds[1])
	if err := capture.Wait(); err != nil {
		t.Fatalf("capture: %v\n%s", err, capErr.String())
	}
	m.w.Record([]string{"add", "--label", labels[1]}, "", capErr.String())
	if got := m.email(); got != creds[0].Identity.Email {
		t.Fatalf("after the capture Claude Code is logged in as %s, want %s back", got, creds[0].Identity.Email)
	}

	// Switch: the real Claude Code agrees.
	m.must("switch", labels[1])
	if got := m.email(); got != creds[1].Identity.Email {
		t.Fatalf("after switch Claude Code is logged in as %s", got)
	}

	// The daemon swaps away from the account over the threshold.
	resets := time.Now().Add(3 * time.Hour)
	if err := m.w.Sim.SetUsage(creds[1].Identity.AccountUUID, "five_hour", 97, &resets); err != nil {
		t.Fatal(err)
	}
	daemon, daemonErr := m.start("daemon")
	waitUntil(t, 2*time.Minute, "the daemon's automatic swap", func() bool { return m.email() == creds[0].Identity.Email })
	_ = daemon.Process.Signal(syscall.SIGTERM)
	if err := daemon.Wait(); err != nil {
		t.Fatalf("the daemon did not stop cleanly: %v\n%s", err, daemonErr.String())
	}
	m.w.Record([]string{"daemon"}, "", daemonErr.String())
	for _, line := range strings.Split(daemonErr.String(), "\n") {
		if strings.Contains(line, "notif") && (strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR")) {
			t.Fatalf("no notification service should be quiet, but the daemon said:\n%s", line)
		}
	}
	if log := m.must("log", "--json"); !strings.Contains(log, `"auto"`) {
		t.Fatalf("the switch audit has no automatic swap:\n%s", log)
	}

	var list cli.ListOutput
	if err := json.Unmarshal([]byte(m.must("list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 2 || list.ClaudeCode.Email != creds[0].Identity.Email || !list.ClaudeCode.Saved {
		t.Fatalf("list: %+v", list)
	}
	m.must("usage", "--json")
	m.must("tokens", "--json")
	if line := m.must("statusline"); !strings.Contains(line, labels[0]) {
		t.Fatalf("statusline: %q", line)
	}

	store := filepath.Join(m.w.Home, ".local", "share", "aimonitor", "keyring", "logins.json")
	if fi, err := os.Stat(store); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the store file: %v %v", fi, err)
	}
	m.checkNoLeaks(daemonErr.String(), capErr.String())
}
