//go:build unix

package faults

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/hardening/internal/world"
)

// cliWorld: two saved accounts, work live in Claude Code, home saved only,
// a real keyring on a private bus, commands run in-process.
func cliWorld(t *testing.T) (*world.World, map[string]string) {
	t.Helper()
	w := world.New(t, world.Options{})
	uuids := map[string]string{}
	for _, label := range []string{"home", "work"} {
		c, err := w.Sim.AddAccount(sim.AccountSpec{Email: label + "@example.com", Windows: map[string]sim.WindowSpec{
			sim.FiveHour: {Utilization: 42, ResetsIn: 3 * time.Hour},
		}})
		if err != nil {
			t.Fatal(err)
		}
		w.NoteLogin(c)
		w.Login(c)
		w.MustRun("add", "--adopt-current", "--label", label)
		uuids[label] = c.Identity.AccountUUID
	}
	w.Sim.ResetLog()
	return w, uuids
}

// counts is what reached the simulator, by endpoint, once the simulator
// has finished answering (a huge answer the client gave up on is logged
// when the simulator's handler returns, after the command).
func counts(w *world.World) (usageN, tokenN int) {
	read := func() (int, int) {
		l := w.Sim.Log()
		return l.ByEndpoint[sim.EndpointUsage], l.ByEndpoint[sim.EndpointToken]
	}
	usageN, tokenN = read()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		u, tk := read()
		if u == usageN && tk == tokenN {
			return u, tk
		}
		usageN, tokenN = u, tk
	}
	return usageN, tokenN
}

// lastLine is the message a user reads: the one "aimonitor: …" line that
// ends stderr. Anything before it must be log records (with --debug) or
// one-line warnings ("aimonitor: warning: …"), each clean too.
func lastLine(t *testing.T, r world.Result) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "aimonitor: ") {
		t.Fatalf("stderr does not end in one \"aimonitor: \" line:\n%s", r.Stderr)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "time=") && !strings.HasPrefix(l, "aimonitor: warning: ") {
			t.Fatalf("stderr holds more than log records and the message:\n%s", r.Stderr)
		}
		// A one-shot command's INFO records go to the log file only.
		if strings.Contains(l, " level=INFO ") || strings.Contains(l, " level=DEBUG ") {
			t.Fatalf("stderr holds INFO records before the message:\n%s", r.Stderr)
		}
		checkMessage(t, l)
	}
	return last
}

func listState(t *testing.T, w *world.World, label string) cli.ListItem {
	t.Helper()
	var l cli.ListOutput
	if err := json.Unmarshal([]byte(w.MustRun("list", "--json")), &l); err != nil {
		t.Fatal(err)
	}
	for _, a := range l.Accounts {
		if a.Label == label {
			return a
		}
	}
	t.Fatalf("list --json has no %s", label)
	return cli.ListItem{}
}

// `aimonitor refresh` of the live account under each fault: the exit code,
// what it prints, what `list --json` shows afterwards, and that an
// immediate second refresh sends nothing (the shared gate holds).
func TestCLIRefreshFaultMatrix(t *testing.T) {
	type want struct {
		code              int
		stdout            string // the account's line contains it
		usage, token      int    // requests of the first refresh
		relogin, cooldown bool
	}
	cases := []struct {
		name  string
		setup func(w *world.World, uuids map[string]string)
		want  want
	}{
		{"healthy", nil, want{0, "42 %", 1, 0, false, false}},
		{"429 Retry-After 120", setFault(sim.Fault{Kind: sim.FaultThrottle, Endpoint: sim.EndpointUsage, RetryAfter: "120"}),
			want{1, "rate limited by Anthropic (HTTP 429 rate_limit_error); retry in 2m0s", 1, 0, false, true}},
		{"429 without Retry-After", setFault(sim.Fault{Kind: sim.FaultThrottle, Endpoint: sim.EndpointUsage}),
			want{1, "retry in 1m0s", 1, 0, false, true}},
		{"429 Retry-After 0", setFault(sim.Fault{Kind: sim.FaultThrottle, Endpoint: sim.EndpointUsage, RetryAfter: "0"}),
			want{1, "retry in 1m0s", 1, 0, false, true}},
		{"503", setFault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointUsage, Status: 503}),
			want{1, "server error (HTTP 503", 1, 0, false, false}},
		{"answer after a long wait: 504", setFault(sim.Fault{Kind: sim.FaultHang, Endpoint: sim.EndpointUsage, Delay: 500 * time.Millisecond}),
			want{1, "server error (HTTP 504", 1, 0, false, false}},
		{"malformed JSON", setFault(sim.Fault{Kind: sim.FaultMalformedJSON, Endpoint: sim.EndpointUsage}),
			want{1, "cannot read", 1, 0, false, false}},
		{"huge body", setFault(sim.Fault{Kind: sim.FaultHugeBody, Endpoint: sim.EndpointUsage, Size: 3 << 20}),
			want{1, "larger than", 1, 0, false, false}},
		{"wrong shape", setFault(sim.Fault{Kind: sim.FaultWrongShape, Endpoint: sim.EndpointUsage}),
			want{1, "cannot read", 1, 0, false, false}},
		{"403 missing scope", setFault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointUsage, Status: 403}),
			want{1, "needs a new login", 1, 0, true, false}},
		{"401, refresh works", func(w *world.World, u map[string]string) { w.Sim.ExpireAccessTokens(u["work"]) },
			want{0, "42 %", 2, 1, false, false}},
		{"401, refresh invalid_grant", func(w *world.World, u map[string]string) { w.Sim.RevokeLogin(u["work"]) },
			want{1, "needs a new login", 1, 1, true, false}},
		{"connection refused", func(w *world.World, _ map[string]string) {
			w.Environ = append(w.Environ, "AIMONITOR_API_BASE="+closedAddress(t))
		}, want{1, "the connection was refused — check your network", 0, 0, false, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, uuids := cliWorld(t)
			if c.setup != nil {
				c.setup(w, uuids)
			}
			r := w.Run(context.Background(), "refresh")
			u, tk := counts(w)
			t.Logf("exit %d, %d usage + %d token requests\n%s%s", r.Code, u, tk, r.Stdout, r.Stderr)
			if r.Code != c.want.code {
				t.Fatalf("exit %d, want %d", r.Code, c.want.code)
			}
			if !strings.HasPrefix(r.Stdout, "work: ") || !strings.Contains(r.Stdout, c.want.stdout) || strings.Count(r.Stdout, "\n") != 1 {
				t.Errorf("stdout %q lacks %q", r.Stdout, c.want.stdout)
			}
			checkMessage(t, r.Stdout)
			if r.Code != 0 {
				checkMessage(t, lastLine(t, r))
			}
			if u != c.want.usage || tk != c.want.token {
				t.Errorf("%d usage and %d token requests, want %d and %d", u, tk, c.want.usage, c.want.token)
			}
			a := listState(t, w, "work")
			if a.NeedsRelogin != c.want.relogin {
				t.Errorf("needs_relogin %v, want %v", a.NeedsRelogin, c.want.relogin)
			}
			if c.want.relogin && !strings.Contains(a.ReloginReason, "log in again") {
				t.Errorf("relogin reason %q", a.ReloginReason)
			}
			if got := a.CooldownUntil != nil && a.CooldownUntil.After(time.Now()); got != c.want.cooldown {
				t.Errorf("cooldown_until %v, want set: %v", a.CooldownUntil, c.want.cooldown)
			}
			// Pressing refresh again at once asks nobody.
			r2 := w.Run(context.Background(), "refresh", "--json")
			u2, tk2 := counts(w)
			if u2 != u || tk2 != tk {
				t.Errorf("a second refresh sent %d usage and %d token requests", u2-u, tk2-tk)
			}
			var doc struct {
				Accounts []struct {
					Outcome string `json:"outcome"`
					Error   string `json:"error"`
				} `json:"accounts"`
			}
			err := json.Unmarshal([]byte(r2.Stdout), &doc)
			res := doc.Accounts
			if err != nil || len(res) != 1 {
				t.Fatalf("refresh --json: %v\n%s", err, r2.Stdout)
			}
			want := map[bool]string{true: "fresh", false: "waiting"}[c.want.code == 0]
			if c.want.relogin { // a dead login stays reported as such, not as held back
				want = "relogin"
			}
			if res[0].Outcome != want {
				t.Errorf("the second refresh: %s (%s), want %s", res[0].Outcome, res[0].Error, want)
			}
			w.CheckNoLeaks()
		})
	}
}

func setFault(f sim.Fault) func(w *world.World, _ map[string]string) {
	return func(w *world.World, _ map[string]string) {
		if err := w.Sim.SetFault(f); err != nil {
			panic(err)
		}
	}
}

// `aimonitor switch home` when home's access token has expired, under each
// fault of the token endpoint: the switch refuses in one clear line, Claude
// Code's files are untouched, one refresh is tried (never a retry storm),
// and once the fault clears the switch works — unless the fault cost the
// login (the endpoint rotated the token but the answer never arrived
// whole), which then shows as needing a new login.
func TestCLISwitchRefreshFaultMatrix(t *testing.T) {
	cases := []struct {
		name      string
		fault     *sim.Fault
		revoke    bool
		msg       string
		loginLost bool // the simulator rotated the refresh token before the answer broke
	}{
		{name: "refresh 500", fault: &sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointToken}, msg: "server error"},
		{name: "refresh 429", fault: &sim.Fault{Kind: sim.FaultThrottle, Endpoint: sim.EndpointToken, RetryAfter: "30"}, msg: "rate limited"},
		{name: "refresh 504 after a wait", fault: &sim.Fault{Kind: sim.FaultHang, Endpoint: sim.EndpointToken, Delay: 500 * time.Millisecond}, msg: "server error"},
		{name: "refresh wrong shape", fault: &sim.Fault{Kind: sim.FaultWrongShape, Endpoint: sim.EndpointToken}, msg: "cannot read"},
		{name: "refresh huge body", fault: &sim.Fault{Kind: sim.FaultHugeBody, Endpoint: sim.EndpointToken}, msg: "larger than"},
		{name: "refresh malformed JSON", fault: &sim.Fault{Kind: sim.FaultMalformedJSON, Endpoint: sim.EndpointToken}, msg: "cannot read", loginLost: true},
		{name: "refresh invalid_grant", revoke: true, msg: "has expired or was revoked"},
		{name: "token endpoint refused", msg: "anthropic token refresh: could not reach 127.0.0.1:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, uuids := cliWorld(t)
			w.ExpireStash(uuids["home"])
			credsBefore, _ := os.ReadFile(w.CredsPath())
			cfgBefore, _ := os.ReadFile(w.ConfigPath())
			environ := w.Environ
			switch {
			case c.fault != nil:
				if err := w.Sim.SetFault(*c.fault); err != nil {
					t.Fatal(err)
				}
			case c.revoke:
				w.Sim.RevokeLogin(uuids["home"])
			default:
				w.Environ = append(w.Environ, "AIMONITOR_TOKEN_URL="+closedAddress(t)+sim.TokenPath)
			}
			r := w.Run(context.Background(), "switch", "home")
			_, tk := counts(w)
			line := lastLine(t, r)
			t.Logf("exit %d, %d token requests: %s", r.Code, tk, line)
			if r.Code != 1 || r.Stdout != "" {
				t.Fatalf("exit %d, stdout %q", r.Code, r.Stdout)
			}
			checkMessage(t, line)
			if !strings.Contains(line, `switching to "home" (Claude Code's previous login is still in place)`) || !strings.Contains(line, c.msg) {
				t.Errorf("message lacks the account, the reassurance or %q: %s", c.msg, line)
			}
			if want := map[bool]int{true: 0, false: 1}[c.fault == nil && !c.revoke]; tk != want {
				t.Errorf("%d token requests, want %d", tk, want)
			}
			if creds, _ := os.ReadFile(w.CredsPath()); string(creds) != string(credsBefore) {
				t.Error("Claude Code's credential changed")
			}
			if cfg, _ := os.ReadFile(w.ConfigPath()); string(cfg) != string(cfgBefore) {
				t.Error("~/.claude.json changed")
			}
			if got := listState(t, w, "home").NeedsRelogin; got != c.revoke {
				t.Errorf("home needs_relogin %v, want %v", got, c.revoke)
			}
			// The fault clears.
			w.Sim.ClearFaults()
			w.Environ = environ
			r = w.Run(context.Background(), "switch", "home")
			switch {
			case c.revoke || c.loginLost:
				if r.Code != 1 || !strings.Contains(lastLine(t, r), "log in again") || !listState(t, w, "home").NeedsRelogin {
					t.Errorf("a lost login is not reported as such: exit %d %s", r.Code, r.Stderr)
				}
			case r.Code != 0:
				t.Errorf("after the fault cleared the switch still fails: %s", r.Stderr)
			default:
				if !listState(t, w, "home").Active {
					t.Error("home is not active after the switch")
				}
			}
			w.CheckNoLeaks()
		})
	}
}
