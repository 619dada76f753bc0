package userunit

import (
	"context"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeManager records the commands run and answers from a table.
type fakeManager struct {
	calls   []string
	answers map[string]string // command line -> output
	fail    map[string]bool
}

func (f *fakeManager) run(_ context.Context, name string, args ...string) (string, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	f.calls = append(f.calls, line)
	if f.fail[line] {
		return f.answers[line], errors.New("exit status 1")
	}
	return f.answers[line], nil
}

// executable makes a program at a path systemd must quote.
func executable(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "my tools %h $HOME")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "aimonitor")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

func linuxUnit(t *testing.T, f *fakeManager) Unit {
	home := t.TempDir()
	return Unit{GOOS: "linux", Home: home, Exe: executable(t), User: "me", Run: f.run,
		Env: []string{"AIMONITOR_KEYRING_BACKEND=file", "AIMONITOR_KEYRING_PASSPHRASE_FILE=" + filepath.Join(home, "pass word%d")}}
}

func TestSystemdUnitIsValid(t *testing.T) {
	u := linuxUnit(t, &fakeManager{})
	data, err := u.Render()
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"ExecStart=", " daemon\n", "Restart=on-failure", "Environment=AIMONITOR_KEYRING_BACKEND=file\n", "WantedBy=default.target",
		"UMask=0077\n", "NoNewPrivileges=yes\n"} { // docs/security.md names both
		if !strings.Contains(text, want) {
			t.Fatalf("unit lacks %q:\n%s", want, text)
		}
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed (apt install systemd)")
	}
	verify(t, u, data)
}

// verify runs `systemd-analyze --user verify` on the unit and requires it to
// say nothing: unknown keys and bad values are only warnings there.
func verify(t *testing.T, u Unit, data []byte) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, SystemdName)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	runtime := t.TempDir()
	cmd := exec.Command("systemd-analyze", "--user", "verify", p)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+runtime, "SYSTEMD_LOG_LEVEL=notice")
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s\n--- unit:\n%s", err, out, data)
	}
}

func TestVerifyCatchesABadUnit(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	u := linuxUnit(t, &fakeManager{})
	data, _ := u.Render()
	bad := strings.Replace(string(data), "Restart=on-failure", "Restart=sometimes", 1)
	dir := t.TempDir()
	p := filepath.Join(dir, SystemdName)
	os.WriteFile(p, []byte(bad), 0o600)
	cmd := exec.Command("systemd-analyze", "--user", "verify", p)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir())
	out, _ := cmd.CombinedOutput()
	if len(strings.TrimSpace(string(out))) == 0 {
		t.Fatal("systemd-analyze said nothing about a bad value: the check above could not fail")
	}
}

func TestQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/aimonitor":  "/usr/bin/aimonitor",
		"/opt/my tools/aimon": `"/opt/my tools/aimon"`,
		"/opt/100%/a":         "/opt/100%%/a",
		`/opt/"q"/a`:          `"/opt/\"q\"/a"`,
		"/opt/$HOME/a":        "/opt/$HOME/a",
		`/opt/back\slash/a`:   `"/opt/back\\slash/a"`,
	} {
		if got := quoteExecArg(in); got != want {
			t.Errorf("quoteExecArg(%q) = %s, want %s", in, got, want)
		}
	}
	if got := quoteValue("K=a b%"); got != `"K=a b%%"` {
		t.Errorf("quoteValue = %s", got)
	}
	if _, err := (Unit{GOOS: "linux", Exe: "/x", Env: []string{"K=a\nExecStart=/bin/evil"}}).Render(); err == nil {
		t.Fatal("a newline in the environment was written into the unit")
	}
	if _, err := (Unit{GOOS: "linux", Exe: "relative"}).Render(); err == nil {
		t.Fatal("relative program accepted")
	}
}

func TestInstallStatusUninstall(t *testing.T) {
	f := &fakeManager{answers: map[string]string{
		"systemctl --user is-active aimonitor.service":    "active",
		"systemctl --user is-enabled aimonitor.service":   "enabled",
		"loginctl show-user me --property=Linger --value": "no",
	}}
	u := linuxUnit(t, f)
	r, err := u.Install(context.Background())
	if err != nil || !r.Enabled {
		t.Fatalf("install: %+v %v", r, err)
	}
	want := filepath.Join(u.Home, ".config", "systemd", "user", "aimonitor.service")
	if r.Path != want {
		t.Fatalf("path %s", r.Path)
	}
	if fi, err := os.Stat(want); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("unit file: %v %v", fi, err)
	}
	if !slices.Contains(f.calls, "systemctl --user enable --now aimonitor.service") {
		t.Fatalf("not enabled: %v", f.calls)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "loginctl enable-linger me") {
		t.Fatalf("no linger hint: %v", r.Notes)
	}
	st, err := u.Status(context.Background())
	if err != nil || !st.Installed || !st.Current || st.Active != "active" || st.Enabled != "enabled" {
		t.Fatalf("status %+v %v", st, err)
	}
	u2 := u
	u2.Env = []string{"AIMONITOR_KEYRING_BACKEND=secret-service"}
	if st, _ := u2.Status(context.Background()); st.Current {
		t.Fatal("a unit with another environment reads as current")
	}
	removed, err := u.Uninstall(context.Background())
	if err != nil || !removed {
		t.Fatalf("uninstall %v %v", removed, err)
	}
	if _, err := os.Stat(want); !os.IsNotExist(err) {
		t.Fatal("unit file left behind")
	}
	if !slices.Contains(f.calls, "systemctl --user disable --now aimonitor.service") {
		t.Fatalf("not disabled: %v", f.calls)
	}
	if removed, _ := u.Uninstall(context.Background()); removed {
		t.Fatal("a second uninstall found a unit")
	}
	if st, _ := u.Status(context.Background()); st.Installed {
		t.Fatal("status after uninstall")
	}
}

func TestInstallWithoutAUserManager(t *testing.T) {
	f := &fakeManager{fail: map[string]bool{"systemctl --user daemon-reload": true},
		answers: map[string]string{"systemctl --user daemon-reload": "Failed to connect to bus: No medium found"}}
	u := linuxUnit(t, f)
	r, err := u.Install(context.Background())
	if err != nil || r.Enabled || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "Failed to connect to bus") ||
		!strings.Contains(r.Notes[0], "systemctl --user enable --now aimonitor.service") {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := os.Stat(r.Path); err != nil {
		t.Fatal("the unit should still be written")
	}
}

func TestLaunchAgent(t *testing.T) {
	f := &fakeManager{}
	u := Unit{GOOS: "darwin", Home: t.TempDir(), Exe: "/Applications/aimonitor.app/Contents/MacOS/aimonitor", UID: 501, Run: f.run,
		Env: []string{"AIMONITOR_KEYRING_BACKEND=file", "AIMONITOR_KEYRING_PASSPHRASE_FILE=/Users/me/.pass & <x>"}}
	r, err := u.Install(context.Background())
	if err != nil || !r.Enabled {
		t.Fatalf("%+v %v", r, err)
	}
	if r.Path != filepath.Join(u.Home, "Library", "LaunchAgents", "dev.aimonitor.daemon.plist") {
		t.Fatalf("path %s", r.Path)
	}
	data, _ := os.ReadFile(r.Path)
	var v struct {
		Dict struct {
			Keys   []string `xml:"key"`
			Arrays []struct {
				Strings []string `xml:"string"`
			} `xml:"array"`
			Dicts []struct {
				Keys    []string `xml:"key"`
				Strings []string `xml:"string"`
			} `xml:"dict"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(data, &v); err != nil {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	if got := v.Dict.Arrays[0].Strings; len(got) != 2 || got[1] != "daemon" {
		t.Fatalf("arguments %v", got)
	}
	env := v.Dict.Dicts[0]
	if env.Keys[1] != "AIMONITOR_KEYRING_PASSPHRASE_FILE" || env.Strings[1] != "/Users/me/.pass & <x>" {
		t.Fatalf("environment %+v", env)
	}
	if !slices.Contains(v.Dict.Keys, "KeepAlive") || !slices.Contains(f.calls, "launchctl bootstrap gui/501 "+r.Path) {
		t.Fatalf("keys %v calls %v", v.Dict.Keys, f.calls)
	}
}

// systemctl, loginctl and launchctl get aimonitor's environment minus its
// passphrases.
func TestExecRunnerKeepsPassphrasesFromTheManager(t *testing.T) {
	t.Setenv("AIMONITOR_KEYRING_PASSPHRASE", "keyring-passphrase-canary")
	t.Setenv("AIMONITOR_PASSPHRASE", "backup-passphrase-canary")
	t.Setenv("AIMONITOR_TEST_MARK", "kept")
	out, err := ExecRunner(context.Background(), "env")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "AIMONITOR_TEST_MARK=kept") {
		t.Fatalf("the child did not get the environment:\n%s", out)
	}
	if strings.Contains(out, "passphrase-canary") {
		t.Fatalf("a passphrase reached the child's environment:\n%s", out)
	}
}
