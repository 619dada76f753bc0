//go:build e2e

package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/internal/claudetest"
)

// reloginInBrowser continues TestBrowserOnSimulator: work and home are
// saved, Claude Code uses home, and the widget runs on dev at url. The login
// of work dies; the widget's Re-login renews that account while the user
// logs in again with Claude Code, then the account switches by a click, and
// the real Claude Code reports it.
func reloginInBrowser(t *testing.T, s *sim.Server, env []string, dev *group, url string, work sim.Credentials) {
	t.Helper()
	claude := claudetest.Bin(t)
	home := envValue(env, "HOME")
	// About a month later the login of work is dead, and aimonitor knows.
	if err := s.RevokeLogin(work.Identity.AccountUUID); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, env, "refresh", "work"); err == nil || !strings.Contains(out, "aimonitor relogin work") {
		t.Fatalf("refresh of the dead login: %v\n%s", err, out)
	}
	t.Log(browse(t, env, dev, func(line string) {
		if line == "step: waiting for a new login" {
			fresh, err := s.Login(work.Identity.AccountUUID)
			if err != nil {
				t.Error(err)
				return
			}
			loginAs(t, home, fresh) // the user's /login in Claude Code
		}
	}, "relogin.mjs", url, artifacts(t)))

	list, err := runCLI(t, env, "list", "--json")
	if err != nil {
		t.Fatalf("list: %v\n%s", err, list)
	}
	var doc struct {
		Accounts []struct {
			Label        string `json:"label"`
			Active       bool   `json:"active"`
			NeedsRelogin bool   `json:"needs_relogin"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(list), &doc); err != nil {
		t.Fatalf("list --json: %v\n%s", err, list)
	}
	renewed := false
	for _, a := range doc.Accounts {
		renewed = renewed || (a.Label == "work" && a.Active && !a.NeedsRelogin)
	}
	if !renewed {
		t.Fatalf("after re-login and switch: %s", list)
	}
	// The real Claude Code, offline, sees the renewed account.
	cmd := exec.Command(claude, "auth", "status", "--json")
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "DISABLE_AUTOUPDATER=1", "DISABLE_TELEMETRY=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"}
	out, _ := cmd.Output()
	var st struct {
		LoggedIn bool   `json:"loggedIn"`
		Email    string `json:"email"`
	}
	if json.Unmarshal(out, &st) != nil || !st.LoggedIn || st.Email != "work@example.com" {
		t.Fatalf("claude auth status: %s", out)
	}
}
