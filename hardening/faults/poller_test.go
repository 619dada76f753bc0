package faults

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/egress"
	"github.com/aimonitor/aimonitor/backend/keyring/keyringtest"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/internal/loopback"
)

// T0 is where the fake clocks start.
var T0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// pollWorld is the real polling stack on a fake clock: the simulator, the
// egress-checked Anthropic client, SQLite, the real accounts Manager over
// Claude Code's files in a temporary HOME (the keyring is the in-memory
// one: the keyring is not what these faults are about), and a Poller.
type pollWorld struct {
	t      *testing.T
	clk    *clock.Fake
	sim    *sim.Server
	m      *accounts.Manager
	db     *store.Store
	home   string
	poller *usage.Poller
	acc    daemon.ManagerAccounts
	kr     *keyringtest.Memory
	simURL string
	ids    map[string]int64
	uuids  map[string]string
}

const clientTimeout = 300 * time.Millisecond

// newPollWorld builds the world with two accounts, work (live in Claude
// Code) and home (saved only).
func newPollWorld(t *testing.T) *pollWorld {
	t.Helper()
	w := &pollWorld{t: t, clk: clock.NewFake(T0), home: t.TempDir(), ids: map[string]int64{}, uuids: map[string]string{}}
	w.sim = sim.New(w.clk, sim.WithRateLimit(0, time.Minute))
	srv := httptest.NewServer(w.sim)
	t.Cleanup(func() { w.sim.Close(); srv.Close() })
	w.simURL = srv.URL
	var err error
	w.db, err = store.Open(context.Background(), filepath.Join(t.TempDir(), "aimonitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.db.Close() })
	slot, err := claudecode.New(claudecode.Options{Env: claudecode.Env{Home: w.home, GOOS: "linux"}, LockWait: 2 * time.Second, ReadRetryDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.kr = keyringtest.New()
	w.m, err = accounts.New(accounts.Deps{
		Store: w.db, Keyring: w.kr, ClaudeCode: slot, Anthropic: newClient(t, w.clk, "", srv.URL),
		Clock: w.clk, LockFile: filepath.Join(filepath.Dir(w.home), "accounts.lock"), KeyringAccount: "tester",
		LockWait: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"home", "work"} {
		c, err := w.sim.AddAccount(sim.AccountSpec{Email: label + "@example.com", Windows: map[string]sim.WindowSpec{
			sim.FiveHour: {Utilization: 30, ResetsIn: 3 * time.Hour, RatePerHour: 5},
		}})
		if err != nil {
			t.Fatal(err)
		}
		writeLogin(t, w.home, c)
		a, err := w.m.AdoptCurrent(context.Background(), label)
		if err != nil {
			t.Fatal(err)
		}
		w.ids[label], w.uuids[label] = a.ID, c.Identity.AccountUUID
	}
	w.acc = daemon.FromManager(w.m)
	w.poller = usage.NewPoller(usage.NewHistory(w.db), w.acc, newClient(t, w.clk, "", srv.URL), w.clk, usage.PollerOptions{Jitter: func() float64 { return 0.5 }})
	w.sim.ResetLog()
	return w
}

// newClient is an egress-checked client for the simulator at simURL, its
// API base replaced by apiBase when set.
func newClient(t *testing.T, clk clock.Clock, apiBase, simURL string) *anthropic.Client {
	t.Helper()
	if apiBase == "" {
		apiBase = simURL
	}
	policy, err := egress.PolicyFromOverrides(apiBase, simURL+sim.TokenPath, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := anthropic.New(egress.NewClient(policy), clk, anthropic.WithBaseURL(apiBase), anthropic.WithTokenURL(simURL+sim.TokenPath), anthropic.WithTimeout(clientTimeout))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var closed string

// closedAddress is a loopback URL nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	if closed == "" {
		closed = "http://" + loopback.ClosedAddr(t)
	}
	return closed
}

// writeLogin plays Claude Code's /login in home.
func writeLogin(t *testing.T, home string, c sim.Credentials) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".claude", ".credentials.json"), c.ClaudeCodeJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]json.RawMessage{"numStartups": json.RawMessage("3"), "oauthAccount": c.OAuthAccountJSON()})
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
}

// refuseUsage points the poller at a closed port: connection refused.
func (w *pollWorld) refuseUsage() {
	w.poller = usage.NewPoller(usage.NewHistory(w.db), w.acc, newClient(w.t, w.clk, closedAddress(w.t), w.simURL), w.clk, usage.PollerOptions{Jitter: func() float64 { return 0.5 }})
}

func (w *pollWorld) account(label string) usage.Account {
	w.t.Helper()
	list, err := w.acc.List(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	for _, a := range list {
		if a.Label == label {
			return a
		}
	}
	w.t.Fatalf("no account %s", label)
	return usage.Account{}
}

// requests counts what reached the simulator for one account's usage and
// token endpoints (refused connections never reach it).
func (w *pollWorld) requests(label string) (usageN, tokenN int) {
	for _, r := range w.sim.Log().Requests {
		if r.Account != w.uuids[label] && r.Account != "" {
			continue
		}
		switch r.Endpoint {
		case sim.EndpointUsage:
			usageN++
		case sim.EndpointToken:
			tokenN++
		}
	}
	return usageN, tokenN
}

// pollCase is one row of the poller's matrix.
type pollCase struct {
	name  string
	label string // which account is polled: work (live) or home (saved only)
	setup func(w *pollWorld)
	// Bounds on requests over the run (every ask is an impatient caller
	// pressing refresh every 30 s for two hours: 240 asks).
	minUsage, maxUsage int
	maxToken           int
	relogin            bool   // ends flagged needs_relogin
	cooldown           bool   // a Retry-After ended up in accounts.cooldown_until
	kind               string // usage_poll.error_kind at the end ("" when fine)
	msg                string // the result's message contains this
}

const (
	runFor   = 2 * time.Hour
	askEvery = 30 * time.Second
)

func fault(f sim.Fault) func(w *pollWorld) {
	return func(w *pollWorld) {
		if err := w.sim.SetFault(f); err != nil {
			w.t.Fatal(err)
		}
	}
}

// Every fault keeps the poller within a few requests in two hours of asks
// every 30 s (a working endpoint gets one per minute: the spacing), ends in
// the right state, and explains itself in one clean line.
func TestPollerFaultMatrix(t *testing.T) {
	throttle := func(ra string) sim.Fault {
		return sim.Fault{Kind: sim.FaultThrottle, Endpoint: sim.EndpointUsage, RetryAfter: ra}
	}
	// Exponential backoff from 60 s to 30 min fits 8 requests in two hours.
	const backoffMax = 10
	cases := []pollCase{
		{name: "healthy (control)", label: "work", minUsage: 100, maxUsage: 121, kind: ""},
		{name: "429 Retry-After 120", label: "work", setup: fault(throttle("120")), minUsage: 3, maxUsage: backoffMax, cooldown: true, kind: usage.KindThrottled, msg: "rate limited"},
		{name: "429 without Retry-After", label: "work", setup: fault(throttle("")), minUsage: 3, maxUsage: backoffMax, cooldown: true, kind: usage.KindThrottled, msg: "rate limited"},
		{name: "429 Retry-After 0", label: "work", setup: fault(throttle("0")), minUsage: 3, maxUsage: backoffMax, cooldown: true, kind: usage.KindThrottled, msg: "rate limited"},
		{name: "429 Retry-After 7200", label: "work", setup: fault(throttle("7200")), minUsage: 1, maxUsage: 1, cooldown: true, kind: usage.KindThrottled, msg: "rate limited"},
		{name: "500", label: "work", setup: fault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointUsage}), minUsage: 3, maxUsage: backoffMax, kind: usage.KindServer, msg: "server error"},
		{name: "529 overloaded", label: "home", setup: fault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointUsage, Status: 529}), minUsage: 3, maxUsage: backoffMax, kind: usage.KindServer, msg: "server error"},
		{name: "connection refused", label: "work", setup: nil, minUsage: 0, maxUsage: 0, kind: usage.KindNetwork, msg: "the connection was refused — check your network"},
		{name: "timeout (no answer)", label: "work", setup: fault(sim.Fault{Kind: sim.FaultHang, Endpoint: sim.EndpointUsage, Delay: 3 * time.Second}), minUsage: 3, maxUsage: backoffMax, kind: usage.KindNetwork, msg: "no answer within"},
		{name: "slow body", label: "work", setup: fault(sim.Fault{Kind: sim.FaultSlowBody, Endpoint: sim.EndpointUsage, Delay: 100 * time.Millisecond}), minUsage: 3, maxUsage: backoffMax, kind: usage.KindNetwork, msg: "broke off: it did not finish within"},
		{name: "huge body", label: "work", setup: fault(sim.Fault{Kind: sim.FaultHugeBody, Endpoint: sim.EndpointUsage}), minUsage: 3, maxUsage: backoffMax, kind: usage.KindMalformed, msg: "cannot read"},
		{name: "malformed JSON", label: "home", setup: fault(sim.Fault{Kind: sim.FaultMalformedJSON, Endpoint: sim.EndpointUsage}), minUsage: 3, maxUsage: backoffMax, kind: usage.KindMalformed, msg: "cannot read"},
		{name: "wrong shape", label: "work", setup: fault(sim.Fault{Kind: sim.FaultWrongShape, Endpoint: sim.EndpointUsage}), minUsage: 3, maxUsage: backoffMax, kind: usage.KindMalformed, msg: "cannot read"},
		{name: "403 missing scope", label: "work", setup: fault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointUsage, Status: 403}),
			// Only a new login helps: asked again every 15 min in case it came.
			minUsage: 3, maxUsage: 9, relogin: true, kind: usage.KindRelogin, msg: "user:profile"},
		{name: "401, refresh works", label: "work", setup: func(w *pollWorld) { w.sim.ExpireAccessTokens(w.uuids["work"]) },
			minUsage: 100, maxUsage: 122, maxToken: 1, kind: ""},
		{name: "401 on a saved login, refresh works", label: "home", setup: func(w *pollWorld) { w.sim.ExpireAccessTokens(w.uuids["home"]) },
			minUsage: 100, maxUsage: 122, maxToken: 1, kind: ""},
		{name: "401, refresh invalid_grant (revoked)", label: "work", setup: func(w *pollWorld) { w.sim.RevokeLogin(w.uuids["work"]) },
			minUsage: 3, maxUsage: 9, maxToken: 9, relogin: true, kind: usage.KindRelogin, msg: "log in again"},
		{name: "401 on a saved login, refresh invalid_grant", label: "home", setup: func(w *pollWorld) { w.sim.RevokeLogin(w.uuids["home"]) },
			minUsage: 3, maxUsage: 9, maxToken: 9, relogin: true, kind: usage.KindRelogin, msg: "log in again"},
		{name: "401, refresh answers 500", label: "work", setup: func(w *pollWorld) {
			w.sim.ExpireAccessTokens(w.uuids["work"])
			fault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointToken})(w)
		}, minUsage: 3, maxUsage: backoffMax, maxToken: backoffMax, kind: usage.KindServer, msg: "token refresh: Anthropic had a server error"},
		{name: "401, refresh times out", label: "home", setup: func(w *pollWorld) {
			w.sim.ExpireAccessTokens(w.uuids["home"])
			fault(sim.Fault{Kind: sim.FaultHang, Endpoint: sim.EndpointToken, Delay: 3 * time.Second})(w)
		}, minUsage: 3, maxUsage: backoffMax, maxToken: backoffMax, kind: usage.KindNetwork, msg: "token refresh: could not reach 127.0.0.1:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newPollWorld(t)
			ctx := context.Background()
			// One good answer first: what a failure must keep showing.
			first := w.poller.Fetch(ctx, w.account(c.label))
			if first.Outcome != usage.Fetched {
				t.Fatalf("the first fetch: %s %v", first.Outcome, first.Err)
			}
			w.clk.Advance(askEvery)
			if c.name == "connection refused" {
				w.refuseUsage()
			}
			if c.setup != nil {
				c.setup(w)
			}
			w.sim.ResetLog()
			end := w.clk.Now().Add(runFor)
			var last usage.Result
			outcomes := map[usage.Outcome]int{}
			for w.clk.Now().Before(end) {
				last = w.poller.Fetch(ctx, w.account(c.label))
				outcomes[last.Outcome]++
				if last.Err != nil {
					checkMessage(t, last.Err.Error())
				}
				w.clk.Advance(askEvery)
			}
			u, tk := w.requests(c.label)
			t.Logf("%d usage and %d token requests in %s; outcomes %v; last: %v", u, tk, runFor, outcomes, last.Err)
			if u < c.minUsage || u > c.maxUsage {
				t.Errorf("%d usage requests, want %d..%d", u, c.minUsage, c.maxUsage)
			}
			if tk > c.maxToken {
				t.Errorf("%d token requests, want at most %d", tk, c.maxToken)
			}
			a := w.account(c.label)
			if a.NeedsRelogin != c.relogin {
				t.Errorf("needs_relogin %v, want %v (%q)", a.NeedsRelogin, c.relogin, a.ReloginReason)
			}
			if (a.CooldownUntil != nil && a.CooldownUntil.After(T0)) != c.cooldown {
				t.Errorf("cooldown_until %v, want set: %v", a.CooldownUntil, c.cooldown)
			}
			states, err := usage.NewHistory(w.db).PollStates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st := states[a.ID]; st.ErrorKind != c.kind {
				t.Errorf("error kind %q, want %q (%s)", st.ErrorKind, c.kind, st.LastError)
			} else if c.msg != "" && !strings.Contains(st.LastError+" "+errText(last.Err), c.msg) {
				t.Errorf("message %q / %v lacks %q", st.LastError, last.Err, c.msg)
			}
			// Numbers fetched before a failure are kept, with their age.
			if c.kind != "" {
				if last.Sample == nil || !last.Sample.FetchedAt.Equal(first.Sample.FetchedAt) {
					t.Errorf("the last good numbers were not kept: %+v", last.Sample)
				}
				if last.Outcome == usage.Fresh || last.Outcome == usage.Fetched {
					t.Errorf("a failing account reported %s numbers", last.Outcome)
				}
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
