package daemon_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/notify"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/backend/usage/usagetest"
)

// recorder is a notify.Sender that keeps what it was asked to show.
type recorder struct {
	mu  sync.Mutex
	got []notify.Message
}

func (r *recorder) Send(_ context.Context, m notify.Message) (uint32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
	return uint32(len(r.got)), nil
}

func (r *recorder) summaries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.got {
		out = append(out, m.Summary)
	}
	return out
}

// harness runs a Daemon on the simulated world, one loop iteration per step.
type harness struct {
	t    *testing.T
	env  *usagetest.Env
	dm   *daemon.Daemon
	sent *recorder
	idle chan time.Time
	next time.Time

	mu  sync.Mutex
	cfg config.Config

	cancel context.CancelFunc
	done   chan error
}

func fixedJitter() float64 { return 0.5 }

func start(t *testing.T, env *usagetest.Env, cfg config.Config, tweak ...func(*daemon.Deps)) *harness {
	t.Helper()
	h := &harness{t: t, env: env, sent: &recorder{}, idle: make(chan time.Time), cfg: cfg, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	deps := daemon.Deps{
		Store: env.Store, Accounts: env.Accounts, Client: env.Client, Clock: env.Clock,
		Config:   h.config,
		LockFile: filepath.Join(filepath.Dir(env.DBFile), daemon.LockName),
		Sender:   h.sent,
		Jitter:   fixedJitter,
		Idle: func(next time.Time) {
			select {
			case h.idle <- next:
			case <-ctx.Done():
			}
		},
	}
	for _, f := range tweak {
		f(&deps)
	}
	dm, err := daemon.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	h.dm = dm
	go func() { h.done <- dm.Run(ctx) }()
	t.Cleanup(h.stop)
	h.next = <-h.idle
	return h
}

func (h *harness) config() config.Config {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cfg
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	h.cancel = nil
}

// step moves the clock to where the loop waits and lets it run once.
func (h *harness) step() {
	h.env.Clock.Set(h.next)
	select {
	case h.next = <-h.idle:
	case <-time.After(10 * time.Second):
		h.t.Fatal("the daemon loop did not come back")
	}
}

// until steps until cond holds, failing after limit of simulated time.
func (h *harness) until(limit time.Duration, what string, cond func() bool) {
	h.t.Helper()
	end := h.env.Clock.Now().Add(limit)
	for !cond() {
		if h.env.Clock.Now().After(end) {
			h.t.Fatalf("after %v of simulated time: %s did not happen", limit, what)
		}
		h.step()
	}
}

func defaultConfig() config.Config {
	c := config.Default()
	c.Poll.IntervalSec = 600
	return c
}

func queryInts(t *testing.T, db *store.Store, q string, args ...any) [][]string {
	t.Helper()
	var rows [][]string
	err := db.Read(context.Background(), func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, q, &sqlitex.ExecOptions{Args: args, ResultFunc: func(st *sqlite.Stmt) error {
			var row []string
			for i := 0; i < st.ColumnCount(); i++ {
				row = append(row, st.ColumnText(i))
			}
			rows = append(rows, row)
			return nil
		}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The active account crosses 80 % of its 5-hour window; with grace 0 the
// daemon switches to the other account within a minute of the crossing,
// through the Manager's Switch with trigger "auto" and its reason, records
// the decision, notifies, and publishes the new state.
func TestSwapsWhenTheActiveAccountCrossesTheThreshold(t *testing.T) {
	env := usagetest.New(t)
	workID, workUUID := env.Add(t, "work", map[string]sim.WindowSpec{
		sim.FiveHour: {Utilization: 70, ResetsIn: 3 * time.Hour, RatePerHour: 30},
		sim.SevenDay: {Utilization: 20, ResetsIn: 100 * time.Hour, RatePerHour: 3},
	})
	homeID, _ := env.Add(t, "home", map[string]sim.WindowSpec{
		sim.FiveHour: {Utilization: 10, ResetsIn: 2 * time.Hour},
		sim.SevenDay: {Utilization: 30, ResetsIn: 50 * time.Hour},
	})
	cfg := defaultConfig()
	cfg.AutoSwap.GraceSec = 0
	h := start(t, env, cfg)
	crossing := usagetest.T0.Add(20 * time.Minute) // 70 % + 30 %/h reaches 80 % after 20 minutes

	h.until(time.Hour, "an automatic swap", func() bool { return len(env.Accounts.Switches()) > 0 })
	sw := env.Accounts.Switches()[0]
	if sw.Label != "home" || sw.Trigger != "auto" || !strings.Contains(sw.Reason, "work: 5-hour window at 8") || !strings.Contains(sw.Reason, "home") {
		t.Fatalf("switch %+v", sw)
	}
	t.Logf("crossed 80 %% at %s, swapped at %s (%q)", crossing.Format("15:04:05"), sw.At.Format("15:04:05"), sw.Reason)
	if lag := sw.At.Sub(crossing); lag < 0 || lag > time.Minute {
		t.Fatalf("swapped %v after the crossing, want within a minute", lag)
	}
	if env.Accounts.Active() != homeID {
		t.Fatal("home is not active")
	}
	rows := queryInts(t, env.Store, "SELECT trigger, ok, to_label FROM switch_log")
	if len(rows) != 1 || rows[0][0] != "auto" || rows[0][1] != "1" || rows[0][2] != "home" {
		t.Fatalf("switch_log %v", rows)
	}
	audit := queryInts(t, env.Store, "SELECT action, from_id, to_id, reason FROM autoswap_log ORDER BY id")
	if len(audit) == 0 || audit[len(audit)-1][0] != "fired" || audit[len(audit)-1][1] != "1" || audit[len(audit)-1][2] != "2" {
		t.Fatalf("autoswap_log %v", audit)
	}

	h.until(time.Minute, "the status showing home active", func() bool {
		doc := h.dm.Status()
		for _, a := range doc.Accounts {
			if a.Label == "home" && a.Active && a.Usage != nil && a.Usage.FetchedAt.After(sw.At.Add(-time.Second)) {
				return true
			}
		}
		return false
	})
	doc := h.dm.Status()
	if doc.PendingSwap != nil || doc.LastDecision == nil || doc.LastDecision.Action != "fired" || doc.Owner.Mode != daemon.ModeDaemon {
		t.Fatalf("status %+v", doc)
	}
	if got := h.sent.summaries(); len(got) != 1 || got[0] != "Claude Code now uses home" {
		t.Fatalf("notifications %q", got)
	}
	// Economy: before the crossing the daemon polled work rarely; it never
	// polled home except just in time and right after the swap.
	t.Logf("usage requests: work %d, all %d", env.Requests(workUUID), env.Requests(""))
	if n := env.Requests(workUUID); n > 8 {
		t.Fatalf("%d requests for work in ~20 minutes", n)
	}
	_ = workID
}

// With a grace period the swap is announced first (naming the target);
// a manual switch during the grace wins and cancels it.
func TestManualSwitchCancelsThePendingSwap(t *testing.T) {
	env := usagetest.New(t)
	env.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 79, ResetsIn: 3 * time.Hour, RatePerHour: 30}})
	env.Add(t, "home", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 10, ResetsIn: 2 * time.Hour}})
	env.Add(t, "spare", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 50, ResetsIn: 2 * time.Hour}})
	cfg := defaultConfig()
	cfg.AutoSwap.GraceSec = 120
	h := start(t, env, cfg)
	h.until(30*time.Minute, "an armed swap", func() bool { return h.dm.Status() != nil && h.dm.Status().PendingSwap != nil })
	p := h.dm.Status().PendingSwap
	if p.Target != "home" || p.From != "work" {
		t.Fatalf("pending %+v", p)
	}
	if got := h.sent.summaries(); len(got) != 1 || !strings.HasPrefix(got[0], "Switching Claude Code to home at ") {
		t.Fatalf("notifications %q", got)
	}
	// The user picks spare themselves (the CLI or the widget).
	if err := env.Accounts.Switch(context.Background(), "spare", "manual", ""); err != nil {
		t.Fatal(err)
	}
	h.dm.Wake()
	h.until(time.Minute, "the pending swap to go", func() bool { return h.dm.Status().PendingSwap == nil })
	h.until(5*time.Minute, "the grace period to pass", func() bool { return h.env.Clock.Now().After(p.FiresAt.Add(time.Minute)) })
	for _, sw := range env.Accounts.Switches() {
		if sw.Trigger == "auto" {
			t.Fatalf("an automatic swap happened after the manual one: %+v", sw)
		}
	}
	if got := h.sent.summaries(); len(got) != 2 || got[1] != "Not switching to home" {
		t.Fatalf("notifications %q", got)
	}
	audit := queryInts(t, env.Store, "SELECT action, reason FROM autoswap_log ORDER BY id")
	if last := audit[len(audit)-1]; last[0] != "cancelled" || !strings.Contains(last[1], "by hand") {
		t.Fatalf("autoswap_log %v", audit)
	}
}

// A 429 with Retry-After 120 s: no process asks for that account's usage
// for 120 s — not the daemon, not a second process refreshing on its own
// connection pool and HTTP client.
func TestRetryAfterSilencesEveryProcess(t *testing.T) {
	env := usagetest.New(t)
	_, uuid := env.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 10, ResetsIn: 3 * time.Hour, RatePerHour: 5}})
	h := start(t, env, defaultConfig())
	h.until(time.Minute, "the first poll", func() bool { return env.Requests(uuid) == 1 })
	if err := env.Sim.SetFault(sim.Fault{Kind: sim.FaultThrottle, Endpoint: sim.EndpointUsage, RetryAfter: "120", Times: 1}); err != nil {
		t.Fatal(err)
	}
	h.until(time.Hour, "a throttled poll", func() bool { return env.Sim.Log().Count(sim.EndpointUsage, 429) == 1 })
	throttled := env.Clock.Now()

	// A second process: its own database handle, HTTP client and poller.
	other := usagetest.OpenStore(t, env.DBFile)
	client := usagetest.NewClient(t, env.Clock, env.URL)
	cli := usage.NewPoller(usage.NewHistory(other), env.Accounts.Sibling(other, client), client, env.Clock, usage.PollerOptions{})
	refresh := func() usage.Outcome {
		res, err := usage.RefreshAccounts(context.Background(), cli, env.Accounts.Sibling(other, client), nil, nil)
		if err != nil || len(res) != 1 {
			t.Fatalf("refresh: %v %v", res, err)
		}
		return res[0].Outcome
	}
	if o := refresh(); o != usage.Waiting {
		t.Fatalf("refresh right after the 429: %s", o)
	}
	h.until(3*time.Minute, "120 s to pass", func() bool {
		if now := env.Clock.Now(); now.Before(throttled.Add(120 * time.Second)) {
			if o := refresh(); o != usage.Waiting {
				t.Fatalf("refresh at +%v: %s", now.Sub(throttled), o)
			}
			return false
		}
		return true
	})
	for _, r := range env.Sim.Log().Requests {
		if r.Endpoint == sim.EndpointUsage && r.At.After(throttled) && r.At.Before(throttled.Add(120*time.Second)) {
			t.Fatalf("a usage request %v after the 429", r.At.Sub(throttled))
		}
	}
	h.until(11*time.Minute, "polling to resume", func() bool { return env.Sim.Log().Count(sim.EndpointUsage, 200) >= 2 })
	doc := h.dm.Status()
	if doc.Accounts[0].CooldownUntil == nil || !doc.Accounts[0].CooldownUntil.Equal(throttled.Add(120*time.Second)) {
		t.Fatalf("status cooldown %v", doc.Accounts[0].CooldownUntil)
	}
}

// A revoked login is flagged needs_relogin (in the accounts table, where
// `list --json` reads it, and in the status) and notified once.
func TestRevokedLoginNeedsRelogin(t *testing.T) {
	env := usagetest.New(t)
	id, uuid := env.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 10, ResetsIn: 3 * time.Hour}})
	h := start(t, env, defaultConfig())
	h.until(time.Minute, "the first poll", func() bool { return env.Requests(uuid) == 1 })
	if err := env.Sim.RevokeLogin(uuid); err != nil {
		t.Fatal(err)
	}
	h.until(15*time.Minute, "needs_relogin in the status", func() bool {
		doc := h.dm.Status()
		return len(doc.Accounts) == 1 && doc.Accounts[0].NeedsRelogin
	})
	rows := queryInts(t, env.Store, "SELECT needs_relogin, relogin_reason FROM accounts WHERE id = ?", id)
	if rows[0][0] != "1" || !strings.Contains(rows[0][1], "expired or was revoked") {
		t.Fatalf("accounts row %v", rows)
	}
	if doc := h.dm.Status(); !strings.Contains(doc.LastError, "expired or was revoked") {
		t.Fatalf("last error %q", doc.LastError)
	}
	// The flag survives further ticks without another notification.
	h.until(40*time.Minute, "time to pass", func() bool { return env.Clock.Now().After(usagetest.T0.Add(45 * time.Minute)) })
	if got := h.sent.summaries(); len(got) != 1 || got[0] != "work needs a new login" {
		t.Fatalf("notifications %q", got)
	}
}

// Only one process polls: a second Daemon on the same lock follows the
// status row (and hears of changes), and takes over when the first stops.
func TestOnePollerPerUser(t *testing.T) {
	env := usagetest.New(t)
	env.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 10, ResetsIn: 3 * time.Hour, RatePerHour: 20}})
	first := start(t, env, defaultConfig())

	var mu sync.Mutex
	var seen []*daemon.Document
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second, err := daemon.New(daemon.Deps{
		Store: usagetest.OpenStore(t, env.DBFile), Accounts: env.Accounts, Client: env.Client,
		Clock: clock.Real{}, Config: defaultConfig, LockFile: filepath.Join(filepath.Dir(env.DBFile), daemon.LockName),
		Sender: &recorder{}, Mode: daemon.ModeWidget, FollowPoll: 10 * time.Millisecond,
		OnStatus: func(d *daemon.Document) { mu.Lock(); seen = append(seen, d); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- second.Run(ctx) }()
	waitReal(t, "the follower to read the status", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) > 0 })
	if second.Owner() {
		t.Fatal("two owners")
	}
	mu.Lock()
	if seen[0].Owner.Mode != daemon.ModeDaemon || len(seen[0].Accounts) != 1 {
		t.Fatalf("follower saw %+v", seen[0])
	}
	n := len(seen)
	mu.Unlock()
	// A change the owner publishes reaches the follower; a bare heartbeat does not.
	first.until(10*time.Minute, "a new sample", func() bool { return first.dm.Status().Accounts[0].Usage.FiveHour.Utilization > 10 })
	waitReal(t, "the follower to hear of the change", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) > n })

	first.stop()
	waitReal(t, "the follower to take over", second.Owner)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitReal(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
	}
}

// Alone on an account with auto-swap on: "no candidate" is said once when
// the threshold is crossed, not on every poll, and once more when the
// account is used up.
func TestNoCandidateOncePerCrossing(t *testing.T) {
	env := usagetest.New(t)
	env.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 75, ResetsIn: 3 * time.Hour, RatePerHour: 30}})
	h := start(t, env, defaultConfig())
	h.until(30*time.Minute, "the crossing", func() bool { return len(h.sent.summaries()) > 0 })
	if got := h.sent.summaries(); len(got) != 1 || got[0] != "No account to switch work to" {
		t.Fatalf("notifications %q", got)
	}
	h.until(time.Hour, "exhaustion", func() bool { return len(h.sent.summaries()) > 1 })
	h.until(time.Hour, "more polls", func() bool { return env.Clock.Now().After(usagetest.T0.Add(90 * time.Minute)) })
	if got := h.sent.summaries(); len(got) != 2 || got[1] != "work is used up and no account can take over" {
		t.Fatalf("notifications %q", got)
	}
	if doc := h.dm.Status(); doc.LastDecision == nil || doc.LastDecision.Action != "no_candidate" {
		t.Fatalf("last decision %+v", doc.LastDecision)
	}
}

// Another process (the widget following the daemon) calls off the pending
// swap through the database; the owner cancels it and does not re-arm it
// at the next poll.
func TestCancelPendingFromAnotherProcess(t *testing.T) {
	env := usagetest.New(t)
	env.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 79, ResetsIn: 3 * time.Hour, RatePerHour: 30}})
	env.Add(t, "home", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 10, ResetsIn: 2 * time.Hour}})
	cfg := defaultConfig()
	cfg.AutoSwap.GraceSec = 300
	h := start(t, env, cfg)
	h.until(30*time.Minute, "an armed swap", func() bool { return h.dm.Status() != nil && h.dm.Status().PendingSwap != nil })

	other, err := daemon.New(daemon.Deps{Store: usagetest.OpenStore(t, env.DBFile), Accounts: env.Accounts, Client: env.Client,
		Config: defaultConfig, LockFile: filepath.Join(t.TempDir(), "unused.lock"), Sender: &recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.CancelPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.until(time.Minute, "the cancel", func() bool { return h.dm.Status().PendingSwap == nil })
	if err := other.CancelPending(context.Background()); err != daemon.ErrNothingPending {
		t.Fatalf("second cancel: %v", err)
	}
	cancelled := env.Clock.Now()
	h.until(20*time.Minute, "the cooldown to run", func() bool { return env.Clock.Now().After(cancelled.Add(9 * time.Minute)) })
	if h.dm.Status().PendingSwap != nil || len(env.Accounts.Switches()) != 0 {
		t.Fatalf("re-armed or switched within the cooldown: %+v %+v", h.dm.Status().PendingSwap, env.Accounts.Switches())
	}
	if got := h.sent.summaries(); len(got) != 2 || got[1] != "Not switching to home" {
		t.Fatalf("notifications %q", got)
	}
	h.until(5*time.Minute, "the swap to be offered again", func() bool { return h.dm.Status().PendingSwap != nil })
}

// lockedList fails List while locked, as the accounts Manager does while the
// keyring (say the file keyring of a headless box) waits to be unlocked.
type lockedList struct {
	*usagetest.Accounts
	locked atomic.Bool
}

func (l *lockedList) List(ctx context.Context) ([]usage.Account, error) {
	if l.locked.Load() {
		return nil, errors.New("the file keyring is locked")
	}
	return l.Accounts.List(ctx)
}

// warnCounter counts the WARN records a logger receives.
type warnCounter struct{ n atomic.Int64 }

func (w *warnCounter) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		w.n.Add(1)
	}
	return nil
}
func (w *warnCounter) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnCounter) WithGroup(string) slog.Handler      { return w }

// A failure that lasts all night is in the status document on every tick,
// but in the log once per repeat interval, not once per heartbeat.
func TestALastingFailureIsNotLoggedEveryTick(t *testing.T) {
	env := usagetest.New(t)
	_, uuid := env.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 10, ResetsIn: 3 * time.Hour}})
	accts := &lockedList{Accounts: env.Accounts}
	warns := &warnCounter{}
	h := start(t, env, defaultConfig(), func(d *daemon.Deps) {
		d.Accounts = accts
		d.Log = slog.New(warns)
	})
	h.until(time.Minute, "the first poll", func() bool { return env.Requests(uuid) == 1 })
	accts.locked.Store(true)
	before := warns.n.Load()
	end := env.Clock.Now().Add(35 * time.Minute)
	h.until(40*time.Minute, "35 minutes to pass", func() bool { return !env.Clock.Now().Before(end) })
	if doc := h.dm.Status(); !strings.Contains(doc.LastError, "locked") {
		t.Fatalf("last error %q, want the keyring's", doc.LastError)
	}
	// At 0, 10, 20 and 30 minutes; a heartbeat of 5 s would be 420.
	if n := warns.n.Load() - before; n < 2 || n > 5 {
		t.Fatalf("%d warnings in 35 minutes of a lasting failure, want about 4", n)
	}
}
