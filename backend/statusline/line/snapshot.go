package line

import "time"

// Snapshot is everything the line shows, as of Now.
type Snapshot struct {
	Now time.Time
	// NoDatabase: aimonitor has never run here (no database file).
	NoDatabase bool
	// Accounts is how many accounts are saved.
	Accounts int
	// Account is the saved account Claude Code is logged in with; nil when
	// it uses a login aimonitor has not saved (LiveEmail) or none at all.
	Account   *Account
	LiveEmail string
	LoggedOut bool
	// Polled: a poller (daemon or widget) wrote the status row within its
	// last three heartbeats.
	Polled    bool
	Heartbeat time.Time
	// Pending is the armed automatic swap, if a live poller armed one.
	Pending *Pending
	// Today is the day's token totals, when asked for.
	Today *Today
}

// Account is the active account as the line shows it.
type Account struct {
	ID            int64
	Label         string
	NeedsRelogin  bool
	CooldownUntil *time.Time
	FiveHour      *Window
	SevenDay      *Window
	// FetchedAt is when the numbers were fetched; zero when never.
	FetchedAt time.Time
	// RunsOutAt is the predicted exhaustion of a window, set only when it
	// comes before that window resets.
	RunsOutAt *time.Time
	LastError string
}

// Window is one usage window (usage.ListWindow's fields).
type Window struct {
	Utilization float64
	ResetsAt    *time.Time
}

// Pending is the automatic swap the status row announces (the fields of
// daemon.PendingSwap the line shows).
type Pending struct {
	From, Target string
	FiresAt      time.Time
}

// Today is the day's token totals from the ledger.
type Today struct {
	Tokens  int64 // all four kinds
	CostUSD *float64
}

// Stored is what a Snapshot is made of that does not depend on the clock:
// what the database and .claude.json held. The status line cache keeps it.
type Stored struct {
	Accounts  int
	LoggedOut bool
	LiveEmail string
	// From the status row, when there is a readable one (HasStatus): its
	// heartbeat, the last instant its poller counts as alive
	// (daemon.Document.AliveUntil) and the swap it announces. (Flat, not
	// the whole Document: decoding its types would cost a cached run more
	// than the rest of the cache.)
	HasStatus  bool
	Heartbeat  time.Time
	AliveUntil time.Time
	Pending    *Pending
	// Account is the active account without RunsOutAt; Predicted is the
	// poller's prediction when the numbers are the status row's.
	Account   *Account
	Predicted *time.Time
	Today     *Today
}

// Snapshot is the Snapshot of st as of now.
func (st *Stored) Snapshot(now time.Time) *Snapshot {
	snap := &Snapshot{Now: now, Accounts: st.Accounts, LoggedOut: st.LoggedOut, LiveEmail: st.LiveEmail, Today: st.Today}
	if st.HasStatus {
		snap.Heartbeat = st.Heartbeat
		if !st.AliveUntil.IsZero() && !now.After(st.AliveUntil) {
			snap.Polled, snap.Pending = true, st.Pending
		}
	}
	if st.Account != nil {
		a := *st.Account
		if st.Predicted != nil {
			a.RunsOutAt = runsOut(st.Predicted, now, a.FiveHour, a.SevenDay)
		}
		snap.Account = &a
	}
	if snap.Pending != nil && snap.Account != nil && snap.Pending.From != snap.Account.Label {
		snap.Pending = nil // armed for an account Claude Code no longer uses
	}
	return snap
}

// runsOut is the predicted exhaustion p when it is still ahead and before
// the windows reset (the poller's prediction already requires that; a
// stale one may have been overtaken by the reset).
func runsOut(p *time.Time, now time.Time, windows ...*Window) *time.Time {
	if p == nil || !p.After(now) {
		return nil
	}
	for _, w := range windows {
		if w != nil && w.ResetsAt != nil && !w.ResetsAt.After(now) {
			return nil
		}
	}
	return p
}
