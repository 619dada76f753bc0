//go:build unix

package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/internal/claudetest"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// machine is one computer in a test: its own HOME and XDG tree, its own
// keyring, and the shared simulator.
type machine struct {
	t   *testing.T
	env []string
	bus *testbus.Bus
}

func newMachine(t *testing.T, simURL string) *machine {
	t.Helper()
	bus := testbus.NewKeyring(t)
	env := append(append(append(sandboxEnv(t), "USER=tester", "LANG=C.UTF-8"), bus.Vars()...), SimEnv(simURL)...)
	return &machine{t: t, env: env, bus: bus}
}

func (m *machine) get(key string) string { return lookup(m.env, key) }
func (m *machine) home() string          { return m.get("HOME") }
func (m *machine) with(kv ...string) []string {
	return append(append([]string{}, m.env...), kv...)
}

func (m *machine) service() *service.Service {
	m.t.Helper()
	svc, err := service.New(service.Options{Environ: m.env, Stderr: io.Discard})
	if err != nil {
		m.t.Fatal(err)
	}
	return svc
}

// adopt logs Claude Code into c (as /login would) and saves it as label.
func (m *machine) adopt(c sim.Credentials, label string) {
	m.t.Helper()
	svc := m.service()
	defer svc.Close()
	ctx := context.Background()
	mgr, err := svc.Accounts(ctx)
	if err != nil {
		m.t.Fatal(err)
	}
	kr, _ := svc.Keyring()
	slot, err := svc.ClaudeCode(kr)
	if err != nil {
		m.t.Fatal(err)
	}
	if err := paths.WriteFileAtomic(slot.CredentialsPath(), c.ClaudeCodeJSON()); err != nil {
		m.t.Fatal(err)
	}
	if _, err := slot.SetIdentityRaw(ctx, c.OAuthAccountJSON()); err != nil {
		m.t.Fatal(err)
	}
	if _, err := mgr.AdoptCurrent(ctx, label); err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) mustRun(env []string, args ...string) result {
	m.t.Helper()
	r := run(m.t, env, args...)
	if r.code != 0 {
		m.t.Fatalf("aimonitor %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func (m *machine) stash(accountUUID string) ([]byte, error) {
	kr, err := keyring.Open(keyring.Options{BusAddress: m.bus.Address})
	if err != nil {
		m.t.Fatal(err)
	}
	return kr.Get(context.Background(), keyring.StashService(accountUUID), "tester")
}

// state is everything an import could change on a machine — the config
// file, the data directory, Claude Code's files, and the stashes of the
// given accounts — as a digest of each part's mode and bytes.
func (m *machine) state(accountUUIDs ...string) map[string]string {
	m.t.Helper()
	parts := map[string]string{}
	digest := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:8]) }
	for _, root := range []string{filepath.Dir(configPath(m.env)), filepath.Join(m.get("XDG_DATA_HOME"), "aimonitor"),
		filepath.Join(m.home(), ".claude"), filepath.Join(m.home(), ".claude.json")} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				fi, _ := d.Info()
				parts[p] = fi.Mode().String() + " " + digest(string(b))
			}
			return nil
		})
	}
	for _, u := range accountUUIDs {
		b, err := m.stash(u)
		switch {
		case errors.Is(err, keyring.ErrNotFound):
			parts["stash "+u] = "none"
		case err != nil:
			m.t.Fatal(err)
		default:
			parts["stash "+u] = digest(string(b))
		}
	}
	if len(parts) < 6 {
		m.t.Fatalf("state of %d parts: not looking where the data is", len(parts))
	}
	return parts
}

func diffState(before, after map[string]string) []string {
	var changed []string
	for k, v := range before {
		if after[k] != v {
			changed = append(changed, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			changed = append(changed, k+" (new)")
		}
	}
	sort.Strings(changed)
	return changed
}

// claudeBin finds the real Claude Code CLI (see claudetest).
func claudeBin(t *testing.T) string { return claudetest.Bin(t) }

// claudeSays asks the real Claude Code, offline (in a new network
// namespace where the machine allows it), which e-mail is logged in.
func claudeSays(t *testing.T, bin, home string) string {
	t.Helper()
	args := []string{bin, "auth", "status", "--json"}
	if exec.Command("unshare", "-rn", "true").Run() == nil {
		args = append([]string{"unshare", "-rn"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "USER=tester", "LANG=C.UTF-8",
		"DISABLE_AUTOUPDATER=1", "DISABLE_TELEMETRY=1", "DISABLE_ERROR_REPORTING=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run() // exits 1 when logged out; the JSON says so
	var st struct {
		LoggedIn bool   `json:"loggedIn"`
		Email    string `json:"email"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("claude auth status --json: %v\n%s%s", err, out.String(), errb.String())
	}
	if !st.LoggedIn {
		return ""
	}
	return st.Email
}

const passphrase = "correct horse battery staple"

// Export with logins on one machine, import on a fresh one: a wrong
// passphrase or an altered file changes nothing; the right one brings the
// accounts (an account already saved there is updated, not duplicated),
// and switching to an imported account makes the real Claude Code see it.
func TestExportImportWithTokensOnAFreshMachine(t *testing.T) {
	claude := claudeBin(t)
	s := sim.New(clock.Real{})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	work, err := s.AddAccount(sim.AccountSpec{Email: "alice@work.example", OrganizationName: "Work Inc"})
	if err != nil {
		t.Fatal(err)
	}
	home, err := s.AddAccount(sim.AccountSpec{Email: "alice@home.example", OrganizationName: "Alice Personal", SubscriptionType: "pro"})
	if err != nil {
		t.Fatal(err)
	}

	a := newMachine(t, srv.URL)
	a.adopt(work, "work")
	a.adopt(home, "home")
	a.mustRun(a.env, "config", "set", "auto_swap.threshold_pct", "70")
	a.mustRun(a.env, "config", "set", "notify.crit_pct", "99")
	a.mustRun(a.env, "config", "set", "notify.warn_pct", "97")
	file := filepath.Join(t.TempDir(), "backup.json")

	// No passphrase and no terminal: refused, nothing written.
	if r := run(t, a.env, "config", "export", "--out", file, "--include-tokens"); r.code != 1 || !strings.Contains(r.stderr, PassphraseEnv) {
		t.Fatalf("export without a passphrase: %+v", r)
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a file was written without a passphrase")
	}
	r := a.mustRun(a.with(PassphraseEnv+"="+passphrase), "config", "export", "--out", file, "--include-tokens")
	if !strings.Contains(r.stdout, "2 accounts, 2 logins (encrypted)") {
		t.Fatalf("export said: %s", r.stdout)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %04o", fi.Mode().Perm())
	}
	for _, secret := range []string{work.AccessToken, work.RefreshToken, home.AccessToken, home.RefreshToken, "sk-ant-", passphrase} {
		if bytes.Contains(data, []byte(secret)) || strings.Contains(r.stdout+r.stderr, secret) {
			t.Fatalf("a token or the passphrase is in the backup or the output in plaintext (%.12s…)", secret)
		}
	}
	if !bytes.Contains(data, []byte(`"email": "alice@work.example"`)) || !bytes.Contains(data, []byte(`"ciphertext"`)) {
		t.Fatalf("the backup lacks the account metadata or the sealed logins:\n%s", data)
	}

	// Machine B already has the personal account, with a newer login of
	// its own, under another label, and settings of its own.
	b := newMachine(t, srv.URL)
	newerHome, err := s.Login(home.Identity.AccountUUID)
	if err != nil {
		t.Fatal(err)
	}
	b.adopt(newerHome, "personal")
	b.mustRun(b.env, "config", "set", "widget.theme", "light")
	uuids := []string{work.Identity.AccountUUID, home.Identity.AccountUUID}
	before := b.state(uuids...)

	tampered := filepath.Join(t.TempDir(), "tampered.json")
	if err := os.WriteFile(tampered, bytes.Replace(data, []byte(`"label": "work"`), []byte(`"label": "evil"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, pass string
	}{{"wrong passphrase", file, "not the passphrase"}, {"altered file", tampered, passphrase}} {
		r := run(t, b.with(PassphraseEnv+"="+tc.pass), "config", "import", tc.file)
		if r.code != 1 || !strings.Contains(r.stderr, "the passphrase is wrong or the file was altered; nothing was imported") {
			t.Fatalf("%s: %+v", tc.name, r)
		}
		if changed := diffState(before, b.state(uuids...)); len(changed) > 0 {
			t.Fatalf("%s changed the machine: %v", tc.name, changed)
		}
	}

	r = b.mustRun(b.with(PassphraseEnv+"="+passphrase), "config", "import", "--yes", file)
	for _, want := range []string{
		`account "work" (alice@work.example): added`,
		`account "personal" (alice@home.example): kept: the login saved here is newer`,
		"settings: auto_swap.threshold_pct, notify.crit_pct, notify.warn_pct",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("import output lacks %q:\n%s", want, r.stdout)
		}
	}
	var list struct {
		Accounts []struct{ Label, Email string }
	}
	if err := json.Unmarshal([]byte(b.mustRun(b.env, "list", "--json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 2 || list.Accounts[0].Label != "personal" || list.Accounts[1].Label != "work" {
		t.Fatalf("accounts after import: %+v", list.Accounts)
	}
	for key, want := range map[string]string{"auto_swap.threshold_pct": "70\n", "notify.warn_pct": "97\n", "widget.theme": "light\n"} {
		if got := b.mustRun(b.env, "config", "get", key).stdout; got != want {
			t.Fatalf("%s = %q after import, want %q", key, got, want)
		}
	}

	// The imported account works: switching to it logs the real Claude
	// Code in as it, and back.
	b.mustRun(b.env, "switch", "work")
	if got := claudeSays(t, claude, b.home()); got != "alice@work.example" {
		t.Fatalf("after switching to the imported account Claude Code reports %q", got)
	}
	b.mustRun(b.env, "switch", "personal")
	if got := claudeSays(t, claude, b.home()); got != "alice@home.example" {
		t.Fatalf("after switching back Claude Code reports %q", got)
	}
}

func TestExportWithoutTokensCarriesNoSecret(t *testing.T) {
	s := sim.New(clock.Real{})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	work, err := s.AddAccount(sim.AccountSpec{Email: "alice@work.example"})
	if err != nil {
		t.Fatal(err)
	}
	a := newMachine(t, srv.URL)
	a.adopt(work, "work")
	a.mustRun(a.env, "config", "set", "poll.interval_sec", "900")
	a.mustRun(a.env, "config", "set", "autostart", "true")
	file := filepath.Join(t.TempDir(), "plain.json")
	// The passphrase variable is ignored without --include-tokens.
	r := a.mustRun(a.with(PassphraseEnv+"="+passphrase), "config", "export", "--out", file)
	if !strings.Contains(r.stdout, "no logins") {
		t.Fatalf("export said %s", r.stdout)
	}
	data, _ := os.ReadFile(file)
	if bytes.Contains(data, []byte("sk-ant-")) || bytes.Contains(data, []byte(`"logins"`)) {
		t.Fatalf("a plain export holds logins:\n%s", data)
	}

	// Nothing in a file without logins is authenticated: the import says
	// what it would change, start-at-login included, and without a terminal
	// or --yes changes nothing.
	b := newMachine(t, srv.URL)
	configBefore, _ := os.ReadFile(filepath.Join(b.get("XDG_CONFIG_HOME"), "aimonitor", "config.yaml"))
	r = run(t, b.env, "config", "import", file)
	for _, want := range []string{"nothing proves who made it", "setting autostart: false → true", "setting poll.interval_sec: 600 → 900",
		"start-at-login entry will be updated", "nothing was imported", "--yes"} {
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Fatalf("an unconfirmed import: want %q in %+v", want, r)
		}
	}
	if _, err := os.Stat(filepath.Join(b.get("XDG_CONFIG_HOME"), "autostart", "aimonitor.desktop")); err == nil {
		t.Fatal("an unconfirmed import installed the start-at-login entry")
	}
	if after, _ := os.ReadFile(filepath.Join(b.get("XDG_CONFIG_HOME"), "aimonitor", "config.yaml")); !bytes.Equal(configBefore, after) {
		t.Fatalf("an unconfirmed import changed the config file:\n%s", after)
	}

	// Confirmed, the settings come back; the account cannot without its
	// login, and the output says how to add it.
	r = b.mustRun(b.env, "config", "import", "--yes", file)
	if !strings.Contains(r.stdout, `account "work" (alice@work.example): not imported`) || !strings.Contains(r.stdout, "settings: autostart, poll.interval_sec") {
		t.Fatalf("import said %s", r.stdout)
	}
	// Imported settings take effect as `config set` would: autostart
	// installs the start-at-login entry.
	if _, err := os.Stat(filepath.Join(b.get("XDG_CONFIG_HOME"), "autostart", "aimonitor.desktop")); err != nil {
		t.Fatalf("autostart imported but no entry: %v", err)
	}
	if got := b.mustRun(b.env, "config", "get", "poll.interval_sec").stdout; got != "900\n" {
		t.Fatalf("poll.interval_sec = %q", got)
	}
	if r := b.mustRun(b.env, "list", "--json"); strings.Contains(r.stdout, "alice@work.example") {
		t.Fatalf("an account without a login was saved:\n%s", r.stdout)
	}

	// Not a backup at all.
	other := filepath.Join(t.TempDir(), "other.json")
	os.WriteFile(other, []byte(`{"hello":"world"}`), 0o600)
	if r := run(t, b.env, "config", "import", other); r.code != 1 || !strings.Contains(r.stderr, "not an aimonitor backup") {
		t.Fatalf("import of a foreign file: %+v", r)
	}
	if r := run(t, b.env, "config", "export"); r.code != ExitUsage || !strings.Contains(r.stderr, "--out FILE") {
		t.Fatalf("export without --out: %+v", r)
	}
}
