//go:build linux

package notify_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/notify"
	"github.com/aimonitor/aimonitor/backend/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// rig is an Engine sending to a fake server on a private bus, remembering
// in a real database.
type rig struct {
	t      *testing.T
	server *fakeServer
	sender *notify.DBus
	db     *store.Store
	engine *notify.Engine
	cfg    notify.Config
	now    time.Time
}

func newRig(t *testing.T) *rig {
	t.Helper()
	bus, f := serve(t)
	s := notify.NewDBus(notify.Options{BusAddress: bus.Address})
	t.Cleanup(func() { s.Close() })
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &rig{t: t, server: f, sender: s, db: db, now: t0,
		cfg: notify.Config{Enabled: true, WarnPct: 80, CritPct: 95, AutoSwap: false, DailyHour: 9, Location: time.UTC}}
	r.restart()
	return r
}

// restart is a new process: a new Engine on the same database.
func (r *rig) restart() { r.engine = notify.NewEngine(r.sender, notify.SettingsState{DB: r.db}, nil) }

func (r *rig) observe(accounts ...notify.Account) {
	r.engine.Observe(context.Background(), r.cfg, r.now, accounts)
}

// expect checks the notifications that arrived since the last call.
func (r *rig) expect(seen *int, want ...string) []received {
	r.t.Helper()
	got := r.server.received()[*seen:]
	*seen += len(got)
	if len(got) != len(want) {
		r.t.Fatalf("got %d notifications %+v, want %d %q", len(got), got, len(want), want)
	}
	for i, w := range want {
		if !strings.Contains(got[i].Summary, w) {
			r.t.Fatalf("notification %d summary %q, want it to contain %q", i, got[i].Summary, w)
		}
	}
	return got
}

func active(five, seven float64, resets time.Time) notify.Account {
	return notify.Account{ID: 1, Label: "work", Active: true, Windows: map[string]notify.Window{
		notify.FiveHour: {Utilization: five, ResetsAt: &resets, ExhaustsAt: ptr(resets.Add(-time.Hour))},
		notify.SevenDay: {Utilization: seven, ResetsAt: ptr(t0.Add(72 * time.Hour))},
	}}
}

func TestUsageLevelsFireOncePerCrossing(t *testing.T) {
	r := newRig(t)
	seen := 0
	resets := t0.Add(4 * time.Hour)
	inactive := notify.Account{ID: 2, Label: "home", Windows: map[string]notify.Window{notify.FiveHour: {Utilization: 99}}}

	r.observe(active(50, 10, resets), inactive)
	r.expect(&seen) // below warn; an inactive account at 99 % is not news

	got := r.expect(func() *int { r.observe(active(81, 10, resets), inactive); return &seen }(), "work: 5-hour window at 81 %")
	if got[0].Urgency != byte(notify.Normal) || !strings.Contains(got[0].Body, "Resets at 13:00") || !strings.Contains(got[0].Body, "Full at 12:00") {
		t.Fatalf("warning %+v", got[0])
	}
	for _, u := range []float64{82, 85, 80.5, 90} {
		r.now = r.now.Add(3 * time.Minute)
		r.observe(active(u, 10, resets))
	}
	r.expect(&seen) // every poll above 80 is the same crossing

	r.restart()
	r.observe(active(91, 10, resets))
	r.expect(&seen) // nor does a restart repeat it

	r.observe(active(96, 10, resets))
	got = r.expect(&seen, "work: 5-hour window at 96 %")
	if got[0].Urgency != byte(notify.Critical) {
		t.Fatalf("critical urgency %d", got[0].Urgency)
	}
	r.observe(active(100, 10, resets))
	r.observe(active(97, 82, resets))
	r.expect(&seen, "work: 7-day window at 82 %") // the other window is its own crossing

	// The window resets: a new instance, a new crossing.
	r.now = resets.Add(time.Minute)
	next := resets.Add(5 * time.Hour)
	r.observe(active(2, 82, next))
	r.expect(&seen)
	r.observe(active(83, 82, next))
	r.expect(&seen, "work: 5-hour window at 83 %")
}

func TestUsageLevelsAreQuietWhenAutoSwapIsOn(t *testing.T) {
	r := newRig(t)
	r.cfg.AutoSwap = true
	r.observe(active(99, 99, t0.Add(time.Hour)))
	seen := 0
	r.expect(&seen)
}

func TestReloginNotifiedOnceUntilFixed(t *testing.T) {
	r := newRig(t)
	seen := 0
	dead := notify.Account{ID: 3, Label: "old", NeedsRelogin: true, ReloginReason: "the login has expired or was revoked"}
	r.observe(dead)
	got := r.expect(&seen, "old needs a new login")
	if got[0].Urgency != byte(notify.Normal) || !strings.Contains(got[0].Body, "expired or was revoked") {
		t.Fatalf("%+v", got[0])
	}
	r.observe(dead)
	r.restart()
	r.observe(dead)
	r.expect(&seen)
	alive := dead
	alive.NeedsRelogin = false
	r.observe(alive)
	dead.Active = true
	r.observe(dead)
	got = r.expect(&seen, "old needs a new login")
	if got[0].Urgency != byte(notify.Critical) {
		t.Fatalf("the active account's dead login is critical, got %d", got[0].Urgency)
	}
}

func TestDailySummaryOncePerDay(t *testing.T) {
	r := newRig(t)
	r.cfg.DailySummary = true
	r.cfg.DailyHour = 10
	seen := 0
	accts := []notify.Account{active(42, 61, t0.Add(time.Hour)), {ID: 2, Label: "home", NeedsRelogin: true}}
	r.engine.Observe(context.Background(), r.cfg, r.now, accts) // 09:00: no summary yet
	r.expect(&seen, "home needs a new login")
	r.now = time.Date(2026, 3, 2, 10, 0, 5, 0, time.UTC)
	r.engine.Observe(context.Background(), r.cfg, r.now, accts)
	got := r.expect(&seen, "today's usage")
	if got[0].Urgency != byte(notify.Low) || got[0].Body != "work (active): 5h 42 %, 7d 61 %\nhome: usage unknown — needs a new login" {
		t.Fatalf("summary %+v", got[0])
	}
	r.now = r.now.Add(30 * time.Minute)
	r.restart()
	r.engine.Observe(context.Background(), r.cfg, r.now, accts)
	r.expect(&seen)
	r.now = r.now.Add(24 * time.Hour)
	r.engine.Observe(context.Background(), r.cfg, r.now, accts)
	r.expect(&seen, "today's usage")
}

func TestSwapNotices(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	seen := 0
	s := notify.Swap{Key: "1-2-100", From: "work", To: "home", FiresAt: t0.Add(time.Minute), Reason: "work: 5-hour window at 81 % (threshold 80 %)"}
	r.engine.SwapPending(ctx, r.cfg, r.now, s)
	r.engine.SwapPending(ctx, r.cfg, r.now, s)
	got := r.expect(&seen, "Switching Claude Code to home at 09:01")
	if !strings.Contains(got[0].Body, "81 %") {
		t.Fatalf("%+v", got[0])
	}
	r.restart()
	r.engine.SwapPending(ctx, r.cfg, r.now, s)
	r.engine.SwapDone(ctx, r.cfg, r.now, s)
	r.engine.SwapDone(ctx, r.cfg, r.now, s)
	done := r.expect(&seen, "Claude Code now uses home")
	if done[0].Replaces != 1 {
		t.Fatalf("done should replace the pending notice (id 1), replaces %d", done[0].Replaces)
	}

	// A cancelled swap withdraws its notice; one never shown stays silent.
	c := notify.Swap{Key: "1-3-200", From: "work", To: "spare", Reason: "switched by hand"}
	r.engine.SwapCancelled(ctx, r.cfg, r.now, c)
	r.expect(&seen)
	r.engine.SwapPending(ctx, r.cfg, r.now, c)
	r.engine.SwapCancelled(ctx, r.cfg, r.now, c)
	r.expect(&seen, "Switching Claude Code to spare", "Not switching to spare")

	r.engine.SwapFailed(ctx, r.cfg, r.now, notify.Swap{Key: "k", To: "x"}, errors.New("keyring locked"))
	r.engine.NoCandidate(ctx, r.cfg, r.now, "1:2026030213", "work", "home: needs a new login", false)
	r.engine.NoCandidate(ctx, r.cfg, r.now, "1:2026030213", "work", "home: needs a new login", false)
	r.engine.NoCandidate(ctx, r.cfg, r.now, "1:2026030213:full", "work", "home: needs a new login", true)
	got = r.expect(&seen, "Could not switch Claude Code to x", "No account to switch work to", "work is used up and no account can take over")
	if got[0].Urgency != byte(notify.Critical) || got[1].Urgency != byte(notify.Normal) || got[2].Urgency != byte(notify.Critical) {
		t.Fatalf("urgencies %d %d %d", got[0].Urgency, got[1].Urgency, got[2].Urgency)
	}
}

func TestDisabledSendsNothingAndDoesNotReplayLater(t *testing.T) {
	r := newRig(t)
	r.cfg.Enabled = false
	seen := 0
	r.observe(active(96, 10, t0.Add(time.Hour)), notify.Account{ID: 2, Label: "dead", NeedsRelogin: true})
	r.engine.NoCandidate(context.Background(), r.cfg, r.now, "k", "work", "none", true)
	r.expect(&seen)
	r.cfg.Enabled = true
	r.observe(active(97, 10, t0.Add(time.Hour)), notify.Account{ID: 2, Label: "dead", NeedsRelogin: true})
	r.expect(&seen)
}
