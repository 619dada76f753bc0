//go:build linux

package headless

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/hardening/internal/world"
)

// TestMigrateBothWays moves the saved logins from a real gnome-keyring to
// the file keyring and back, switching between them after each move.
func TestMigrateBothWays(t *testing.T) {
	slowUnderRace(t)
	m := newMachine(t, world.Options{})
	labels, creds := m.w.NewAccounts(2)
	ss := m.w.Keyring() // the gnome-keyring on the world's private bus
	fk := filekeyring.Open(filekeyring.Options{Dir: m.w.Home + "/.local/share/aimonitor/keyring",
		Passphrase: func(context.Context, bool) ([]byte, error) { return []byte(passphrase), nil }})
	m.extra = []string{"AIMONITOR_KEYRING_PASSPHRASE=" + passphrase}
	for i, c := range creds {
		m.w.Login(c)
		m.must("add", "--adopt-current", "--label", labels[i])
	}
	ctx := context.Background()
	count := func(kr keyring.Keyring) int {
		n := 0
		for _, c := range creds {
			if blob, err := kr.Get(ctx, keyring.StashService(c.Identity.AccountUUID), world.KeyringUser); err == nil {
				clear(blob)
				n++
			} else if !errors.Is(err, keyring.ErrNotFound) {
				t.Fatal(err)
			}
		}
		return n
	}
	switchAround := func() {
		t.Helper()
		for i := range labels {
			m.must("switch", labels[i])
			if got := m.email(); got != creds[i].Identity.Email {
				t.Fatalf("after switch %s Claude Code is logged in as %s", labels[i], got)
			}
		}
	}

	// Pointing keyring.backend elsewhere would strand the saved logins.
	m.fails([]string{"2 saved logins are kept in secret-service", "aimonitor keyring migrate --to file"}, "config", "set", "keyring.backend", "file")

	// The daemon running: migrate refuses and changes nothing.
	daemon, _ := m.start("daemon")
	waitUntil(t, time.Minute, "the daemon to take the poller lock", func() bool {
		return strings.Contains(m.run("doctor").stdout, "polls usage")
	})
	m.fails([]string{"the daemon or the widget is running", "stop it first"}, "keyring", "migrate", "--to", "file")
	_ = daemon.Process.Signal(syscall.SIGTERM)
	_ = daemon.Wait()

	out := m.must("keyring", "migrate", "--to", "file")
	if !strings.Contains(out, "Moved 2 saved logins from secret-service to file") {
		t.Fatalf("migrate said:\n%s", out)
	}
	if got := strings.TrimSpace(m.must("config", "get", "keyring.backend")); got != "file" {
		t.Fatalf("keyring.backend is %q", got)
	}
	if n, f := count(ss), count(fk); n != 0 || f != 2 {
		t.Fatalf("after migrating to file: %d logins left in gnome-keyring, %d in the file", n, f)
	}
	switchAround()

	out = m.must("keyring", "migrate", "--to", "secret-service")
	if !strings.Contains(out, "Moved 2 saved logins from file to secret-service") {
		t.Fatalf("migrate back said:\n%s", out)
	}
	if n, f := count(ss), count(fk); n != 2 || f != 0 {
		t.Fatalf("after migrating back: %d logins in gnome-keyring, %d left in the file", n, f)
	}
	m.extra = nil // the Secret Service needs no passphrase
	switchAround()
	m.fails([]string{"already kept in secret-service"}, "keyring", "migrate", "--to", "secret-service")
	m.checkNoLeaks()
}
