//go:build unix

package cli

import (
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/keyring"
)

func TestUninstallCommand(t *testing.T) {
	s := sim.New(clock.Real{})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	work, err := s.AddAccount(sim.AccountSpec{Email: "alice@work.example"})
	if err != nil {
		t.Fatal(err)
	}
	m := newMachine(t, srv.URL)
	m.adopt(work, "work")
	m.mustRun(m.env, "config", "set", "autostart", "true")
	dataDir := filepath.Join(m.get("XDG_DATA_HOME"), "aimonitor")
	entry := filepath.Join(m.get("XDG_CONFIG_HOME"), "autostart", "aimonitor.desktop")
	creds := filepath.Join(m.home(), ".claude", ".credentials.json")
	identity := filepath.Join(m.home(), ".claude.json")
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	claudeBefore := read(creds) + read(identity)
	if !strings.Contains(claudeBefore, work.RefreshToken) {
		t.Fatal("Claude Code is not logged in")
	}

	// Without a terminal and without --yes: the loud warning, then nothing.
	r := run(t, m.env, "uninstall", "--purge")
	if r.code != 1 || !strings.Contains(r.stdout, "THE SAVED LOGIN OF 1 ACCOUNT WILL BE DELETED") ||
		!strings.Contains(r.stdout, "must be added again") && !strings.Contains(r.stdout, "add it to aimonitor again") ||
		!strings.Contains(r.stderr, "nothing was removed") {
		t.Fatalf("unconfirmed purge: %+v", r)
	}
	if _, err := os.Stat(dataDir); err != nil {
		t.Fatal("data removed without confirmation")
	}
	if _, err := m.stash(work.Identity.AccountUUID); err != nil {
		t.Fatalf("stash gone without confirmation: %v", err)
	}

	r = m.mustRun(m.env, "uninstall", "--purge", "--yes")
	if !strings.Contains(r.stdout, `deleted the saved login of "work" from the keyring`) {
		t.Fatalf("purge said %s", r.stdout)
	}
	for _, p := range []string{dataDir, filepath.Dir(configPath(m.env)), entry} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s survived the uninstall", p)
		}
	}
	if _, err := m.stash(work.Identity.AccountUUID); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("stash after --purge: %v", err)
	}
	if read(creds)+read(identity) != claudeBefore {
		t.Fatal("the uninstall changed Claude Code's login")
	}
}
