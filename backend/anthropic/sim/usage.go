package sim

import (
	"math"
	"time"
)

// Window names, as the usage endpoint spells them.
const (
	FiveHour          = "five_hour"
	SevenDay          = "seven_day"
	SevenDayOpus      = "seven_day_opus"
	SevenDaySonnet    = "seven_day_sonnet"
	SevenDayOAuthApps = "seven_day_oauth_apps"
)

// windowNames lists every window in answer order.
var windowNames = [...]string{FiveHour, SevenDay, SevenDayOpus, SevenDaySonnet, SevenDayOAuthApps}

func windowLength(name string) time.Duration {
	if name == FiveHour {
		return 5 * time.Hour
	}
	return 7 * 24 * time.Hour
}

func knownWindow(name string) bool {
	for _, n := range windowNames {
		if n == name {
			return true
		}
	}
	return false
}

// window is one usage window, evaluated lazily against the clock: nothing
// ticks in the background, so a fake clock can jump a simulated day at once.
//
// The model follows the real service: a window starts with the first
// activity after the previous one ended and resets length later, dropping
// utilization to 0. Without activity a reset leaves the window idle
// (resets_at null) until activity starts it again.
type window struct {
	length   time.Duration
	util     float64   // percent
	resetsAt time.Time // zero: no window running
	rate     float64   // percent per hour of simulated activity
	updated  time.Time // when util was last brought up to date
}

func newWindow(name string, now time.Time) *window {
	return &window{length: windowLength(name), updated: now}
}

// advance brings the window up to now.
func (w *window) advance(now time.Time) {
	if !now.After(w.updated) {
		return
	}
	for {
		if w.resetsAt.IsZero() {
			if w.rate <= 0 {
				w.updated = now
				return
			}
			// Activity opens a window at the moment it starts.
			w.resetsAt = w.updated.Add(w.length)
			continue
		}
		if w.resetsAt.After(now) {
			w.accrue(now)
			return
		}
		// The window ended before now: it resets, and if activity goes on a
		// new one opens at the reset moment.
		w.util = 0
		w.updated = w.resetsAt
		w.resetsAt = time.Time{}
	}
}

func (w *window) accrue(to time.Time) {
	if w.rate > 0 {
		w.util = math.Min(100, w.util+w.rate*to.Sub(w.updated).Hours())
	}
	w.updated = to
}

// ExtraUsage configures the pay-as-you-go pool of an account.
type ExtraUsage struct {
	Enabled           bool    `json:"enabled"`
	MonthlyLimitCents float64 `json:"monthly_limit_cents"`
	UsedCents         float64 `json:"used_cents"`
	Currency          string  `json:"currency"`
}
