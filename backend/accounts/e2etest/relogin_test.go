package e2etest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// A login expires (the simulator revokes it), aimonitor notices and says
// how to renew it, the user renews it with `relogin`, and the account
// switches again — with the real Claude Code as the judge.
func TestExpireReloginSwitchWithTheRealClaudeCode(t *testing.T) {
	e := newEnv(t, testbus.NewKeyring(t))
	e.claude = claudeBin(t)
	work, err := e.sim.AddAccount(sim.AccountSpec{Email: "katherine@work.example", OrganizationName: "Work Inc"})
	if err != nil {
		t.Fatal(err)
	}
	home, err := e.sim.AddAccount(sim.AccountSpec{Email: "katherine@home.example", OrganizationName: "Home"})
	if err != nil {
		t.Fatal(err)
	}
	e.login(work)
	e.mustRun("add", "--adopt-current", "--label", "work")
	e.login(home)
	e.mustRun("add", "--adopt-current", "--label", "home")

	// About a month later the login of work is dead.
	if err := e.sim.RevokeLogin(work.Identity.AccountUUID); err != nil {
		t.Fatal(err)
	}
	out, _, code := e.run(context.Background(), "refresh", "work")
	if code == 0 || !strings.Contains(out, "needs a new login") || !strings.Contains(out, "aimonitor relogin work") {
		t.Fatalf("refresh of a dead login: exit %d\n%s", code, out)
	}
	// Held back by the back-off, it still says so, and still fails.
	out, _, code = e.run(context.Background(), "refresh", "work")
	if code == 0 || !strings.Contains(out, "aimonitor relogin work") {
		t.Fatalf("second refresh: exit %d\n%s", code, out)
	}
	if !flagged(t, e, "work") {
		t.Fatal("list does not say work needs a new login")
	}
	// Switching onto it warns (no terminal here, so it does not ask).
	_, errOut, code := e.run(context.Background(), "switch", "work")
	if !strings.Contains(errOut, "no longer works") || !strings.Contains(errOut, "aimonitor relogin work") {
		t.Fatalf("switch onto a dead login did not warn (exit %d):\n%s", code, errOut)
	}
	e.mustRun("switch", "home")
	e.expectClaude(home)

	// relogin: the user logs in as work in another terminal meanwhile.
	credsHome, cfgHome := e.files()
	var rout, rerr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- e.exec(context.Background(), &rout, &rerr, "relogin", "work", "--timeout", "30s") }()
	waitFor(t, &rerr, "Waiting until")
	fresh, err := e.sim.Login(work.Identity.AccountUUID)
	if err != nil {
		t.Fatal(err)
	}
	e.login(fresh)
	if code := <-done; code != 0 {
		t.Fatalf("relogin: exit %d\n%s%s", code, rout.String(), rerr.String())
	}
	if !strings.Contains(rout.String(), `Renewed the login of "work"`) {
		t.Fatalf("relogin printed %q", rout.String())
	}
	if c, g := e.files(); c != credsHome || !sameJSON(g, cfgHome) {
		t.Fatal("relogin did not put Claude Code's previous login back")
	}
	e.expectClaude(home)
	if flagged(t, e, "work") {
		t.Fatal("work still needs a new login")
	}
	e.mustRun("refresh", "work")

	// And it switches: Claude Code now uses the renewed login.
	e.mustRun("switch", "work")
	e.expectClaude(fresh)
	e.mustRun("switch", "home")
	e.expectClaude(home)
}

func flagged(t *testing.T, e *env, label string) bool {
	t.Helper()
	var l struct {
		Accounts []struct {
			Label        string `json:"label"`
			NeedsRelogin bool   `json:"needs_relogin"`
		} `json:"accounts"`
	}
	out := e.mustRun("list", "--json")
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	for _, a := range l.Accounts {
		if a.Label == label {
			return a.NeedsRelogin
		}
	}
	t.Fatalf("no account %q in %s", label, out)
	return false
}
