package statusline

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const userSettings = `{
    "permissions": {
        "allow": ["Bash(npm run lint)", "Read(~/.zshrc)"],
        "deny": []
    },
    "hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "make fmt"}]}]},
    "env": {"FOO": "bar"},
    "model": "opus"
}
`

func newInstaller(t *testing.T) (*Installer, string) {
	t.Helper()
	home := t.TempDir()
	in := &Installer{
		Settings: filepath.Join(home, ".claude", "settings.json"),
		Config:   filepath.Join(home, "cfg", "aimonitor", "config.yaml"),
		Binary:   "/opt/aimonitor/bin/aimonitor",
		Cache:    filepath.Join(home, "data", "aimonitor", "statusline.cache"),
	}
	return in, home
}

func writeFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func statusLineOf(t *testing.T, data string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		t.Fatalf("settings.json is no longer valid JSON: %v\n%s", err, data)
	}
	sl, _ := v["statusLine"].(map[string]any)
	return sl
}

func TestInstallKeepsEverythingElse(t *testing.T) {
	in, _ := newInstaller(t)
	writeFile(t, in.Settings, userSettings, 0o644)
	st, err := in.Install(false)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Installed || st.Command != "/opt/aimonitor/bin/aimonitor statusline" {
		t.Fatalf("state %+v", st)
	}
	got := readFile(t, in.Settings)
	want := strings.Replace(userSettings, `"model": "opus"`, `"model": "opus",
    "statusLine": {
        "type": "command",
        "command": "/opt/aimonitor/bin/aimonitor statusline"
    }`, 1)
	if got != want {
		t.Fatalf("settings.json after install:\n%s\nwant:\n%s", got, want)
	}
	if fi, _ := os.Stat(in.Settings); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want the file's own 0644", fi.Mode().Perm())
	}
	// Installing again (say, from a moved binary) only updates the path.
	in.Binary = "/home/me/my tools/aimonitor"
	if _, err := in.Install(false); err != nil {
		t.Fatal(err)
	}
	if c := statusLineOf(t, readFile(t, in.Settings))["command"]; c != `'/home/me/my tools/aimonitor' statusline` {
		t.Fatalf("command %q", c)
	}
	st, err = in.Uninstall()
	if err != nil {
		t.Fatal(err)
	}
	if st.Installed || st.Command != "" {
		t.Fatalf("state after uninstall %+v", st)
	}
	if got := readFile(t, in.Settings); got != userSettings {
		t.Fatalf("uninstall did not restore the file byte for byte:\n%s", got)
	}
	// Nothing left behind next to it.
	entries, _ := os.ReadDir(filepath.Dir(in.Settings))
	if len(entries) != 1 {
		t.Fatalf("stray files: %v", entries)
	}
}

func TestInstallCreatesMissingFile(t *testing.T) {
	in, _ := newInstaller(t)
	if _, err := in.Install(false); err != nil {
		t.Fatal(err)
	}
	if sl := statusLineOf(t, readFile(t, in.Settings)); sl["type"] != "command" || sl["command"] != "/opt/aimonitor/bin/aimonitor statusline" {
		t.Fatalf("statusLine %v", sl)
	}
	if fi, err := os.Stat(in.Settings); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("a new settings.json: %v %v, want mode 0600", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Dir(in.Settings)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("a new Claude Code directory: %v %v, want mode 0700", fi.Mode(), err)
	}
	if _, err := in.Uninstall(); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(readFile(t, in.Settings)); got != "{}" {
		t.Fatalf("after uninstall: %q", got)
	}
}

func TestInstallRefusesMalformed(t *testing.T) {
	for _, bad := range []string{`{"permissions": {"allow": [}`, `["not", "an object"]`, `{"a":1} {"b":2}`, "// comment\n{}"} {
		in, _ := newInstaller(t)
		writeFile(t, in.Settings, bad, 0o644)
		if _, err := in.Install(true); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("%q: install gave %v", bad, err)
		}
		if _, err := in.Uninstall(); err == nil {
			t.Errorf("%q: uninstall accepted it", bad)
		}
		if got := readFile(t, in.Settings); got != bad {
			t.Errorf("%q was changed to %q", bad, got)
		}
		if _, err := os.Stat(in.Config); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%q: config.yaml was written", bad)
		}
	}
}

func TestInstallForeignCommandKeptAndRestored(t *testing.T) {
	in, _ := newInstaller(t)
	foreign := strings.Replace(userSettings, `"model": "opus"`, `"model": "opus",
    "statusLine": {"type": "command", "command": "npx -y ccusage statusline", "padding": 0}`, 1)
	writeFile(t, in.Settings, foreign, 0o600)

	_, err := in.Install(false)
	if !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), "npx -y ccusage statusline") {
		t.Fatalf("install without --force: %v", err)
	}
	if got := readFile(t, in.Settings); got != foreign {
		t.Fatalf("refused install changed the file:\n%s", got)
	}
	st, err := in.State()
	if err != nil || !st.Foreign || st.Command != "npx -y ccusage statusline" {
		t.Fatalf("state %+v %v", st, err)
	}
	if _, err := in.Uninstall(); !errors.Is(err, ErrForeign) {
		t.Fatalf("uninstall of a foreign command: %v", err)
	}

	st, err = in.Install(true)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Installed || st.Replaced != "npx -y ccusage statusline" {
		t.Fatalf("state after --force %+v", st)
	}
	if !strings.Contains(readFile(t, in.Config), "npx -y ccusage statusline") {
		t.Fatalf("config.yaml does not keep the old command:\n%s", readFile(t, in.Config))
	}
	st, err = in.Uninstall()
	if err != nil {
		t.Fatal(err)
	}
	if st.Installed || st.Command != "npx -y ccusage statusline" || st.Replaced != "" {
		t.Fatalf("state after uninstall %+v", st)
	}
	got := readFile(t, in.Settings)
	if sl := statusLineOf(t, got); sl["command"] != "npx -y ccusage statusline" || sl["padding"] != float64(0) {
		t.Fatalf("old statusLine not restored: %v", sl)
	}
	var before, after map[string]any
	_ = json.Unmarshal([]byte(foreign), &before)
	_ = json.Unmarshal([]byte(got), &after)
	bj, _ := json.Marshal(before)
	aj, _ := json.Marshal(after)
	if string(bj) != string(aj) {
		t.Fatalf("settings differ after the round trip:\n%s\n%s", bj, aj)
	}
}

func TestInstallFollowsSymlink(t *testing.T) {
	in, home := newInstaller(t)
	real := filepath.Join(home, "dotfiles", "claude-settings.json")
	writeFile(t, real, userSettings, 0o644)
	if err := os.MkdirAll(filepath.Dir(in.Settings), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, in.Settings); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(false); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(in.Settings); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file")
	}
	if statusLineOf(t, readFile(t, real)) == nil {
		t.Fatal("the link's target was not edited")
	}
}

func TestOurs(t *testing.T) {
	for cmd, want := range map[string]bool{
		"/usr/bin/aimonitor statusline":      true,
		"'/home/a b/aimonitor' statusline":   true,
		"/x/aimonitor statusline --no-color": true,
		"/x/aimonitor.exe statusline":        true,
		"npx -y ccusage statusline":          false,
		"/x/aimonitor list":                  false,
		"bash ~/.claude/statusline.sh":       false,
		"/x/not-aimonitor statusline":        false,
	} {
		if got := ours(cmd); got != want {
			t.Errorf("ours(%q) = %v", cmd, got)
		}
	}
}

// Uninstalling removes the status line's cache, so a running poller stops
// refreshing it (it refreshes only a cache that exists).
func TestUninstallRemovesTheCache(t *testing.T) {
	in, _ := newInstaller(t)
	writeFile(t, in.Settings, userSettings, 0o600)
	if _, err := in.Install(false); err != nil {
		t.Fatal(err)
	}
	writeFile(t, in.Cache, "entry", 0o600)
	if _, err := in.Uninstall(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(in.Cache); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the cache is still there after uninstalling: %v", err)
	}
}
