//go:build unix

package doctor_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/doctor"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/internal/claudetest"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// world is a sandboxed installation: private HOME and XDG dirs, a real
// gnome-keyring on a private bus, the simulator on loopback, and two
// accounts saved the way a user saves them.
type world struct {
	t       *testing.T
	env     []string
	bus     *testbus.Bus
	sim     *sim.Server
	home    string
	paths   paths.Paths
	refs    map[string]string // label → keyring item
	unsaved sim.Credentials
}

func newWorld(t *testing.T) *world {
	t.Helper()
	root := t.TempDir()
	w := &world{t: t, bus: testbus.NewKeyring(t), sim: sim.New(clock.Real{}), home: filepath.Join(root, "home"), refs: map[string]string{}}
	srv := httptest.NewServer(w.sim)
	t.Cleanup(func() { w.sim.Close(); srv.Close() })
	// The real Claude Code on the PATH, as on a user's machine (doctor
	// names its version).
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(claudetest.Bin(t), filepath.Join(bin, "claude")); err != nil {
		t.Fatal(err)
	}
	w.env = append([]string{
		"PATH=" + bin, "HOME=" + w.home, "USER=tester",
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_DATA_HOME=" + filepath.Join(root, "data"),
		"XDG_STATE_HOME=" + filepath.Join(root, "state"),
		"AIMONITOR_API_BASE=" + srv.URL, "AIMONITOR_TOKEN_URL=" + srv.URL + sim.TokenPath,
	}, w.bus.Vars()...)
	svc := w.service()
	defer svc.Close()
	w.paths = svc.Paths
	ctx := context.Background()
	m, err := svc.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := svc.Keyring()
	slot, err := svc.ClaudeCode(kr)
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"home", "work"} {
		c, err := w.sim.AddAccount(sim.AccountSpec{Email: label + "@example.com", OrganizationName: label + " org"})
		if err != nil {
			t.Fatal(err)
		}
		if err := paths.WriteFileAtomic(slot.CredentialsPath(), c.ClaudeCodeJSON()); err != nil {
			t.Fatal(err)
		}
		if _, err := slot.SetIdentityRaw(ctx, c.OAuthAccountJSON()); err != nil {
			t.Fatal(err)
		}
		a, err := m.AdoptCurrent(ctx, label)
		if err != nil {
			t.Fatal(err)
		}
		w.refs[label] = a.KeyringRef
	}
	if w.unsaved, err = w.sim.AddAccount(sim.AccountSpec{Email: "stranger@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetConfig("widget.theme", "dark"); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) service() *service.Service {
	w.t.Helper()
	svc, err := service.New(service.Options{Environ: w.env, Stderr: io.Discard})
	if err != nil {
		w.t.Fatal(err)
	}
	return svc
}

func (w *world) keyring() keyring.Keyring {
	kr, err := keyring.Open(keyring.Options{BusAddress: w.bus.Address})
	if err != nil {
		w.t.Fatal(err)
	}
	return kr
}

func (w *world) doctor(extraEnv ...string) *doctor.Report {
	w.t.Helper()
	return doctor.Run(context.Background(), doctor.Options{Environ: append(append([]string{}, w.env...), extraEnv...)})
}

// expect finds a check of area with status whose detail and fix contain
// the given words.
func expect(t *testing.T, r *doctor.Report, area string, status doctor.Status, words ...string) {
	t.Helper()
	for _, c := range r.Of(area) {
		text := c.Detail + " | " + c.Fix
		ok := c.Status == status
		for _, w := range words {
			ok = ok && strings.Contains(text, w)
		}
		if ok {
			return
		}
	}
	t.Fatalf("no %s %s check mentioning %q in:\n%s", status, area, words, dump(r))
}

func dump(r *doctor.Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString(string(c.Status) + " " + c.Area + ": " + c.Detail)
		if c.Fix != "" {
			b.WriteString(" | fix: " + c.Fix)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func snapshot(t *testing.T, files ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			out[f] = "absent"
			continue
		}
		data, _ := os.ReadFile(f)
		out[f] = fi.Mode().String() + " " + string(data)
	}
	return out
}

// One installation, broken one way at a time (and mended), then the
// keyring locked last, since a locked test keyring cannot be unlocked.
func TestDoctor(t *testing.T) {
	w := newWorld(t)
	db := w.paths.DBFile
	cfg := w.paths.ConfigFile

	t.Run("healthy", func(t *testing.T) {
		r := w.doctor()
		if r.Failed() {
			t.Fatalf("failures on a healthy setup:\n%s", dump(r))
		}
		expect(t, r, doctor.AreaConfig, doctor.OK, "1 settings from the file")
		expect(t, r, doctor.AreaConfig, doctor.OK, "config file", "0600")
		expect(t, r, doctor.AreaDatabase, doctor.OK, "schema is current", "2 saved accounts")
		expect(t, r, doctor.AreaDatabase, doctor.OK, "private (mode 0600)")
		expect(t, r, doctor.AreaKeyring, doctor.OK, "reachable and unlocked")
		expect(t, r, doctor.AreaKeyring, doctor.OK, "all 2 saved logins")
		expect(t, r, doctor.AreaClaudeCode, doctor.OK, "work@example.com", `saved account "work"`)
		expect(t, r, doctor.AreaPoller, doctor.OK, "nobody polls")
		expect(t, r, doctor.AreaNetwork, doctor.Warn, "AIMONITOR_API_BASE", "http://127.0.0.1:", "plain HTTP", "unset")
		expect(t, r, doctor.AreaAutostart, doctor.OK, "does not start at login")
		if w := r.Count(doctor.Warn); w != 2 {
			t.Fatalf("%d warnings, want the 2 endpoint overrides:\n%s", w, dump(r))
		}
		// The keyring probe leaves nothing behind.
		if _, err := w.keyring().Get(context.Background(), "aimonitor-doctor-probe", "tester"); err == nil {
			t.Fatal("the probe item is still in the keyring")
		}
	})

	t.Run("database readable by others", func(t *testing.T) {
		if err := os.Chmod(db, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(db, 0o600)
		before := snapshot(t, db)
		r := w.doctor()
		expect(t, r, doctor.AreaDatabase, doctor.Fail, "aimonitor.db (mode 0644)", "chmod 600 "+db)
		// Doctor only looks: the mode and the content are as they were.
		if after := snapshot(t, db); after[db] != before[db] {
			t.Fatal("doctor changed the database")
		}
		for _, f := range []string{db + "-wal", db + "-shm"} {
			if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
				t.Fatalf("doctor left %s with mode %04o", f, fi.Mode().Perm())
			}
		}
	})

	t.Run("config readable by others", func(t *testing.T) {
		if err := os.Chmod(cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(cfg, 0o600)
		expect(t, w.doctor(), doctor.AreaConfig, doctor.Fail, "mode 0644", "chmod 600 "+cfg)
		dir := filepath.Dir(cfg)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		expect(t, w.doctor(), doctor.AreaConfig, doctor.Fail, "config directory", "chmod 700 "+dir)
	})

	t.Run("config does not parse", func(t *testing.T) {
		orig, _ := os.ReadFile(cfg)
		defer os.WriteFile(cfg, orig, 0o600)
		if err := os.WriteFile(cfg, []byte("poll:\n  interval_sec: 5\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := w.doctor()
		// The bad value, where it comes from and the exact fix.
		expect(t, r, doctor.AreaConfig, doctor.Fail, "poll.interval_sec = 5 (from the file "+cfg+")", "aimonitor config set poll.interval_sec 600")
		// The rest is still checked.
		expect(t, r, doctor.AreaKeyring, doctor.OK, "all 2 saved logins")
		expect(t, r, doctor.AreaAutostart, doctor.Warn, "not checked")
		expect(t, r, doctor.AreaNetwork, doctor.Warn, "AIMONITOR_API_BASE")
	})

	t.Run("missing stash", func(t *testing.T) {
		kr := w.keyring()
		ctx := context.Background()
		saved, err := kr.Get(ctx, w.refs["home"], "tester")
		if err != nil {
			t.Fatal(err)
		}
		if err := kr.Delete(ctx, w.refs["home"], "tester"); err != nil {
			t.Fatal(err)
		}
		defer kr.Set(ctx, w.refs["home"], "tester", "restored", saved)
		r := w.doctor()
		expect(t, r, doctor.AreaKeyring, doctor.Fail, `"home" (home@example.com) is missing`, "aimonitor relogin home")
		if len(r.Of(doctor.AreaKeyring)) != 3 { // the backend, reachable, the missing one
			t.Fatalf("keyring lines:\n%s", dump(r))
		}
	})

	t.Run("login that needs renewing", func(t *testing.T) {
		svc := w.service()
		defer svc.Close()
		ctx := context.Background()
		m, err := svc.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		home, err := m.ByLabel(ctx, "home")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.SetNeedsRelogin(ctx, home.ID, "the login expired or was revoked"); err != nil {
			t.Fatal(err)
		}
		defer m.ClearNeedsRelogin(ctx, home.ID)
		expect(t, w.doctor(), doctor.AreaKeyring, doctor.Warn, `"home"`, "no longer works", "aimonitor relogin home")
	})

	t.Run("unsaved live login", func(t *testing.T) {
		svc := w.service()
		defer svc.Close()
		kr, _ := svc.Keyring()
		slot, _ := svc.ClaudeCode(kr)
		creds, _ := os.ReadFile(slot.CredentialsPath())
		conf, _ := os.ReadFile(slot.ConfigPath())
		defer func() {
			os.WriteFile(slot.CredentialsPath(), creds, 0o600)
			os.WriteFile(slot.ConfigPath(), conf, 0o600)
		}()
		if err := paths.WriteFileAtomic(slot.CredentialsPath(), w.unsaved.ClaudeCodeJSON()); err != nil {
			t.Fatal(err)
		}
		if _, err := slot.SetIdentityRaw(context.Background(), w.unsaved.OAuthAccountJSON()); err != nil {
			t.Fatal(err)
		}
		expect(t, w.doctor(), doctor.AreaClaudeCode, doctor.Warn, "stranger@example.com", "has not saved", "add --adopt-current")
		os.Remove(slot.CredentialsPath())
		expect(t, w.doctor(), doctor.AreaClaudeCode, doctor.Warn, "not logged in", "aimonitor switch home")
	})

	t.Run("refused override", func(t *testing.T) {
		r := w.doctor("AIMONITOR_RELEASES_URL=https://evil.example/releases?token=x")
		expect(t, r, doctor.AreaNetwork, doctor.Fail, "AIMONITOR_RELEASES_URL", "https://evil.example", "unset AIMONITOR_RELEASES_URL")
		if strings.Contains(dump(r), "token=x") {
			t.Fatal("the override's query reached the report")
		}
	})

	t.Run("override naming another setting's host", func(t *testing.T) {
		r := w.doctor("AIMONITOR_TOKEN_URL=https://api.github.com/x")
		expect(t, r, doctor.AreaNetwork, doctor.Fail, "AIMONITOR_TOKEN_URL", "https://api.github.com", "platform.claude.com", "unset AIMONITOR_TOKEN_URL")
		r = w.doctor("AIMONITOR_TOKEN_URL=https://platform.claude.com/v1/oauth/token")
		expect(t, r, doctor.AreaNetwork, doctor.OK, "AIMONITOR_TOKEN_URL", "platform.claude.com")
	})

	t.Run("autostart out of step", func(t *testing.T) {
		orig, _ := os.ReadFile(cfg)
		defer os.WriteFile(cfg, orig, 0o600)
		if err := os.WriteFile(cfg, append(orig, []byte("autostart: true\n")...), 0o600); err != nil {
			t.Fatal(err)
		}
		expect(t, w.doctor(), doctor.AreaAutostart, doctor.Warn, "no entry", "config set autostart true")
	})

	t.Run("poller", func(t *testing.T) {
		lock := flock.New(filepath.Join(w.paths.DataDir, daemon.LockName))
		if ok, err := lock.TryLock(); !ok || err != nil {
			t.Fatalf("lock: %v", err)
		}
		defer lock.Unlock()
		expect(t, w.doctor(), doctor.AreaPoller, doctor.OK, "has not published a status")
		svc := w.service()
		st, err := svc.Store(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pub := daemon.NewPublisher(st, clock.NewFake(time.Now()), daemon.DefaultHeartbeat)
		if _, _, err := pub.Publish(context.Background(), daemon.Document{Owner: daemon.Owner{PID: 4242, Mode: daemon.ModeDaemon}}); err != nil {
			t.Fatal(err)
		}
		svc.Close()
		expect(t, w.doctor(), doctor.AreaPoller, doctor.OK, "daemon (pid 4242) polls usage")
		lock.Unlock()
		expect(t, w.doctor(), doctor.AreaPoller, doctor.OK, "nobody polls usage now (the daemon, pid 4242")
	})

	t.Run("keyring locked", func(t *testing.T) {
		w.bus.Lock(t)
		r := w.doctor()
		expect(t, r, doctor.AreaKeyring, doctor.Fail, "locked", "unlock")
		expect(t, r, doctor.AreaKeyring, doctor.Warn, "2 saved logins were not checked")
		if !r.Failed() {
			t.Fatal("a locked keyring is not a failure")
		}
	})
}

func TestDoctorWithoutKeyringOrData(t *testing.T) {
	root := t.TempDir()
	env := append([]string{"HOME=" + filepath.Join(root, "home"), "USER=tester",
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"), "XDG_DATA_HOME=" + filepath.Join(root, "data"),
		"XDG_STATE_HOME=" + filepath.Join(root, "state")}, testbus.New(t).Vars()...)
	r := doctor.Run(context.Background(), doctor.Options{Environ: env})
	expect(t, r, doctor.AreaKeyring, doctor.Fail, "no keyring can be reached", "gnome-keyring")
	expect(t, r, doctor.AreaDatabase, doctor.OK, "no database yet")
	expect(t, r, doctor.AreaClaudeCode, doctor.Warn, "not logged in")
	expect(t, r, doctor.AreaConfig, doctor.OK, "defaults are in use")
	// Nothing was created by looking.
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("doctor created %v", names)
	}
}

func TestDoctorFileKeyring(t *testing.T) {
	root := t.TempDir()
	env := []string{"HOME=" + filepath.Join(root, "home"), "USER=tester",
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"), "XDG_DATA_HOME=" + filepath.Join(root, "data"),
		"XDG_STATE_HOME=" + filepath.Join(root, "state"), "AIMONITOR_KEYRING_BACKEND=file",
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(root, "no-bus")}
	run := func(extra ...string) *doctor.Report {
		return doctor.Run(context.Background(), doctor.Options{Environ: append(append([]string(nil), env...), extra...)})
	}
	r := run()
	expect(t, r, doctor.AreaKeyring, doctor.OK, "an encrypted file (file)")
	expect(t, r, doctor.AreaKeyring, doctor.Warn, "no file keyring yet", "add --adopt-current")
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Fatalf("doctor created %v", entries)
	}

	dir := filepath.Join(root, "data", "aimonitor", "keyring")
	const pass = "correct horse battery"
	fk := filekeyring.Open(filekeyring.Options{Dir: dir, Passphrase: func(context.Context, bool) ([]byte, error) { return []byte(pass), nil }})
	if err := fk.Set(context.Background(), "aimonitor-x", "tester", "", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(fk.Path())

	r = run()
	expect(t, r, doctor.AreaKeyring, doctor.Warn, "file keyring is locked", "aimonitor keyring unlock", "AIMONITOR_KEYRING_PASSPHRASE_FILE")
	expect(t, r, doctor.AreaKeyring, doctor.OK, "the file keyring", "is private (mode 0600)")

	r = run("AIMONITOR_KEYRING_PASSPHRASE=" + pass)
	expect(t, r, doctor.AreaKeyring, doctor.OK, "opens with the passphrase from the variable AIMONITOR_KEYRING_PASSPHRASE", "1 saved logins")

	passFile := filepath.Join(root, "pass")
	os.WriteFile(passFile, []byte("wrong horse battery\n"), 0o600)
	r = run("AIMONITOR_KEYRING_PASSPHRASE_FILE=" + passFile)
	expect(t, r, doctor.AreaKeyring, doctor.Fail, "does not open with the passphrase from the file "+passFile, "is wrong", "put the right passphrase")

	os.WriteFile(fk.Path(), before[:len(before)-40], 0o600)
	r = run("AIMONITOR_KEYRING_PASSPHRASE=" + pass)
	expect(t, r, doctor.AreaKeyring, doctor.Fail, "is damaged or was altered", "restore")
	os.WriteFile(fk.Path(), bytes.Replace(before, []byte(`"version": 1`), []byte(`"version": 7`), 1), 0o600)
	r = run("AIMONITOR_KEYRING_PASSPHRASE=" + pass)
	expect(t, r, doctor.AreaKeyring, doctor.Fail, "written by a newer aimonitor", "update aimonitor")
}
