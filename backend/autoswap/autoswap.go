// Package autoswap decides when to move Claude Code to another account
// before the active one runs out, and to which. It is pure: Decide takes the
// configuration, the state it returned last time, the time and what is known
// about every account, and returns a decision plus the next state. The
// daemon carries out decisions (switching, fetching, notifying) and stores
// the state, so every rule here is table-tested with plain values.
//
// The rules: crossing either threshold (5-hour or 7-day) arms a swap that
// fires after a grace period, or at once when the active account is
// exhausted. A target is never exhausted on any window, cooling down after a
// 429 or in need of a new login. Accounts lower on both windows are
// preferred, most headroom first; otherwise one lower on the window that
// triggered; ties go to the least recently used. Numbers older than
// StaleAfter are fetched again before they are trusted. After a swap the new
// account's numbers are fetched before anything else is decided and no new
// swap is armed for SwapCooldown; after finding no candidate nothing is
// tried for NoCandidateCooldown. A manual switch cancels a pending swap and
// counts as a swap for the cooldown.
package autoswap

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aimonitor/aimonitor/backend/config"
)

// Window names the rules look at.
const (
	FiveHour = "five_hour"
	SevenDay = "seven_day"
)

// Defaults of the cooldowns (not user settings).
const (
	DefaultSwapCooldown        = 10 * time.Minute
	DefaultNoCandidateCooldown = 15 * time.Minute
	DefaultFailureCooldown     = 5 * time.Minute
	DefaultStaleAfter          = 10 * time.Minute
	// tieWidth: accounts within this many points of the best headroom are
	// equally good, and the least recently used of them wins.
	tieWidth = 1.0
)

// Config is the auto-swap part of the configuration.
type Config struct {
	Enabled     bool
	Threshold5h float64 // percent of the 5-hour window that arms a swap
	Threshold7d float64 // percent of the 7-day window that arms a swap
	Grace       time.Duration

	SwapCooldown        time.Duration
	NoCandidateCooldown time.Duration
	FailureCooldown     time.Duration
	StaleAfter          time.Duration
}

// ConfigFrom turns the user's settings into a Config with default cooldowns.
func ConfigFrom(c config.AutoSwap) Config {
	return Config{
		Enabled:     c.Enabled,
		Threshold5h: float64(c.ThresholdPct),
		Threshold7d: float64(c.Threshold7d),
		Grace:       time.Duration(c.GraceSec) * time.Second,
	}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.SwapCooldown <= 0 {
		c.SwapCooldown = DefaultSwapCooldown
	}
	if c.NoCandidateCooldown <= 0 {
		c.NoCandidateCooldown = DefaultNoCandidateCooldown
	}
	if c.FailureCooldown <= 0 {
		c.FailureCooldown = DefaultFailureCooldown
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = DefaultStaleAfter
	}
	return c
}

// Account is what the rules need to know about one account.
type Account struct {
	ID           int64
	Label        string
	Active       bool
	NeedsRelogin bool
	// CooldownUntil: the usage endpoint asked us to wait (a 429).
	CooldownUntil *time.Time
	LastUsedAt    *time.Time
	// FetchedAt is when Windows were fetched; zero when never.
	FetchedAt time.Time
	// Windows maps every window the endpoint reported to its utilization.
	Windows map[string]float64
}

func (a Account) known() bool { return !a.FetchedAt.IsZero() }

func (a Account) util(window string) float64 { return a.Windows[window] }

// exhaustedWindow names a window at 100 %, "" when none.
func (a Account) exhaustedWindow() string {
	names := make([]string, 0, len(a.Windows))
	for n := range a.Windows {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if a.Windows[n] >= 100 {
			return n
		}
	}
	return ""
}

// Pending is an armed swap.
type Pending struct {
	FromID    int64     `json:"from_id"`
	FromLabel string    `json:"from_label"`
	ToID      int64     `json:"to_id"`
	ToLabel   string    `json:"to_label"`
	ArmedAt   time.Time `json:"armed_at"`
	FiresAt   time.Time `json:"fires_at"`
	Reason    string    `json:"reason"`
}

// State is what Decide remembers between calls. The daemon persists it, so
// a restart neither forgets a cooldown nor re-announces a swap.
type State struct {
	// ActiveID is the active account as last seen; a different one means
	// somebody switched by hand.
	ActiveID int64    `json:"active_id"`
	Pending  *Pending `json:"pending,omitempty"`
	// LastSwapAt is the last switch, automatic or manual.
	LastSwapAt time.Time `json:"last_swap_at"`
	// AwaitFresh: no decision until the active account has numbers newer
	// than LastSwapAt.
	AwaitFresh bool `json:"await_fresh,omitempty"`
	// QuietUntil: after no candidate or a failed swap, nothing is tried
	// before this.
	QuietUntil time.Time `json:"quiet_until"`
	// RefreshedAt is when stale candidates were last sent to be fetched.
	RefreshedAt time.Time `json:"refreshed_at"`
}

// Action is what the daemon should do.
type Action string

const (
	// None: nothing to do now; call again on new numbers or at WakeAt.
	None Action = "none"
	// Arm: a swap to Target is pending; warn the user that it fires at
	// Pending.FiresAt.
	Arm Action = "armed"
	// Rearm: the pending swap's target changed (the old one became unfit).
	Rearm Action = "rearmed"
	// Fire: switch to Target now (trigger "auto"), then call SwapDone or
	// SwapFailed.
	Fire Action = "fired"
	// Cancel: the pending swap is off (usage fell, auto-swap turned off, a
	// manual switch).
	Cancel Action = "cancelled"
	// NoCandidate: the active account needs relief and no account can give it.
	NoCandidate Action = "no_candidate"
	// Refresh: fetch the usage of Refresh, then call Decide again.
	Refresh Action = "refresh"
	// Manual: the user switched by hand (nothing was pending).
	Manual Action = "manual"
)

// Decision is the outcome of Decide.
type Decision struct {
	Action  Action
	Active  *Account
	Target  *Account
	Pending *Pending
	// Refresh lists accounts whose numbers must be fetched (Action Refresh,
	// or None while waiting for the new active account's numbers).
	Refresh []int64
	// Reason explains the decision in words for the audit and notices.
	Reason string
	// WakeAt is when Decide should run again at the latest, zero when only
	// new numbers can change anything.
	WakeAt time.Time
}

// Decide applies the rules. accounts must contain every account; exactly
// one should be Active.
func Decide(cfg Config, st State, now time.Time, accounts []Account) (Decision, State) {
	cfg = cfg.withDefaults()
	var active *Account
	for i := range accounts {
		if accounts[i].Active {
			active = &accounts[i]
			break
		}
	}
	if active == nil {
		if st.Pending != nil {
			st.Pending = nil
			return Decision{Action: Cancel, Reason: "no account is active in Claude Code any more"}, st
		}
		return Decision{Action: None}, st
	}
	d := Decision{Action: None, Active: active}

	// A switch we did not make: the user (or a login in Claude Code) wins.
	if st.ActiveID != 0 && st.ActiveID != active.ID {
		st.ActiveID = active.ID
		st.LastSwapAt, st.AwaitFresh = now, true
		if st.Pending != nil {
			d.Action, d.Pending = Cancel, st.Pending
			d.Reason = fmt.Sprintf("switched to %s by hand; the pending swap to %s is cancelled", active.Label, st.Pending.ToLabel)
			st.Pending = nil
			return d, st
		}
		d.Action, d.Reason = Manual, fmt.Sprintf("switched to %s by hand", active.Label)
		return d, st
	}
	st.ActiveID = active.ID

	if !cfg.Enabled {
		if st.Pending != nil {
			d.Action, d.Pending = Cancel, st.Pending
			d.Reason = "auto-swap was turned off; the pending swap to " + st.Pending.ToLabel + " is cancelled"
			st.Pending = nil
		}
		return d, st
	}
	if !active.known() {
		d.Refresh = []int64{active.ID}
		return d, st
	}
	if st.AwaitFresh {
		if !active.FetchedAt.After(st.LastSwapAt) {
			d.Refresh = []int64{active.ID}
			return d, st
		}
		st.AwaitFresh = false
	}

	trigger := triggerOf(cfg, *active)
	if trigger.window == "" {
		if st.Pending != nil {
			d.Action, d.Pending = Cancel, st.Pending
			d.Reason = fmt.Sprintf("%s is below the thresholds again; the pending swap to %s is cancelled", active.Label, st.Pending.ToLabel)
			st.Pending = nil
		}
		return d, st
	}
	if st.Pending == nil {
		if end := st.LastSwapAt.Add(cfg.SwapCooldown); now.Before(end) && !trigger.exhausted {
			d.WakeAt = end
			return d, st
		}
	}
	if now.Before(st.QuietUntil) {
		d.WakeAt = st.QuietUntil
		return d, st
	}

	// Numbers that are too old are fetched just in time, once per round.
	if stale := staleCandidates(cfg, now, accounts); len(stale) > 0 && now.Sub(st.RefreshedAt) >= cfg.StaleAfter {
		st.RefreshedAt = now
		d.Action, d.Refresh = Refresh, stale
		d.Reason = "fetching fresh numbers of other accounts before choosing"
		return d, st
	}

	target, why := choose(cfg, now, *active, trigger, accounts)
	if target == nil {
		d.Action = NoCandidate
		d.Pending = st.Pending
		d.Reason = fmt.Sprintf("%s: %s, but no other account can take over (%s)", active.Label, trigger.words, why)
		st.Pending = nil
		st.QuietUntil = now.Add(cfg.NoCandidateCooldown)
		d.WakeAt = st.QuietUntil
		return d, st
	}
	d.Target = target

	if p := st.Pending; p != nil {
		if p.ToID != target.ID && !stillFit(cfg, now, *active, trigger, accounts, p.ToID) {
			old := p.ToLabel
			np := *p
			np.ToID, np.ToLabel = target.ID, target.Label
			np.Reason = fmt.Sprintf("%s: %s; %s instead of %s, which can no longer take over (%s)", active.Label, trigger.words, target.Label, old, why)
			st.Pending = &np
			d.Action, d.Pending, d.Reason, d.WakeAt = Rearm, &np, np.Reason, np.FiresAt
			if trigger.exhausted || !now.Before(np.FiresAt) {
				d.Action = Fire
			}
			return d, st
		}
		// Keep the announced target while it is still fit.
		for i := range accounts {
			if accounts[i].ID == p.ToID {
				d.Target = &accounts[i]
			}
		}
		d.Pending, d.Reason = p, p.Reason
		if trigger.exhausted || !now.Before(p.FiresAt) {
			d.Action = Fire
			if trigger.exhausted && now.Before(p.FiresAt) {
				d.Reason = fmt.Sprintf("%s: %s; switching to %s at once", active.Label, trigger.words, p.ToLabel)
			}
			return d, st
		}
		d.WakeAt = p.FiresAt
		return d, st
	}

	p := &Pending{FromID: active.ID, FromLabel: active.Label, ToID: target.ID, ToLabel: target.Label, ArmedAt: now, FiresAt: now.Add(cfg.Grace)}
	p.Reason = fmt.Sprintf("%s: %s; switching to %s (%s)", active.Label, trigger.words, target.Label, why)
	st.Pending = p
	d.Pending, d.Reason = p, p.Reason
	if trigger.exhausted || cfg.Grace <= 0 {
		d.Action = Fire
		return d, st
	}
	d.Action, d.WakeAt = Arm, p.FiresAt
	return d, st
}

// SwapDone records a successful switch to the decision's target.
func SwapDone(st State, now time.Time, toID int64) State {
	st.Pending = nil
	st.ActiveID = toID
	st.LastSwapAt, st.AwaitFresh = now, true
	return st
}

// UserCancelled records that the user called off the pending swap: nothing
// is armed again for SwapCooldown (a swap the user just refused is not
// offered again at the next poll).
func UserCancelled(cfg Config, st State, now time.Time) State {
	cfg = cfg.withDefaults()
	st.Pending = nil
	st.QuietUntil = now.Add(cfg.SwapCooldown)
	return st
}

// SwapFailed records a failed switch: nothing is tried for FailureCooldown.
func SwapFailed(cfg Config, st State, now time.Time) State {
	cfg = cfg.withDefaults()
	st.Pending = nil
	st.QuietUntil = now.Add(cfg.FailureCooldown)
	return st
}

// trigger is why the active account needs relief.
type trigger struct {
	window    string // the binding window: furthest over its threshold
	exhausted bool
	words     string
}

func windowWords(w string) string {
	switch w {
	case FiveHour:
		return "5-hour window"
	case SevenDay:
		return "7-day window"
	}
	return strings.ReplaceAll(w, "_", " ") + " window"
}

func pct(v float64) string { return fmt.Sprintf("%.0f %%", math.Floor(v)) }

func triggerOf(cfg Config, a Account) trigger {
	if w := a.exhaustedWindow(); w == FiveHour || w == SevenDay {
		return trigger{window: w, exhausted: true, words: windowWords(w) + " exhausted (100 %)"}
	}
	over5 := a.util(FiveHour) - cfg.Threshold5h
	over7 := a.util(SevenDay) - cfg.Threshold7d
	switch {
	case over5 >= 0 && over5 >= over7:
		return trigger{window: FiveHour, words: fmt.Sprintf("5-hour window at %s (threshold %s)", pct(a.util(FiveHour)), pct(cfg.Threshold5h))}
	case over7 >= 0:
		return trigger{window: SevenDay, words: fmt.Sprintf("7-day window at %s (threshold %s)", pct(a.util(SevenDay)), pct(cfg.Threshold7d))}
	}
	return trigger{}
}

// unfit says why an account cannot be a target, "" when it can.
func unfit(now time.Time, a Account) string {
	switch {
	case a.Active:
		return "active"
	case a.NeedsRelogin:
		return "needs a new login"
	case a.CooldownUntil != nil && now.Before(*a.CooldownUntil):
		return "cooling down"
	case !a.known():
		return "usage unknown"
	}
	if w := a.exhaustedWindow(); w != "" {
		return windowWords(w) + " exhausted"
	}
	return ""
}

func staleCandidates(cfg Config, now time.Time, accounts []Account) []int64 {
	var out []int64
	for _, a := range accounts {
		if a.Active || a.NeedsRelogin || (a.CooldownUntil != nil && now.Before(*a.CooldownUntil)) {
			continue
		}
		if !a.known() || now.Sub(a.FetchedAt) > cfg.StaleAfter {
			out = append(out, a.ID)
		}
	}
	return out
}

// choose picks the target: among the accounts lower on both windows, else
// among those lower on the binding window, the one with the most headroom;
// accounts within tieWidth points of the best count as equally good and the
// least recently used of them wins. It also says why, or why nobody fits.
func choose(cfg Config, now time.Time, active Account, tr trigger, accounts []Account) (*Account, string) {
	both, binding, why := fit(cfg, now, active, tr, accounts)
	group, score := both, func(a Account) float64 {
		return math.Min(cfg.Threshold5h-a.util(FiveHour), cfg.Threshold7d-a.util(SevenDay))
	}
	if len(group) == 0 {
		t := cfg.Threshold5h
		if tr.window == SevenDay {
			t = cfg.Threshold7d
		}
		group, score = binding, func(a Account) float64 { return t - a.util(tr.window) }
	}
	if len(group) == 0 {
		return nil, why
	}
	top := math.Inf(-1)
	for _, a := range group {
		top = math.Max(top, score(a))
	}
	var best *Account
	for i := range group {
		a := group[i]
		if score(a) < top-tieWidth {
			continue
		}
		if best == nil || lessRecentlyUsed(a, *best) {
			best = &a
		}
	}
	return best, fmt.Sprintf("%s has 5-hour %s, 7-day %s", best.Label, pct(best.util(FiveHour)), pct(best.util(SevenDay)))
}

func stillFit(cfg Config, now time.Time, active Account, tr trigger, accounts []Account, id int64) bool {
	both, binding, _ := fit(cfg, now, active, tr, accounts)
	is := func(a Account) bool { return a.ID == id }
	return slices.ContainsFunc(both, is) || slices.ContainsFunc(binding, is)
}

// fit sorts the possible targets (fresh numbers only) into those lower than
// the active account on both windows and those lower on the binding window
// only, and words why the others were left out.
func fit(cfg Config, now time.Time, active Account, tr trigger, accounts []Account) (both, binding []Account, why string) {
	var left []string
	for _, a := range accounts {
		if a.Active {
			continue
		}
		if r := unfit(now, a); r != "" {
			left = append(left, a.Label+": "+r)
			continue
		}
		if now.Sub(a.FetchedAt) > cfg.StaleAfter {
			left = append(left, a.Label+": numbers too old")
			continue
		}
		lower5 := a.util(FiveHour) < active.util(FiveHour)
		lower7 := a.util(SevenDay) < active.util(SevenDay)
		switch {
		case lower5 && lower7:
			both = append(both, a)
		case a.util(tr.window) < active.util(tr.window):
			binding = append(binding, a)
		default:
			left = append(left, a.Label+": no lower than "+active.Label)
		}
	}
	if len(left) == 0 {
		left = []string{"no other account"}
	}
	return both, binding, strings.Join(left, "; ")
}

// lessRecentlyUsed: never used first, then the oldest use, then the lower id.
func lessRecentlyUsed(a, b Account) bool {
	if c := compareLastUsed(a.LastUsedAt, b.LastUsedAt); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}

func compareLastUsed(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}
