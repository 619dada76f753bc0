package main

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// UsageView is an account's usage as the widget draws it: the `list --json`
// object plus which window the prediction is about and the 5-hour pace.
type UsageView struct {
	*usage.ListUsage
	PredictedWindow string   `json:"predicted_window,omitempty"`
	BurnRate5h      *float64 `json:"burn_rate_5h,omitempty"`
}

// AccountStatusView is one account as the frontend draws it.
type AccountStatusView struct {
	accounts.Account
	Active bool `json:"active"`
	// Stale: the newest usage sample is older than the poller would allow.
	Stale bool       `json:"stale"`
	Usage *UsageView `json:"usage"`
}

// PendingSwapView is an armed auto-swap the user can cancel.
type PendingSwapView struct {
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

// StatusView is the payload of EventStatus and GetStatus.
type StatusView struct {
	Accounts []AccountStatusView `json:"accounts"`
	// Unsaved is set when Claude Code is logged in to an account aimonitor
	// does not know yet (the widget offers to save it).
	Unsaved     *UnsavedLogin    `json:"unsaved_login"`
	PendingSwap *PendingSwapView `json:"pending_swap"`
	NextPollAt  *time.Time       `json:"next_poll_at"`
	LastError   string           `json:"last_error"`
	Poller      string           `json:"poller"` // widget | daemon | none
	Heartbeat   *time.Time       `json:"heartbeat"`
}

// GetStatus returns the accounts with their usage and the poller's state.
func (a *App) GetStatus() (StatusView, error) {
	m, err := a.manager()
	if err != nil {
		return StatusView{}, err
	}
	ov, err := m.Overview(a.ctxOrBackground())
	if err != nil {
		return StatusView{}, err
	}
	a.mu.Lock()
	doc, pollerErr := a.doc, a.pollerErr
	a.mu.Unlock()
	return buildStatus(ov, doc, pollerErr, a.svc.Config().Poll.IntervalSec, time.Now()), nil
}

// buildStatus merges the account list (identity, which one is live now)
// with the poller's document (usage, predictions, pending swap).
func buildStatus(ov *accounts.Overview, doc *daemon.Document, pollerErr string, intervalSec int, now time.Time) StatusView {
	v := StatusView{Accounts: make([]AccountStatusView, 0, len(ov.Accounts)), Poller: "none", LastError: pollerErr}
	byID := map[int64]daemon.AccountStatus{}
	if doc != nil {
		for _, s := range doc.Accounts {
			byID[s.ID] = s
		}
		if doc.Alive(now) {
			v.Poller = doc.Owner.Mode
			hb := doc.Heartbeat
			v.Heartbeat = &hb
		}
		v.NextPollAt = doc.NextPoll
		if doc.LastError != "" {
			v.LastError = doc.LastError
		}
		if p := doc.PendingSwap; p != nil {
			v.PendingSwap = &PendingSwapView{From: p.From, To: p.Target, FiresAt: p.FiresAt, Reason: p.Reason}
		}
	}
	if ov.Live.LoggedIn && ov.Live.Account == nil {
		v.Unsaved = &UnsavedLogin{Email: ov.Live.Email, Organization: ov.Live.Organization}
	}
	staleAfter := 2*time.Duration(intervalSec)*time.Second + time.Minute
	for _, acct := range ov.Accounts {
		row := AccountStatusView{Account: acct.Account, Active: acct.Active}
		if s, ok := byID[acct.ID]; ok && s.Usage != nil {
			u := &UsageView{ListUsage: s.Usage}
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

// statusChanged recomputes the status and emits it if it differs from what
// the frontend last got, so unchanged rows are never re-rendered.
func (a *App) statusChanged() {
	v, err := a.GetStatus()
	if err != nil {
		a.svc.Log.Debug("status unavailable", "err", err)
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	a.mu.Lock()
	same := bytes.Equal(data, a.lastStatus)
	if !same {
		a.lastStatus = data
	}
	a.mu.Unlock()
	if !same {
		a.emit(EventStatus, nil) // the frontend reads it from StatusPath
	}
}
