//go:build linux

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/notify"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// world is a user's machine: a temporary HOME, a real keyring on a private
// bus, the simulator on a fake clock, and the real Claude Code CLI.
type world struct {
	t       *testing.T
	home    string
	clk     *clock.Fake
	sim     *sim.Server
	environ []string
	claude  string
	sent    *recorder
}

func newWorld(t *testing.T) *world {
	claude := claudeBin(t)
	bus := testbus.NewKeyring(t)
	// The fake clock starts at the real time: the accounts Manager judges
	// token expiry by the wall clock, the simulator by this one.
	w := &world{t: t, home: t.TempDir(), clk: clock.NewFake(time.Now().UTC().Truncate(time.Second)), claude: claude, sent: &recorder{}}
	w.sim = sim.New(w.clk, sim.WithRateLimit(0, time.Minute))
	srv := httptest.NewServer(w.sim)
	t.Cleanup(func() { w.sim.Close(); srv.Close() })
	w.environ = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + w.home, "USER=tester", "LANG=C.UTF-8",
		"AIMONITOR_API_BASE=" + srv.URL, "AIMONITOR_TOKEN_URL=" + srv.URL + sim.TokenPath,
		"AIMONITOR_RELEASES_URL=" + srv.URL + "/repos/" + buildinfo.ReleasesRepo + "/releases",
	}, bus.Vars()...)
	return w
}

// daemonOptions are the substitutes a command of the daemon test runs with.
type daemonOptions struct {
	clock      clock.Clock // the world's fake clock when nil
	daemonDeps func(*daemon.Deps)
}

// command runs one aimonitor command in-process with a service of its own,
// as a separate process would.
func (w *world) command(ctx context.Context, o daemonOptions, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	if o.clock == nil {
		o.clock = w.clk
	}
	a := &app{
		deps:  Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Environ: w.environ},
		clock: o.clock, daemonDeps: o.daemonDeps,
	}
	code := a.run(ctx, args)
	text := out.String()
	if strings.Contains(text+errOut.String(), "sk-ant-") {
		w.t.Errorf("a token was printed by aimonitor %v", args)
	}
	if code != 0 {
		return text, errors.New(errOut.String())
	}
	return text, nil
}

func (w *world) must(args ...string) string {
	w.t.Helper()
	out, err := w.command(context.Background(), daemonOptions{}, args...)
	if err != nil {
		w.t.Fatalf("aimonitor %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// login plays `claude /login`: Claude Code's credential file and oauthAccount.
func (w *world) login(c sim.Credentials) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Join(w.home, ".claude"), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.home, ".claude", ".credentials.json"), c.ClaudeCodeJSON(), 0o600); err != nil {
		w.t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]json.RawMessage{"numStartups": json.RawMessage("3"), "oauthAccount": c.OAuthAccountJSON()})
	if err := os.WriteFile(filepath.Join(w.home, ".claude.json"), cfg, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) add(label string, spec sim.AccountSpec) sim.Credentials {
	w.t.Helper()
	c, err := w.sim.AddAccount(spec)
	if err != nil {
		w.t.Fatal(err)
	}
	w.login(c)
	w.must("add", "--adopt-current", "--label", label)
	return c
}

// claudeEmail asks the real Claude Code who is logged in (without network
// where the machine allows it).
func (w *world) claudeEmail() string {
	w.t.Helper()
	args := []string{w.claude, "auth", "status", "--json"}
	if exec.Command("unshare", "-rn", "true").Run() == nil {
		args = append([]string{"unshare", "-rn"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + w.home, "USER=tester", "LANG=C.UTF-8",
		"DISABLE_AUTOUPDATER=1", "DISABLE_TELEMETRY=1", "DISABLE_ERROR_REPORTING=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"}
	out, _ := cmd.Output()
	var st struct {
		LoggedIn bool   `json:"loggedIn"`
		Email    string `json:"email"`
	}
	if err := json.Unmarshal(out, &st); err != nil || !st.LoggedIn {
		w.t.Fatalf("claude auth status --json: %v %s", err, out)
	}
	return st.Email
}

// liveEmail reads the oauthAccount Claude Code would show (cheap enough to
// check on every step; the real CLI confirms at the end).
func (w *world) liveEmail() string {
	data, err := os.ReadFile(filepath.Join(w.home, ".claude.json"))
	if err != nil {
		return ""
	}
	var cfg struct {
		OAuthAccount struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"oauthAccount"`
	}
	json.Unmarshal(data, &cfg)
	return cfg.OAuthAccount.EmailAddress
}

type listDoc struct {
	Accounts []struct {
		Label         string           `json:"label"`
		Active        bool             `json:"active"`
		NeedsRelogin  bool             `json:"needs_relogin"`
		ReloginReason string           `json:"relogin_reason"`
		CooldownUntil *time.Time       `json:"cooldown_until"`
		Usage         *usage.ListUsage `json:"usage"`
	} `json:"accounts"`
}

func (w *world) list() listDoc {
	w.t.Helper()
	var d listDoc
	if err := json.Unmarshal([]byte(w.must("list", "--json")), &d); err != nil {
		w.t.Fatal(err)
	}
	return d
}

type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) Send(_ context.Context, m notify.Message) (uint32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m.Summary)
	return 0, nil
}

// stepper runs `aimonitor daemon` in-process, one loop iteration per step.
type stepper struct {
	w      *world
	idle   chan time.Time
	next   time.Time
	cancel context.CancelFunc
	done   chan error
}

func (w *world) startDaemon() *stepper {
	s := &stepper{w: w, idle: make(chan time.Time), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	o := daemonOptions{daemonDeps: func(d *daemon.Deps) {
		d.Clock, d.Sender, d.Jitter = w.clk, w.sent, func() float64 { return 0.5 }
		// Fewer idle ticks: the loop still wakes for every poll and swap.
		d.Heartbeat = time.Minute
		d.Idle = func(next time.Time) {
			select {
			case s.idle <- next:
			case <-ctx.Done():
			}
		}
	}}
	go func() {
		_, err := w.command(ctx, o, "daemon")
		s.done <- err
	}()
	select {
	case s.next = <-s.idle:
	case err := <-s.done:
		w.t.Fatalf("the daemon stopped: %v", err)
	}
	w.t.Cleanup(s.stop)
	return s
}

func (s *stepper) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	if err := <-s.done; err != nil {
		s.w.t.Errorf("daemon: %v", err)
	}
	s.cancel = nil
}

func (s *stepper) until(limit time.Duration, what string, cond func() bool) {
	s.w.t.Helper()
	end := s.w.clk.Now().Add(limit)
	for !cond() {
		if s.w.clk.Now().After(end) {
			out, _ := s.w.command(context.Background(), daemonOptions{}, "usage", "--json")
			s.w.t.Fatalf("%s did not happen within %v of simulated time; status:\n%s", what, limit, out)
		}
		s.w.clk.Set(s.next)
		select {
		case s.next = <-s.idle:
		case err := <-s.done:
			s.w.t.Fatalf("the daemon stopped: %v", err)
		case <-time.After(20 * time.Second):
			s.w.t.Fatal("the daemon loop did not come back")
		}
	}
}

func (w *world) usageRequests(uuid string, status int, from, to time.Time) int {
	n := 0
	for _, r := range w.sim.Log().Requests {
		if r.Endpoint == sim.EndpointUsage && r.Account == uuid && (status == 0 || r.Status == status) && !r.At.Before(from) && r.At.Before(to) {
			n++
		}
	}
	return n
}

// A daemon-only install (no widget) with auto_update.enabled on checks for a
// new release: the poller owner runs the check, whichever process it is.
func TestDaemonChecksForReleases(t *testing.T) {
	w := newWorld(t)
	w.add("work", sim.AccountSpec{Email: "me@work.example", Windows: map[string]sim.WindowSpec{
		sim.FiveHour: {Utilization: 10, ResetsIn: 3 * time.Hour},
	}})
	w.startDaemon()
	deadline := time.Now().Add(30 * time.Second)
	for w.sim.Log().Count(sim.EndpointReleases, 200) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the daemon never asked for the releases list")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDaemonEndToEnd runs the real commands, the real accounts Manager and
// keyring, and judges switches with the real Claude Code: the active
// account crosses 80 % and the daemon swaps (grace 0); a 429 with
// Retry-After 120 s silences every process for 120 s; a revoked login
// shows as needs_relogin in `list --json`.
func TestDaemonEndToEnd(t *testing.T) {
	w := newWorld(t)
	work := w.add("work", sim.AccountSpec{Email: "me@work.example", OrganizationName: "Work Inc", Windows: map[string]sim.WindowSpec{
		sim.FiveHour: {Utilization: 70, ResetsIn: 3 * time.Hour, RatePerHour: 30},
		sim.SevenDay: {Utilization: 20, ResetsIn: 100 * time.Hour, RatePerHour: 2},
	}})
	home := w.add("home", sim.AccountSpec{Email: "me@home.example", SubscriptionType: "pro", Windows: map[string]sim.WindowSpec{
		sim.FiveHour: {Utilization: 10, ResetsIn: 2 * time.Hour},
		sim.SevenDay: {Utilization: 10, ResetsIn: 50 * time.Hour},
	}})
	// old has more 5-hour room but less 7-day room than work: home, lower
	// on both windows, is the better target.
	old := w.add("old", sim.AccountSpec{Email: "me@old.example", Windows: map[string]sim.WindowSpec{
		sim.FiveHour: {Utilization: 5, ResetsIn: 2 * time.Hour},
		sim.SevenDay: {Utilization: 50, ResetsIn: 50 * time.Hour},
	}})
	w.must("switch", "work")
	if got := w.claudeEmail(); got != "me@work.example" {
		t.Fatalf("Claude Code uses %s before the test", got)
	}
	cfgDir := filepath.Join(w.home, ".config", "aimonitor")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "config.yaml"), []byte("auto_swap:\n  grace_sec: 0\npoll:\n  interval_sec: 600\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// 1. work crosses 80 % after 20 minutes; the daemon swaps to home.
	start := w.clk.Now()
	d := w.startDaemon()
	d.until(time.Hour, "the automatic swap", func() bool { return w.liveEmail() == "me@home.example" })
	swappedAt := w.clk.Now()
	if got := w.claudeEmail(); got != "me@home.example" {
		t.Fatalf("Claude Code reports %s after the swap", got)
	}
	t.Logf("crossing at +20m0s, Claude Code reports home at +%v", swappedAt.Sub(start))
	if lag := swappedAt.Sub(start.Add(20 * time.Minute)); lag < 0 || lag > time.Minute {
		t.Fatalf("swap %v after the crossing", lag)
	}
	log := w.must("log")
	if !strings.Contains(log, "auto") || !strings.Contains(log, "home") {
		t.Fatalf("aimonitor log does not show the automatic switch:\n%s", log)
	}
	l := w.list()
	for _, a := range l.Accounts {
		if a.Label == "home" && !a.Active || a.Label == "work" && a.Active {
			t.Fatalf("list after the swap: %+v", l.Accounts)
		}
		if a.Label == "work" && (a.Usage == nil || a.Usage.FiveHour == nil || a.Usage.FiveHour.Utilization < 80 || a.Usage.SevenDay == nil) {
			t.Fatalf("work's usage in list --json: %+v", a.Usage)
		}
	}

	// 2. A 429 with Retry-After 120 s for home, now polled by the daemon.
	if err := w.sim.SetFault(sim.Fault{Kind: sim.FaultThrottle, Endpoint: sim.EndpointUsage, Account: home.Identity.AccountUUID, RetryAfter: "120", Times: 1}); err != nil {
		t.Fatal(err)
	}
	homeUUID := home.Identity.AccountUUID
	d.until(time.Hour, "a 429", func() bool { return w.usageRequests(homeUUID, 429, start, w.clk.Now().Add(time.Second)) == 1 })
	throttled := w.clk.Now()
	// Another process asks right away, and again later: nothing is sent.
	// Nothing fetched: exit 3 (see exitCodesHelp), the stored numbers shown.
	out, err := w.command(context.Background(), daemonOptions{}, "refresh")
	if err == nil || !strings.Contains(err.Error(), "nothing fetched") || !strings.Contains(out, "home: ") || !strings.Contains(out, "not asked") {
		t.Fatalf("refresh right after the 429:\n%s", out)
	}
	d.until(5*time.Minute, "60 s to pass", func() bool { return !w.clk.Now().Before(throttled.Add(60 * time.Second)) })
	if w.clk.Now().After(throttled.Add(110 * time.Second)) {
		t.Fatalf("the daemon slept past the Retry-After: %v", w.clk.Now().Sub(throttled))
	}
	if out, _ := w.command(context.Background(), daemonOptions{}, "refresh", "home"); !strings.Contains(out, "not asked") {
		t.Fatalf("refresh %v after the 429:\n%s", w.clk.Now().Sub(throttled), out)
	}
	d.until(15*time.Minute, "polling of home to resume", func() bool {
		return w.usageRequests(homeUUID, 200, throttled, w.clk.Now().Add(time.Second)) > 0
	})
	if n := w.usageRequests(homeUUID, 0, throttled.Add(time.Millisecond), throttled.Add(120*time.Second)); n != 0 {
		t.Fatalf("%d usage requests for home within 120 s of the 429", n)
	}

	// 3. old's login is revoked (a /logout elsewhere): refresh flags it.
	if err := w.sim.RevokeLogin(old.Identity.AccountUUID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.command(context.Background(), daemonOptions{}, "refresh", "old"); err == nil {
		t.Fatal("refreshing a revoked login succeeded")
	}
	for _, a := range w.list().Accounts {
		if a.Label == "old" && (!a.NeedsRelogin || !strings.Contains(a.ReloginReason, "revoked")) {
			t.Fatalf("old in list --json: %+v", a)
		}
	}
	d.until(time.Minute, "the daemon to publish it", func() bool {
		var doc UsageOutput
		if err := json.Unmarshal([]byte(w.must("usage", "--json")), &doc); err != nil {
			t.Fatal(err)
		}
		for _, a := range doc.Accounts {
			if a.Label == "old" && a.NeedsRelogin {
				return doc.PolledBy != nil && doc.PolledBy.Mode == daemon.ModeDaemon
			}
		}
		return false
	})
	if text := w.must("usage"); !strings.Contains(text, "needs a new login") || !strings.Contains(text, "Polled by aimonitor daemon") {
		t.Fatalf("usage:\n%s", text)
	}
	d.until(time.Minute, "the notification", func() bool {
		w.sent.mu.Lock()
		defer w.sent.mu.Unlock()
		return strings.Contains(strings.Join(w.sent.got, "|"), "old needs a new login")
	})
	w.sent.mu.Lock()
	t.Logf("notifications: %q", w.sent.got)
	w.sent.mu.Unlock()
	_ = work
}
