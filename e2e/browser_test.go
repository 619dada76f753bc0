//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// The UI in Chromium against `wails dev` (live Go bindings) on the
// simulator, with a real keyring: adopt, switch by clicking a row, change a
// threshold (read back with the CLI), check for a release. All of it runs
// while the widget's first scan of a 1 GB Claude Code history is in
// progress (held part-way by the sandbox's scan gate until the script
// releases it), and the Tokens view shows that scan until it ends. Then a
// login expires and the widget renews it (reloginInBrowser).
func TestBrowserOnSimulator(t *testing.T) {
	display := startX(t)
	s := sim.New(clock.Real{})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	env := sandbox(t, display)
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+testbus.NewKeyring(t).Address)
	env = append(env, cli.SimEnv(srv.URL)...)
	home := envValue(env, "HOME")

	work, err := s.AddAccount(sim.AccountSpec{Email: "work@example.com", DisplayName: "Work", OrganizationName: "Work Org", SubscriptionType: "max"})
	if err != nil {
		t.Fatal(err)
	}
	homeAcct, err := s.AddAccount(sim.AccountSpec{Email: "home@example.com", DisplayName: "Home", OrganizationName: "Home Org", SubscriptionType: "pro"})
	if err != nil {
		t.Fatal(err)
	}
	// "home" is already saved; Claude Code is logged in as "work", not saved yet.
	loginAs(t, home, homeAcct)
	if out, err := runCLI(t, env, "add", "--adopt-current", "--label", "home"); err != nil {
		t.Fatalf("adopt home: %v\n%s", err, out)
	}
	loginAs(t, home, work)

	root := repoRoot(t)
	// The history: bench/tokens' dense shape, 1 GB, in ~/.claude/projects.
	// (gen empties its -out directory: generate elsewhere and move it in.)
	generated := filepath.Join(t.TempDir(), "claude")
	gen := exec.Command("go", "run", "./bench/tokens/gen", "-out", generated, "-size", strconv.Itoa(1<<30),
		"-files", "580", "-spread", "0.5", "-density", "153", "-tool-share", "0.45", "-subagents", "0.001")
	gen.Dir = root
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("generating the history: %v\n%s", err, out)
	}
	if err := os.Rename(filepath.Join(generated, "projects"), filepath.Join(home, ".claude", "projects")); err != nil {
		t.Fatal(err)
	}
	gate := filepath.Join(t.TempDir(), "scan-gate")
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env, "AIMONITOR_SANDBOX=1", "AIMONITOR_TEST_SCAN_GATE="+gate)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dev := startGroup(t, env, root, "go", "tool", "wails", "dev", "-m", "-s", "-ldflags", "-X github.com/aimonitor/aimonitor/backend/buildinfo.Version=v0.1.0-e2e", "-devserver", addr, "-noreload", "-nogorebuild", "-skipbindings", "-loglevel", "Warning")
	url := "http://" + addr + "/"
	// Each probe is bounded, so a wails dev that accepts but never answers
	// fails at waitFor's limit instead of hanging until go test's timeout.
	probe := &http.Client{Timeout: 5 * time.Second}
	waitFor(t, 240*time.Second, "wails dev to serve the UI", func() bool {
		if dev.cmd.ProcessState != nil {
			t.Fatalf("wails dev exited:\n%s", dev.out.String())
		}
		resp, err := probe.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	findWindow(t, display, dev, 120*time.Second)

	node := exec.Command("node", filepath.Join(root, "frontend", "e2e", "accounts.mjs"), url, artifacts(t), gate)
	node.Dir = filepath.Join(root, "frontend")
	node.Env = env
	out, err := node.CombinedOutput()
	if err != nil {
		t.Fatalf("browser test: %v\n%s\nwails dev:\n%s", err, out, dev.out.String())
	}
	t.Log(strings.TrimSpace(string(out)))

	got, err := runCLI(t, env, "config", "get", "auto_swap.threshold_pct")
	if err != nil || strings.TrimSpace(got) != "70" {
		t.Fatalf("CLI read %q (%v), want 70", got, err)
	}
	list, err := runCLI(t, env, "list", "--json")
	if err != nil {
		t.Fatalf("list: %v\n%s", err, list)
	}
	var doc struct {
		Accounts []struct {
			Label  string
			Active bool
		}
	}
	if err := json.Unmarshal([]byte(list), &doc); err != nil {
		t.Fatalf("list --json: %v\n%s", err, list)
	}
	active := ""
	for _, a := range doc.Accounts {
		if a.Active {
			active = a.Label
		}
	}
	if len(doc.Accounts) != 2 || active != "home" {
		t.Fatalf("after clicking home: %s", list)
	}
	// The release check went to the simulator, once per click.
	if n := s.Log().Count(sim.EndpointReleases, 0); n < 1 {
		t.Fatalf("no release request reached the simulator")
	}

	// Then the login of work dies and is renewed from the widget: the same
	// wails dev serves it, as starting one is most of this test's time.
	reloginInBrowser(t, s, env, dev, url, work)
}

func loginAs(t *testing.T, home string, c sim.Credentials) {
	t.Helper()
	dir := filepath.Join(home, ".claude")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".credentials.json"), c.ClaudeCodeJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]json.RawMessage{"numStartups": json.RawMessage("3"), "oauthAccount": c.OAuthAccountJSON()}
	data, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}
