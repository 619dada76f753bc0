package cli

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// demoHistoryStep spaces the seeded samples: a week of them is 168 per
// account, enough for a chart, quick to write.
const demoHistoryStep = time.Hour

// seedDemoHistory gives each demo account a week of believable usage
// samples ending at its current usage in the simulator, so the panel's
// charts show what they are for from the first minute: the 5-hour window
// climbs through working sessions and resets, the 7-day windows climb
// through working hours since their last reset. Accounts with no usage
// (demo --extra) get none. ids maps e-mail addresses to account ids.
func seedDemoHistory(ctx context.Context, h *usage.History, ids map[string]int64, states []sim.AccountState, now time.Time) error {
	for _, st := range states {
		id, ok := ids[st.Identity.Email]
		if !ok || !anyUsage(st) {
			continue
		}
		seed := fnv.New32a()
		seed.Write([]byte(st.Identity.Email))
		salt := seed.Sum32()
		start := now.Add(-7 * 24 * time.Hour).Truncate(demoHistoryStep)
		for t := start; t.Before(now.Add(-demoHistoryStep / 2)); t = t.Add(demoHistoryStep) {
			u := &anthropic.Usage{}
			for name, w := range st.Windows {
				win := demoWindowAt(name, w, t, now, salt)
				switch name {
				case sim.FiveHour:
					u.FiveHour = win
				case sim.SevenDay:
					u.SevenDay = win
				case sim.SevenDayOpus:
					u.SevenDayOpus = win
				case sim.SevenDaySonnet:
					u.SevenDaySonnet = win
				}
			}
			if err := h.Insert(ctx, usage.Sample{AccountID: id, FetchedAt: t, Usage: u}); err != nil {
				return err
			}
		}
	}
	return nil
}

func anyUsage(st sim.AccountState) bool {
	for _, w := range st.Windows {
		if w.Utilization > 0 {
			return true
		}
	}
	return false
}

// working is whether t falls in the demo's working hours: 9:00 to midnight
// local time, every day (people who juggle subscriptions work late).
func working(t time.Time) bool {
	return t.Local().Hour() >= 9
}

// workedBetween counts the working hours in [from, to).
func workedBetween(from, to time.Time) float64 {
	n := 0.0
	for t := from.Truncate(time.Hour); t.Before(to); t = t.Add(time.Hour) {
		if working(t) && !t.Before(from) {
			n++
		}
	}
	return n
}

// demoWindowAt is the window name at t, in a past consistent with its
// state now (w): it reaches w.Utilization at now.
func demoWindowAt(name string, w sim.WindowState, t, now time.Time, salt uint32) *anthropic.Window {
	if name == sim.FiveHour {
		return demoFiveHourAt(w, t, now, salt)
	}
	if w.ResetsAt == nil {
		return &anthropic.Window{Utilization: w.Utilization}
	}
	// The 7-day windows grow with the hours worked since they started.
	period := 7 * 24 * time.Hour
	begin := w.ResetsAt.Add(-period)
	for begin.After(t) {
		begin = begin.Add(-period)
	}
	resets := begin.Add(period)
	total := workedBetween(w.ResetsAt.Add(-period), now)
	if total == 0 {
		total = 1
	}
	// The previous week ended higher or lower than this one, by the salt.
	level := w.Utilization / total
	if resets.Before(*w.ResetsAt) {
		level *= 0.7 + float64(salt%60)/100
	}
	util := min(100, level*workedBetween(begin, t))
	return &anthropic.Window{Utilization: round1(util), ResetsAt: &resets}
}

// demoFiveHourAt plays working sessions: one starts at the first working
// hour after the previous one reset, climbs to a peak that varies by day,
// and resets five hours after it started. The session holding now ends at
// the simulator's current value.
func demoFiveHourAt(w sim.WindowState, t, now time.Time, salt uint32) *anthropic.Window {
	if w.ResetsAt != nil {
		if cur := w.ResetsAt.Add(-5 * time.Hour); !t.Before(cur) {
			frac := float64(t.Sub(cur)) / float64(now.Sub(cur))
			r := *w.ResetsAt
			return &anthropic.Window{Utilization: round1(w.Utilization * min(1, frac)), ResetsAt: &r}
		}
	}
	if !working(t) {
		return &anthropic.Window{Utilization: 0}
	}
	// Sessions start at 9:00, 14:00 and 19:00 local time.
	lt := t.Local()
	startHour := 9 + (lt.Hour()-9)/5*5
	start := time.Date(lt.Year(), lt.Month(), lt.Day(), startHour, 0, 0, 0, time.Local)
	day := uint32(lt.YearDay()*2 + startHour)
	peak := 25 + float64((salt+day*2654435761)%70)
	frac := float64(t.Sub(start)+time.Hour) / float64(5*time.Hour)
	resets := start.Add(5 * time.Hour)
	return &anthropic.Window{Utilization: round1(min(100, peak*frac)), ResetsAt: &resets}
}

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }
