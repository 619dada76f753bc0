package view

import (
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// Usage is an account's usage as the widget draws it: the `list --json`
// object plus which window the prediction is about and the 5-hour pace.
type Usage struct {
	*usage.ListUsage
	// PredictedWindow names the window PredictedExhaustedAt is about.
	PredictedWindow string `json:"predicted_window,omitempty"`
	// BurnRate5h is percentage points per hour on the 5-hour window; >0 rising.
	BurnRate5h *float64 `json:"burn_rate_5h,omitempty"`
}

// Account is one account as the frontend draws it.
type Account struct {
	accounts.Account
	Active bool `json:"active"`
	// Stale: the newest usage sample is older than the poller would allow.
	Stale bool   `json:"stale"`
	Usage *Usage `json:"usage"`
}

// PendingSwap is an armed auto-swap the user can cancel.
type PendingSwap struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	FiresAt time.Time `json:"fires_at"`
	Reason  string    `json:"reason"`
}

// UnsavedLogin is a login Claude Code uses that aimonitor has not saved.
type UnsavedLogin struct {
	Email        string `json:"email"`
	Organization string `json:"organization"`
}

// Poller says who polls Anthropic: this window, the headless daemon, or nobody.
type Poller string

// The pollers.
const (
	PollerWidget Poller = daemon.ModeWidget
	PollerDaemon Poller = daemon.ModeDaemon
	PollerNone   Poller = "none"
)

// Status is the status document: what GetStatus returns and what the widget
// reads from the status path after each status event.
type Status struct {
	Accounts []Account `json:"accounts"`
	// Unsaved is set when Claude Code is logged in to an account aimonitor
	// does not know yet (the widget offers to save it).
	Unsaved     *UnsavedLogin `json:"unsaved_login"`
	PendingSwap *PendingSwap  `json:"pending_swap"`
	NextPollAt  *time.Time    `json:"next_poll_at"`
	LastError   string        `json:"last_error"`
	Poller      Poller        `json:"poller"`
	Heartbeat   *time.Time    `json:"heartbeat"`
}

// BuildStatus merges the account list (identity, which one is live now)
// with the poller's document (usage, predictions, pending swap). doc may be
// nil (no poller has written one yet); pollerErr is why this process's
// poller is not running, if it is not.
func BuildStatus(ov *accounts.Overview, doc *daemon.Document, pollerErr string, intervalSec int, now time.Time) Status {
	v := Status{Accounts: make([]Account, 0, len(ov.Accounts)), Poller: PollerNone, LastError: pollerErr}
	byID := map[int64]daemon.AccountStatus{}
	if doc != nil {
		for _, s := range doc.Accounts {
			byID[s.ID] = s
		}
		if doc.Alive(now) {
			v.Poller = Poller(doc.Owner.Mode)
			hb := doc.Heartbeat
			v.Heartbeat = &hb
		}
		v.NextPollAt = doc.NextPoll
		if doc.LastError != "" {
			v.LastError = doc.LastError
		}
		if p := doc.PendingSwap; p != nil {
			v.PendingSwap = &PendingSwap{From: p.From, To: p.Target, FiresAt: p.FiresAt, Reason: p.Reason}
		}
	}
	if ov.Live.LoggedIn && ov.Live.Account == nil {
		v.Unsaved = &UnsavedLogin{Email: ov.Live.Email, Organization: ov.Live.Organization}
	}
	staleAfter := 2*time.Duration(intervalSec)*time.Second + time.Minute
	for _, acct := range ov.Accounts {
		row := Account{Account: acct.Account, Active: acct.Active}
		if s, ok := byID[acct.ID]; ok && s.Usage != nil {
			u := &Usage{ListUsage: s.Usage}
			if p, ok := s.Predictions[usage.FiveHour]; ok {
				rate := p.BurnRatePerHour
				u.BurnRate5h = &rate
			}
			if at := s.Usage.PredictedExhaustedAt; at != nil {
				for name, p := range s.Predictions {
					if p.ExhaustsAt != nil && p.ExhaustsAt.Equal(*at) {
						u.PredictedWindow = name
					}
				}
			}
			row.Usage = u
			// Only the active account is polled on a schedule; the others
			// are as fresh as the last on-demand refresh, which is fine.
			row.Stale = acct.Active && now.Sub(s.Usage.FetchedAt) > staleAfter
		}
		v.Accounts = append(v.Accounts, row)
	}
	return v
}
