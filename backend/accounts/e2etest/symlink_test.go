package e2etest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// ~/.claude.json as a symlink (dotfile managers): switches race the real
// Claude Code writing its config through the link, and nothing is lost —
// both take the lock where Claude Code takes it (proper-lockfile with
// lockfilePath "<the path as named>.lock", so next to the link), both write
// the link's target, and the link stays a link.
func TestSwitchRacingTheRealClaudeCodeThroughASymlinkedConfig(t *testing.T) {
	claude := claudeBin(t)
	e := newEnv(t, testbus.NewKeyring(t))
	e.claude, e.quiet = claude, true
	var creds []sim.Credentials
	for _, email := range []string{"a@example.com", "b@example.com"} {
		c, err := e.sim.AddAccount(sim.AccountSpec{Email: email, OrganizationName: email[:1] + " Org"})
		if err != nil {
			t.Fatal(err)
		}
		creds = append(creds, c)
	}
	labels := []string{"a", "b"}
	dotfile := filepath.Join(e.home, "dotfiles", "claude.json")
	if err := os.MkdirAll(filepath.Dir(dotfile), 0o700); err != nil {
		t.Fatal(err)
	}
	for i, c := range creds {
		e.login(c)
		if i == 0 { // from now on ~/.claude.json is a link into the dotfiles
			if err := os.Rename(e.configPath(), dotfile); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(dotfile, e.configPath()); err != nil {
				t.Fatal(err)
			}
		}
		e.mustRun("add", "--adopt-current", "--label", labels[i])
	}
	// Claude Code's own keys: it writes them back on start when missing.
	// Which ones depends on the release (2.1.40 has no machineID or
	// migrationVersion), so ask this one, without a switch racing it.
	claudeKeys := claudeWritesBack(t, e, dotfile, "firstStartTime", "machineID", "migrationVersion")
	for round := 0; round < 4; round++ {
		cfg := readJSON(t, dotfile)
		for _, k := range claudeKeys {
			delete(cfg, k)
		}
		writeJSON(t, dotfile, cfg)
		target := labels[round%2]
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); e.claudeStatus() }() // writes ~/.claude.json through the link
		_, errOut, code := e.run(context.Background(), "switch", target)
		wg.Wait()
		if code != 0 {
			t.Fatalf("round %d: switch %s: %s", round, target, errOut)
		}
		if fi, err := os.Lstat(e.configPath()); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("round %d: ~/.claude.json is no longer a link", round)
		}
		got := readJSON(t, dotfile)
		for _, k := range append(claudeKeys, "theme", "projects", "hasCompletedOnboarding") {
			if _, ok := got[k]; !ok {
				t.Fatalf("round %d: %q was lost from ~/.claude.json", round, k)
			}
		}
		var id struct {
			Email string `json:"emailAddress"`
		}
		_ = json.Unmarshal(got["oauthAccount"], &id)
		if id.Email != creds[round%2].Identity.Email {
			t.Fatalf("round %d: oauthAccount names %q, want %s", round, id.Email, creds[round%2].Identity.Email)
		}
		e.expectClaude(creds[round%2])
	}
}

// claudeWritesBack removes keys from the config, runs Claude Code once and
// returns the ones it wrote back; none would leave the race unobserved.
func claudeWritesBack(t *testing.T, e *env, config string, keys ...string) []string {
	t.Helper()
	cfg := readJSON(t, config)
	for _, k := range keys {
		delete(cfg, k)
	}
	writeJSON(t, config, cfg)
	e.claudeStatus()
	cfg = readJSON(t, config)
	var back []string
	for _, k := range keys {
		if _, ok := cfg[k]; ok {
			back = append(back, k)
		}
	}
	if len(back) == 0 {
		t.Fatalf("Claude Code wrote none of %v back into its config, so nothing would show a lost write", keys)
	}
	return back
}

func readJSON(t *testing.T, path string) map[string]json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
	return m
}

func writeJSON(t *testing.T, path string, m map[string]json.RawMessage) {
	t.Helper()
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
