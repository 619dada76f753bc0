//go:build unix

package uninstall_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gofrs/flock"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/statusline"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
	"github.com/aimonitor/aimonitor/backend/tokens/warm"
	"github.com/aimonitor/aimonitor/backend/uninstall"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// world is an installation with two saved accounts, file logging, the
// start-at-login entry, and Claude Code logged in, with the files Claude
// Code owns.
type world struct {
	t     *testing.T
	root  string
	home  string
	env   []string
	bus   *testbus.Bus
	refs  []string
	paths paths.Paths
	// claude is every file of Claude Code's, with its content.
	claude map[string]string
}

func newWorld(t *testing.T, bus *testbus.Bus, extraEnv ...string) *world {
	t.Helper()
	root := t.TempDir()
	w := &world{t: t, root: root, home: filepath.Join(root, "home"), bus: bus}
	s := sim.New(clock.Real{})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	w.env = append(append([]string{
		"HOME=" + w.home, "USER=tester",
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_DATA_HOME=" + filepath.Join(root, "data"),
		"XDG_STATE_HOME=" + filepath.Join(root, "state"),
		"AIMONITOR_API_BASE=" + srv.URL, "AIMONITOR_TOKEN_URL=" + srv.URL + sim.TokenPath,
		"AIMONITOR_LOG_FILE=true",
	}, bus.Vars()...), extraEnv...)
	for _, kv := range extraEnv {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			w.home = v
		}
	}
	svc := w.service()
	defer svc.Close()
	w.paths = svc.Paths
	ctx := context.Background()
	m, err := svc.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := svc.Keyring()
	slot, _ := svc.ClaudeCode(kr)
	for _, label := range []string{"home", "work"} {
		c, err := s.AddAccount(sim.AccountSpec{Email: label + "@example.com"})
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
		w.refs = append(w.refs, a.KeyringRef)
	}
	if _, err := svc.SetConfig("autostart", "true"); err != nil {
		t.Fatal(err)
	}
	svc.Log.Info("a line for the log file")
	// Claude Code's own files, including ones aimonitor never writes.
	for name, content := range map[string]string{
		".claude/settings.json":               `{"theme":"dark"}`,
		".claude/projects/-src/session.jsonl": `{"type":"user"}` + "\n",
		".claude/.oauth_refresh.lock/.keep":   "",
	} {
		p := filepath.Join(w.home, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w.claude = w.claudeFiles()
	if len(w.claude) < 5 {
		t.Fatalf("Claude Code's files: %v", w.claude)
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

func (w *world) claudeFiles() map[string]string {
	out := map[string]string{}
	for _, root := range []string{filepath.Join(w.home, ".claude"), filepath.Join(w.home, ".claude.json")} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				out[p] = string(b)
			}
			return nil
		})
	}
	return out
}

func (w *world) stashesLeft() int {
	kr, err := keyring.Open(keyring.Options{BusAddress: w.bus.Address})
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, ref := range w.refs {
		if b, err := kr.Get(context.Background(), ref, "tester"); err == nil {
			clear(b)
			n++
		} else if !errors.Is(err, keyring.ErrNotFound) {
			w.t.Fatal(err)
		}
	}
	return n
}

func (w *world) uninstall(purge bool) (*uninstall.Plan, *uninstall.Result) {
	w.t.Helper()
	svc := w.service()
	defer svc.Close()
	plan, err := uninstall.NewPlan(context.Background(), svc, purge)
	if err != nil {
		w.t.Fatal(err)
	}
	res, err := plan.Run(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return plan, res
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

func (w *world) assertAppDataGone() {
	w.t.Helper()
	for _, p := range []string{w.paths.DataDir, filepath.Dir(w.paths.ConfigFile), w.paths.LogDir,
		filepath.Join(w.root, "config", "autostart", "aimonitor.desktop")} {
		if exists(p) {
			w.t.Errorf("%s is still there", p)
		}
	}
	if got := w.claudeFiles(); len(got) != len(w.claude) {
		w.t.Fatalf("Claude Code's files changed: %d, had %d", len(got), len(w.claude))
	} else {
		for p, c := range w.claude {
			if got[p] != c {
				w.t.Fatalf("Claude Code's %s changed", p)
			}
		}
	}
}

func TestUninstallKeepsLoginsWithoutPurge(t *testing.T) {
	w := newWorld(t, testbus.NewKeyring(t))
	if !exists(w.paths.LogFile) || !exists(filepath.Join(w.root, "config", "autostart", "aimonitor.desktop")) {
		t.Fatal("the world lacks a log file or an autostart entry")
	}
	plan, res := w.uninstall(false)
	if len(plan.Paths) != 3 || plan.Autostart == "" || len(plan.Logins) != 2 {
		t.Fatalf("plan %+v", plan)
	}
	w.assertAppDataGone()
	if n := w.stashesLeft(); n != 2 {
		t.Fatalf("%d stashes left, want both", n)
	}
	if len(res.LeftInKeyring) != 2 || len(res.Purged) != 0 || len(res.Removed) != 3 {
		t.Fatalf("result %+v", res)
	}
}

func TestUninstallPurge(t *testing.T) {
	w := newWorld(t, testbus.NewKeyring(t))
	_, res := w.uninstall(true)
	w.assertAppDataGone()
	if n := w.stashesLeft(); n != 0 {
		t.Fatalf("%d stashes left after --purge", n)
	}
	if strings.Join(res.Purged, ",") != "home,work" {
		t.Fatalf("purged %v", res.Purged)
	}
}

// A locked keyring stops a purge before anything is removed.
func TestUninstallPurgeWithLockedKeyringRemovesNothing(t *testing.T) {
	bus := testbus.NewKeyring(t)
	w := newWorld(t, bus)
	bus.Lock(t)
	svc := w.service()
	defer svc.Close()
	plan, err := uninstall.NewPlan(context.Background(), svc, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Run(context.Background()); !errors.Is(err, keyring.ErrLocked) || !strings.Contains(err.Error(), "nothing else was removed") {
		t.Fatalf("purge with a locked keyring: %v", err)
	}
	for _, p := range []string{w.paths.DBFile, w.paths.ConfigFile, w.paths.LogDir} {
		if !exists(p) {
			t.Fatalf("%s was removed", p)
		}
	}
}

func TestUninstallRefusesWhileRunning(t *testing.T) {
	w := newWorld(t, testbus.NewKeyring(t))
	lock := flock.New(filepath.Join(w.paths.DataDir, daemon.LockName))
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	svc := w.service()
	defer svc.Close()
	if _, err := uninstall.NewPlan(context.Background(), svc, false); !errors.Is(err, uninstall.ErrRunning) {
		t.Fatalf("while running: %v", err)
	}
}

// Data kept outside an aimonitor directory loses only aimonitor's files;
// a location holding the home directory is refused.
func TestUninstallStaysInItsLane(t *testing.T) {
	bus := testbus.NewKeyring(t)
	t.Run("data dir is HOME", func(t *testing.T) {
		root := t.TempDir()
		home := filepath.Join(root, "home")
		w := newWorld(t, bus, "HOME="+home, "AIMONITOR_DATA_DIR="+home)
		mine := filepath.Join(home, "notes.txt")
		if err := os.WriteFile(mine, []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		// The caches the launcher's fast paths read live beside the database.
		caches := []string{filepath.Join(home, line.CacheName), filepath.Join(home, warm.SnapshotName)}
		for _, c := range caches {
			if err := os.WriteFile(c, []byte("cache"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		w.uninstall(false)
		if exists(filepath.Join(home, "aimonitor.db")) || !exists(mine) {
			t.Fatal("wrong files removed from HOME")
		}
		for _, c := range caches {
			if exists(c) {
				t.Errorf("%s left behind", c)
			}
		}
		if got := w.claudeFiles(); len(got) != len(w.claude) || len(got) == 0 {
			t.Fatal("Claude Code's files changed")
		}
	})
	t.Run("log dir holds HOME", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "x")
		w := newWorld(t, bus, "HOME="+filepath.Join(root, "aimonitor", "home"), "XDG_STATE_HOME="+root)
		svc := w.service()
		defer svc.Close()
		if _, err := uninstall.NewPlan(context.Background(), svc, false); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Fatalf("a log dir holding HOME: %v", err)
		}
	})
}

// With the file keyring, the saved logins live in the data directory: an
// uninstall without --purge keeps that file (as it keeps OS keyring items)
// and removes the rest; --purge removes it too.
func TestUninstallAndTheFileKeyring(t *testing.T) {
	env := []string{"AIMONITOR_KEYRING_BACKEND=file", "AIMONITOR_KEYRING_PASSPHRASE=correct horse battery"}
	w := newWorld(t, testbus.New(t), env...)
	store := filepath.Join(w.paths.DataDir, "keyring", "logins.json")
	before, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	_, res := w.uninstall(false)
	if after, err := os.ReadFile(store); err != nil || string(after) != string(before) {
		t.Fatalf("the file keyring did not survive an uninstall without --purge: %v", err)
	}
	if exists(w.paths.DBFile) || exists(filepath.Dir(w.paths.ConfigFile)) || len(res.LeftInKeyring) != 2 {
		t.Fatalf("the rest was not removed: %+v", res)
	}
	entries, _ := os.ReadDir(w.paths.DataDir)
	if len(entries) != 1 || entries[0].Name() != "keyring" {
		t.Fatalf("the data directory holds %v", entries)
	}

	p := newWorld(t, testbus.New(t), env...)
	_, res = p.uninstall(true)
	if strings.Join(res.Purged, ",") != "home,work" {
		t.Fatalf("purged %v", res.Purged)
	}
	p.assertAppDataGone()
}

func TestUninstallTakesAimonitorOutOfClaudeCodesStatusLine(t *testing.T) {
	w := newWorld(t, testbus.NewKeyring(t))
	settings := filepath.Join(w.home, ".claude", "settings.json")
	before := "{\n  \"theme\": \"dark\",\n  \"statusLine\": {\"type\": \"command\", \"command\": \"~/bin/mine.sh\"}\n}\n"
	if err := os.WriteFile(settings, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := statusline.NewInstaller(w.env, runtime.GOOS)
	if err != nil {
		t.Fatal(err)
	}
	in.Binary = "/opt/aimonitor/bin/aimonitor"
	if _, err := in.Install(true); err != nil {
		t.Fatal(err)
	}
	plan, res := w.uninstall(false)
	if plan.StatusLine != settings || res.StatusLine != settings || res.StatusLineRestored != "~/bin/mine.sh" {
		t.Fatalf("plan %q, result %q / %q", plan.StatusLine, res.StatusLine, res.StatusLineRestored)
	}
	got, _ := os.ReadFile(settings)
	var v struct {
		Theme      string `json:"theme"`
		StatusLine struct {
			Command string `json:"command"`
		} `json:"statusLine"`
	}
	if err := json.Unmarshal(got, &v); err != nil || v.Theme != "dark" || v.StatusLine.Command != "~/bin/mine.sh" {
		t.Fatalf("settings.json after uninstall: %s", got)
	}
	if exists(w.paths.ConfigFile) {
		t.Error("the config (which kept the replaced command) is still there")
	}
}
