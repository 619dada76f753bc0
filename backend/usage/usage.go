// Package usage keeps every account's usage windows up to date without
// upsetting the rate-limited usage endpoint: a Poller fetches one account
// (persisting Retry-After and backoff in SQLite so every aimonitor process
// obeys them, refreshing the token once on a 401 and flagging dead logins),
// History stores each answer and finds the latest per account, Predict turns
// the trend into a burn rate and an exhaustion time, and a Scheduler polls
// the active account when the trend says a threshold is near, or at the
// configured longest gap.
package usage

import (
	"context"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
)

// Window names, as the usage endpoint spells them.
const (
	FiveHour       = "five_hour"
	SevenDay       = "seven_day"
	SevenDayOpus   = "seven_day_opus"
	SevenDaySonnet = "seven_day_sonnet"
)

// Account is what this package needs to know about an account. The daemon
// fills it from the accounts Manager.
type Account struct {
	ID            int64
	Label         string
	Email         string
	Active        bool
	NeedsRelogin  bool
	ReloginReason string
	// CooldownUntil is when the usage endpoint lets us ask again (a 429's
	// Retry-After), nil when it never asked us to wait.
	CooldownUntil *time.Time
	LastUsedAt    *time.Time
}

// Accounts is the part of the accounts Manager a Poller uses. Tokens it
// returns belong to the caller, which wipes them after use.
type Accounts interface {
	List(ctx context.Context) ([]Account, error)
	// AccessToken returns a valid access token, refreshed when expiring.
	AccessToken(ctx context.Context, accountID int64) ([]byte, error)
	// ForceRefresh refreshes the access token now (after a 401). An error
	// matching anthropic.ErrRefreshDead means the login itself is dead.
	ForceRefresh(ctx context.Context, accountID int64) ([]byte, error)
	SetNeedsRelogin(ctx context.Context, accountID int64, reason string) error
	ClearNeedsRelogin(ctx context.Context, accountID int64) error
}

// Client fetches usage; *anthropic.Client satisfies it.
type Client interface {
	Usage(ctx context.Context, accessToken []byte) (*anthropic.Usage, error)
}

// Sample is one answer of the usage endpoint for one account.
type Sample struct {
	AccountID int64            `json:"account_id"`
	FetchedAt time.Time        `json:"fetched_at"`
	Usage     *anthropic.Usage `json:"usage"`
}

// Window returns the named window of the sample, nil when absent.
func (s Sample) Window(name string) *anthropic.Window {
	if s.Usage == nil {
		return nil
	}
	switch name {
	case FiveHour:
		return s.Usage.FiveHour
	case SevenDay:
		return s.Usage.SevenDay
	case SevenDayOpus:
		return s.Usage.SevenDayOpus
	case SevenDaySonnet:
		return s.Usage.SevenDaySonnet
	}
	if w, ok := s.Usage.OtherWindows[name]; ok {
		return &w
	}
	return nil
}

// Utilization returns the named window's percentage, ok false when absent.
func (s Sample) Utilization(name string) (float64, bool) {
	if w := s.Window(name); w != nil {
		return w.Utilization, true
	}
	return 0, false
}

// MaxUtilization is the highest utilization over every window the sample
// has (known and unknown names), 0 for an empty sample.
func (s Sample) MaxUtilization() float64 {
	highest := 0.0
	for _, name := range []string{FiveHour, SevenDay, SevenDayOpus, SevenDaySonnet} {
		if u, ok := s.Utilization(name); ok && u > highest {
			highest = u
		}
	}
	if s.Usage != nil {
		if w := s.Usage.SevenDayOAuthApps; w != nil && w.Utilization > highest {
			highest = w.Utilization
		}
		for _, w := range s.Usage.OtherWindows {
			if w.Utilization > highest {
				highest = w.Utilization
			}
		}
	}
	return highest
}
