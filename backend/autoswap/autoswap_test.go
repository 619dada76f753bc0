package autoswap

import (
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/config"
)

var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

var base = Config{Enabled: true, Threshold5h: 80, Threshold7d: 80, Grace: time.Minute}

// acct is an account with fresh numbers (fetched a minute before t0).
func acct(id int64, label string, five, seven float64, mods ...func(*Account)) Account {
	a := Account{ID: id, Label: label, FetchedAt: t0.Add(-time.Minute), Windows: map[string]float64{FiveHour: five, SevenDay: seven}}
	for _, m := range mods {
		m(&a)
	}
	return a
}

func active(a *Account)    { a.Active = true }
func relogin(a *Account)   { a.NeedsRelogin = true }
func cooling(a *Account)   { a.CooldownUntil = ptr(t0.Add(time.Minute)) }
func cooledOff(a *Account) { a.CooldownUntil = ptr(t0.Add(-time.Minute)) }
func stale(a *Account)     { a.FetchedAt = t0.Add(-time.Hour) }
func unknown(a *Account)   { a.FetchedAt, a.Windows = time.Time{}, nil }
func usedAt(d time.Duration) func(*Account) {
	return func(a *Account) { a.LastUsedAt = ptr(t0.Add(d)) }
}
func window(name string, u float64) func(*Account) {
	return func(a *Account) { a.Windows[name] = u }
}

// TestDecide covers each rule with one call from a given state.
func TestDecide(t *testing.T) {
	fresh := State{ActiveID: 1}
	pending := func(to int64, label string, firesIn time.Duration) State {
		return State{ActiveID: 1, Pending: &Pending{FromID: 1, FromLabel: "work", ToID: to, ToLabel: label, ArmedAt: t0.Add(-time.Minute), FiresAt: t0.Add(firesIn), Reason: "armed earlier"}}
	}
	disabled := base
	disabled.Enabled = false
	noGrace := base
	noGrace.Grace = 0

	cases := []struct {
		name     string
		cfg      Config
		st       State
		accounts []Account
		want     Action
		target   string // label, "" for none
		reason   string // substring of Decision.Reason
		wake     time.Duration
		refresh  []int64
	}{
		// Configuration.
		{"disabled: nothing happens at 99 %", disabled, fresh, []Account{acct(1, "work", 99, 10, active), acct(2, "home", 0, 0)}, None, "", "", 0, nil},
		{"disabled: a pending swap is cancelled", disabled, pending(2, "home", time.Minute), []Account{acct(1, "work", 90, 10, active), acct(2, "home", 0, 0)}, Cancel, "", "turned off", 0, nil},
		// Thresholds.
		{"below both thresholds: nothing", base, fresh, []Account{acct(1, "work", 79.9, 79.9, active), acct(2, "home", 0, 0)}, None, "", "", 0, nil},
		{"5-hour crossing arms with grace and names the target", base, fresh, []Account{acct(1, "work", 80, 10, active), acct(2, "home", 5, 5)}, Arm, "home", "5-hour window at 80 % (threshold 80 %); switching to home", time.Minute, nil},
		{"7-day crossing arms", base, fresh, []Account{acct(1, "work", 10, 85, active), acct(2, "home", 5, 5)}, Arm, "home", "7-day window at 85 %", time.Minute, nil},
		{"own thresholds per window", Config{Enabled: true, Threshold5h: 90, Threshold7d: 50, Grace: time.Minute}, fresh, []Account{acct(1, "work", 85, 55, active), acct(2, "home", 5, 5)}, Arm, "home", "7-day window at 55 % (threshold 50 %)", time.Minute, nil},
		{"grace 0 fires at once", noGrace, fresh, []Account{acct(1, "work", 81, 10, active), acct(2, "home", 5, 5)}, Fire, "home", "switching to home", 0, nil},
		{"exhausted fires at once despite the grace", base, fresh, []Account{acct(1, "work", 100, 10, active), acct(2, "home", 5, 5)}, Fire, "home", "5-hour window exhausted", 0, nil},
		{"exhausted 7-day fires at once", base, fresh, []Account{acct(1, "work", 20, 100, active), acct(2, "home", 5, 5)}, Fire, "home", "7-day window exhausted", 0, nil},
		// Pending swaps.
		{"pending waits for its time", base, pending(2, "home", 30*time.Second), []Account{acct(1, "work", 85, 10, active), acct(2, "home", 5, 5)}, None, "home", "", 30 * time.Second, nil},
		{"pending fires when the grace is over", base, pending(2, "home", 0), []Account{acct(1, "work", 85, 10, active), acct(2, "home", 5, 5)}, Fire, "home", "armed earlier", 0, nil},
		{"pending fires early when exhausted", base, pending(2, "home", 30*time.Second), []Account{acct(1, "work", 100, 10, active), acct(2, "home", 5, 5)}, Fire, "home", "at once", 0, nil},
		{"pending is cancelled when usage falls (window reset)", base, pending(2, "home", 30*time.Second), []Account{acct(1, "work", 3, 10, active), acct(2, "home", 5, 5)}, Cancel, "", "below the thresholds again", 0, nil},
		{"pending keeps its announced target while fit", base, pending(2, "home", 30*time.Second), []Account{acct(1, "work", 85, 10, active), acct(2, "home", 50, 50), acct(3, "spare", 1, 1)}, None, "home", "", 30 * time.Second, nil},
		{"pending target gone unfit: re-armed to another", base, pending(2, "home", 30*time.Second), []Account{acct(1, "work", 85, 10, active), acct(2, "home", 5, 5, relogin), acct(3, "spare", 1, 1)}, Rearm, "spare", "instead of home", 30 * time.Second, nil},
		{"pending target gone unfit and no other: no candidate", base, pending(2, "home", 30*time.Second), []Account{acct(1, "work", 85, 10, active), acct(2, "home", 100, 5)}, NoCandidate, "", "home: 5-hour window exhausted", 15 * time.Minute, nil},
		// Target choice: who is never a target.
		{"never an account at 100 % on any window", noGrace, fresh, []Account{acct(1, "work", 90, 10, active), acct(2, "opus-full", 1, 1, window("seven_day_opus", 100)), acct(3, "ok", 40, 40)}, Fire, "ok", "", 0, nil},
		{"never one cooling down after a 429", noGrace, fresh, []Account{acct(1, "work", 90, 10, active), acct(2, "cool", 1, 1, cooling), acct(3, "ok", 40, 5)}, Fire, "ok", "", 0, nil},
		{"a finished cooldown does not count", noGrace, fresh, []Account{acct(1, "work", 90, 10, active), acct(2, "cool", 1, 1, cooledOff), acct(3, "ok", 40, 5)}, Fire, "cool", "", 0, nil},
		{"never one needing a new login", noGrace, fresh, []Account{acct(1, "work", 90, 10, active), acct(2, "dead", 1, 1, relogin), acct(3, "ok", 40, 5)}, Fire, "ok", "", 0, nil},
		{"never one whose usage is unknown after the refresh", noGrace, State{ActiveID: 1, RefreshedAt: t0}, []Account{acct(1, "work", 90, 10, active), acct(2, "new", 0, 0, unknown), acct(3, "ok", 40, 5)}, Fire, "ok", "", 0, nil},
		{"no candidate: reported with the reasons, quiet period starts", base, fresh, []Account{acct(1, "work", 90, 10, active), acct(2, "dead", 1, 1, relogin), acct(3, "full", 100, 1)}, NoCandidate, "", "dead: needs a new login; full: 5-hour window exhausted", 15 * time.Minute, nil},
		{"alone: no candidate", base, fresh, []Account{acct(1, "work", 90, 10, active)}, NoCandidate, "", "no other account", 15 * time.Minute, nil},
		// Target choice: preferences.
		{"lower on both windows beats lower on one", noGrace, fresh, []Account{acct(1, "work", 85, 50, active), acct(2, "five-only", 0, 60), acct(3, "both", 40, 40)}, Fire, "both", "", 0, nil},
		{"most headroom among the lower-on-both", noGrace, fresh, []Account{acct(1, "work", 85, 50, active), acct(2, "some", 30, 45), acct(3, "most", 40, 20)}, Fire, "most", "most has 5-hour 40 %, 7-day 20 %", 0, nil},
		{"else lower on the binding window", noGrace, fresh, []Account{acct(1, "work", 85, 30, active), acct(2, "higher7d", 20, 60), acct(3, "worse", 90, 10)}, Fire, "higher7d", "", 0, nil},
		{"binding 7-day window", noGrace, fresh, []Account{acct(1, "work", 10, 90, active), acct(2, "five-higher", 50, 40), acct(3, "seven-higher", 5, 95)}, Fire, "five-higher", "", 0, nil},
		{"none lower at all: no candidate", base, fresh, []Account{acct(1, "work", 85, 30, active), acct(2, "busier", 90, 40)}, NoCandidate, "", "busier: no lower than work", 15 * time.Minute, nil},
		{"ties go to the least recently used", noGrace, fresh, []Account{acct(1, "work", 85, 50, active), acct(2, "recent", 10, 10, usedAt(-time.Hour)), acct(3, "older", 10.5, 10, usedAt(-48*time.Hour))}, Fire, "older", "", 0, nil},
		{"never used counts as least recently used", noGrace, fresh, []Account{acct(1, "work", 85, 50, active), acct(2, "used", 10, 10, usedAt(-48*time.Hour)), acct(3, "never", 10, 10)}, Fire, "never", "", 0, nil},
		{"a full point of headroom is not a tie", noGrace, fresh, []Account{acct(1, "work", 85, 50, active), acct(2, "recent", 8, 8, usedAt(-time.Hour)), acct(3, "older", 10, 10, usedAt(-48*time.Hour))}, Fire, "recent", "", 0, nil},
		// Stale numbers are fetched just in time.
		{"stale candidates are refreshed before choosing", base, fresh, []Account{acct(1, "work", 85, 10, active), acct(2, "old", 1, 1, stale), acct(3, "ok", 40, 5), acct(4, "new", 0, 0, unknown)}, Refresh, "", "fresh numbers", 0, []int64{2, 4}},
		{"after the refresh, still-stale ones are skipped", base, State{ActiveID: 1, RefreshedAt: t0.Add(-time.Second)}, []Account{acct(1, "work", 85, 10, active), acct(2, "old", 1, 1, stale), acct(3, "ok", 40, 5)}, Arm, "ok", "", time.Minute, nil},
		{"accounts that cannot be asked are not refreshed", base, fresh, []Account{acct(1, "work", 85, 10, active), acct(2, "dead", 1, 1, relogin, stale), acct(3, "cool", 1, 1, cooling, stale), acct(4, "ok", 40, 5)}, Arm, "ok", "", time.Minute, nil},
		// Anti-thrash.
		{"no arming in the cooldown after a swap", base, State{ActiveID: 1, LastSwapAt: t0.Add(-2 * time.Minute)}, []Account{acct(1, "work", 90, 10, active), acct(2, "home", 5, 5)}, None, "", "", 8 * time.Minute, nil},
		{"exhaustion overrides the swap cooldown", base, State{ActiveID: 1, LastSwapAt: t0.Add(-2 * time.Minute)}, []Account{acct(1, "work", 100, 10, active), acct(2, "home", 5, 5)}, Fire, "home", "", 0, nil},
		{"after a swap the new account's numbers come first", base, State{ActiveID: 1, LastSwapAt: t0, AwaitFresh: true}, []Account{acct(1, "work", 100, 10, active), acct(2, "home", 5, 5)}, None, "", "", 0, []int64{1}},
		{"quiet after no candidate", base, State{ActiveID: 1, QuietUntil: t0.Add(5 * time.Minute)}, []Account{acct(1, "work", 100, 10, active), acct(2, "home", 5, 5)}, None, "", "", 5 * time.Minute, nil},
		{"the active account's usage is needed first", base, fresh, []Account{acct(1, "work", 0, 0, active, unknown), acct(2, "home", 5, 5)}, None, "", "", 0, []int64{1}},
		// Manual switches win.
		{"manual switch cancels the pending swap", base, pending(2, "home", 30*time.Second), []Account{acct(1, "work", 90, 10), acct(3, "mine", 85, 10, active), acct(2, "home", 5, 5)}, Cancel, "", "switched to mine by hand", 0, nil},
		{"manual switch without a pending swap", base, fresh, []Account{acct(1, "work", 90, 10), acct(3, "mine", 85, 10, active), acct(2, "home", 5, 5)}, Manual, "", "switched to mine by hand", 0, nil},
		{"no active account: pending cancelled", base, pending(2, "home", 30*time.Second), []Account{acct(1, "work", 90, 10), acct(2, "home", 5, 5)}, Cancel, "", "no account is active", 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, st := Decide(c.cfg, c.st, t0, c.accounts)
			if d.Action != c.want {
				t.Fatalf("action %s (%s), want %s", d.Action, d.Reason, c.want)
			}
			got := ""
			if d.Target != nil && d.Action != NoCandidate && d.Action != Cancel {
				got = d.Target.Label
			}
			if got != c.target {
				t.Fatalf("target %q, want %q (%s)", got, c.target, d.Reason)
			}
			if !strings.Contains(d.Reason, c.reason) {
				t.Fatalf("reason %q lacks %q", d.Reason, c.reason)
			}
			var wake time.Duration
			if !d.WakeAt.IsZero() {
				wake = d.WakeAt.Sub(t0)
			}
			if wake != c.wake {
				t.Fatalf("wake in %v, want %v", wake, c.wake)
			}
			if !sameIDs(d.Refresh, c.refresh) {
				t.Fatalf("refresh %v, want %v", d.Refresh, c.refresh)
			}
			switch d.Action {
			case Arm, Rearm:
				if st.Pending == nil || st.Pending.ToLabel != c.target || !st.Pending.FiresAt.Equal(d.Pending.FiresAt) {
					t.Fatalf("state does not hold the pending swap: %+v", st.Pending)
				}
			case Cancel, NoCandidate:
				if st.Pending != nil {
					t.Fatalf("pending survives %s", d.Action)
				}
			}
		})
	}
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// run plays a sequence of decisions on a fake clock, the way the daemon
// does: Fire is followed by SwapDone (or SwapFailed when fail is set).
type world struct {
	t      *testing.T
	cfg    Config
	clk    *clock.Fake
	st     State
	accts  []Account
	failed bool
}

func newWorld(t *testing.T, cfg Config, accts ...Account) *world {
	return &world{t: t, cfg: cfg, clk: clock.NewFake(t0), accts: accts}
}

func (w *world) set(label string, five, seven float64) {
	for i := range w.accts {
		if w.accts[i].Label == label {
			w.accts[i].Windows = map[string]float64{FiveHour: five, SevenDay: seven}
			w.accts[i].FetchedAt = w.clk.Now()
		}
	}
}

func (w *world) activate(label string) {
	for i := range w.accts {
		w.accts[i].Active = w.accts[i].Label == label
	}
}

func (w *world) decide() Decision {
	d, st := Decide(w.cfg, w.st, w.clk.Now(), w.accts)
	w.st = st
	if d.Action == Fire {
		if w.failed {
			w.st = SwapFailed(w.cfg, w.st, w.clk.Now())
		} else {
			w.activate(d.Target.Label)
			w.st = SwapDone(w.st, w.clk.Now(), d.Target.ID)
		}
	}
	return d
}

func (w *world) expect(want Action, target string) Decision {
	w.t.Helper()
	d := w.decide()
	got := ""
	if d.Target != nil && (d.Action == Arm || d.Action == Fire || d.Action == Rearm) {
		got = d.Target.Label
	}
	if d.Action != want || got != target {
		w.t.Fatalf("at +%v: %s to %q (%s), want %s to %q", w.clk.Now().Sub(t0), d.Action, got, d.Reason, want, target)
	}
	return d
}

func TestArmThenFireAfterGrace(t *testing.T) {
	w := newWorld(t, base, acct(1, "work", 50, 10, active), acct(2, "home", 5, 5))
	w.expect(None, "")
	w.clk.Advance(time.Minute)
	w.set("work", 81, 10)
	w.set("home", 5, 5)
	d := w.expect(Arm, "home")
	if !d.Pending.FiresAt.Equal(w.clk.Now().Add(time.Minute)) {
		t.Fatalf("fires at %v", d.Pending.FiresAt)
	}
	w.clk.Advance(59 * time.Second)
	w.set("work", 82, 10)
	w.expect(None, "") // re-polled numbers do not re-announce
	w.clk.Advance(time.Second)
	w.expect(Fire, "home")
	// The new account's numbers are fetched before anything else.
	w.clk.Advance(time.Second)
	if d := w.expect(None, ""); !sameIDs(d.Refresh, []int64{2}) {
		t.Fatalf("refresh %v, want the new active account", d.Refresh)
	}
	// Even if home turns out busy, the cooldown holds off a second swap…
	w.set("home", 85, 5)
	w.set("work", 82, 10)
	w.expect(None, "")
	// …until it is over.
	w.clk.Advance(DefaultSwapCooldown)
	w.set("home", 85, 5)
	w.set("work", 5, 10) // work's window reset meanwhile
	w.expect(Arm, "work")
}

func TestCancelledWhenUsageFallsDuringGrace(t *testing.T) {
	w := newWorld(t, base, acct(1, "work", 85, 10, active), acct(2, "home", 5, 5))
	w.expect(Arm, "home")
	w.clk.Advance(30 * time.Second)
	w.set("work", 0, 10)
	w.set("home", 5, 5)
	w.expect(Cancel, "")
	w.clk.Advance(time.Minute)
	w.set("work", 1, 10)
	w.expect(None, "")
}

func TestManualSwitchWinsAndCoolsDown(t *testing.T) {
	w := newWorld(t, base, acct(1, "work", 85, 10, active), acct(2, "home", 5, 5), acct(3, "mine", 82, 5))
	w.expect(Arm, "home")
	w.clk.Advance(10 * time.Second)
	w.activate("mine") // the user picks an account themselves
	w.expect(Cancel, "")
	// mine is over the threshold too, but the user chose it: no swap
	// away from it during the cooldown, once its numbers are in.
	w.set("mine", 83, 5)
	w.set("home", 5, 5)
	w.clk.Advance(time.Minute)
	w.set("mine", 84, 5)
	w.expect(None, "")
	w.clk.Advance(DefaultSwapCooldown)
	w.set("mine", 86, 5)
	w.set("home", 5, 5)
	w.set("work", 85, 10)
	w.expect(Arm, "home")
}

func TestNoCandidateIsQuietThenRetries(t *testing.T) {
	w := newWorld(t, base, acct(1, "work", 85, 10, active), acct(2, "home", 95, 5))
	w.expect(NoCandidate, "")
	for i := 0; i < 3; i++ {
		w.clk.Advance(3 * time.Minute)
		w.set("work", 86+float64(i), 10)
		w.set("home", 95, 5)
		w.expect(None, "") // no repeated "no candidate" every poll
	}
	w.clk.Advance(DefaultNoCandidateCooldown)
	w.set("work", 90, 10)
	w.set("home", 10, 5) // home's window reset
	w.expect(Arm, "home")
}

func TestFailedSwapIsQuietThenRetries(t *testing.T) {
	noGrace := base
	noGrace.Grace = 0
	w := newWorld(t, noGrace, acct(1, "work", 85, 10, active), acct(2, "home", 5, 5))
	w.failed = true
	w.expect(Fire, "home")
	if w.st.QuietUntil != w.clk.Now().Add(DefaultFailureCooldown) || w.accts[0].Active != true {
		t.Fatalf("after a failed swap: %+v", w.st)
	}
	w.clk.Advance(time.Minute)
	w.set("work", 86, 10)
	w.set("home", 5, 5)
	w.expect(None, "")
	w.failed = false
	w.clk.Advance(DefaultFailureCooldown)
	w.set("work", 87, 10)
	w.set("home", 5, 5)
	w.expect(Fire, "home")
}

func TestStaleCandidatesAreRefreshedOnce(t *testing.T) {
	w := newWorld(t, base, acct(1, "work", 85, 10, active), acct(2, "home", 5, 5, stale))
	if d := w.expect(Refresh, ""); !sameIDs(d.Refresh, []int64{2}) {
		t.Fatalf("refresh %v", d.Refresh)
	}
	// The fetch brought fresh numbers: decide at once.
	w.set("home", 5, 5)
	w.expect(Arm, "home")
}

func TestConfigFrom(t *testing.T) {
	c := ConfigFrom(config.Default().AutoSwap)
	if !c.Enabled || c.Threshold5h != 80 || c.Threshold7d != 80 || c.Grace != 60*time.Second || c.SwapCooldown != DefaultSwapCooldown {
		t.Fatalf("%+v", c)
	}
}

func TestUserCancelledHoldsOff(t *testing.T) {
	w := newWorld(t, base, acct(1, "work", 85, 10, active), acct(2, "home", 5, 5))
	w.expect(Arm, "home")
	w.st = UserCancelled(w.cfg, w.st, w.clk.Now())
	w.clk.Advance(3 * time.Minute)
	w.set("work", 90, 10)
	w.set("home", 5, 5)
	w.expect(None, "")
	w.clk.Advance(DefaultSwapCooldown)
	w.set("work", 95, 10)
	w.set("home", 5, 5)
	w.expect(Arm, "home")
}
