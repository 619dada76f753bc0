package usage

import (
	"math"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
)

// DisplayLookback is how much recent history the shown burn rate averages:
// long enough to smooth the endpoint's rounding, short enough to follow a
// change of pace within a quarter of an hour or two.
const DisplayLookback = 45 * time.Minute

// sameInstanceSlack tolerates a resets_at that wobbles between answers.
const sameInstanceSlack = 10 * time.Minute

// WindowPrediction is the state and trend of one usage window.
type WindowPrediction struct {
	Utilization float64    `json:"utilization"`
	ResetsAt    *time.Time `json:"resets_at"`
	// BurnRatePerHour is how fast utilization rises, in percentage points
	// per hour, over the recent samples of this window instance; 0 when
	// flat or when there is too little history to tell.
	BurnRatePerHour float64 `json:"burn_rate_per_hour"`
	// Samples is how many samples the rate rests on.
	Samples int `json:"samples"`
	// ExhaustsAt is when the window reaches 100 % at the current pace, nil
	// when it will reset first (or nothing is being used). For a window
	// that is already full it is the time of the sample that said so.
	ExhaustsAt *time.Time `json:"exhausts_at"`
	Exhausted  bool       `json:"exhausted"`
}

// instance returns the trailing run of samples that belong to the same
// window instance as the last one (same reset time, utilization never
// falling) and were fetched within lookback of it, oldest first.
func instance(samples []Sample, window string, lookback time.Duration) []Sample {
	if len(samples) == 0 {
		return nil
	}
	last := samples[len(samples)-1]
	lw := last.Window(window)
	if lw == nil {
		return nil
	}
	start := len(samples) - 1
	next := lw
	for i := len(samples) - 2; i >= 0; i-- {
		s := samples[i]
		w := s.Window(window)
		if w == nil || last.FetchedAt.Sub(s.FetchedAt) > lookback {
			break
		}
		if !sameReset(w.ResetsAt, lw.ResetsAt) || w.Utilization > next.Utilization+0.5 {
			break
		}
		start, next = i, w
	}
	return samples[start:]
}

func sameReset(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	d := a.Sub(*b)
	return d.Abs() <= sameInstanceSlack
}

// BurnRate fits a line through the window's recent samples (see instance)
// and returns its slope in percentage points per hour, never negative, and
// how many samples it used. Fewer than two samples, or samples less than 30
// seconds apart, give 0.
func BurnRate(samples []Sample, window string, lookback time.Duration) (float64, int) {
	run := instance(samples, window, lookback)
	if len(run) < 2 || run[len(run)-1].FetchedAt.Sub(run[0].FetchedAt) < 30*time.Second {
		return 0, len(run)
	}
	// Least squares with time in hours relative to the first sample.
	t0 := run[0].FetchedAt
	var n, sx, sy, sxx, sxy float64
	for _, s := range run {
		x := s.FetchedAt.Sub(t0).Hours()
		y := s.Window(window).Utilization
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	den := n*sxx - sx*sx
	if den <= 0 {
		return 0, len(run)
	}
	slope := (n*sxy - sx*sy) / den
	if slope < 0 || math.IsNaN(slope) || math.IsInf(slope, 0) {
		slope = 0
	}
	return slope, len(run)
}

// PeakRate is the fastest pace, in points per hour, between two samples at
// least two minutes apart of the current window instance within lookback.
func PeakRate(samples []Sample, window string, lookback time.Duration) float64 {
	run := instance(samples, window, lookback)
	peak := 0.0
	for i, j := 0, 1; j < len(run); j++ {
		// Pair each sample with the latest one at least two minutes older,
		// so rounding over a short span cannot fake a burst.
		for i+1 < j && run[j].FetchedAt.Sub(run[i+1].FetchedAt) >= 2*time.Minute {
			i++
		}
		span := run[j].FetchedAt.Sub(run[i].FetchedAt)
		if span < 2*time.Minute {
			continue
		}
		rate := (run[j].Window(window).Utilization - run[i].Window(window).Utilization) / span.Hours()
		peak = max(peak, rate)
	}
	return peak
}

// Predict describes one window of the newest sample: utilization, reset,
// burn rate over DisplayLookback and when it will be full at that pace.
// samples must be one account's, oldest first. ok is false when the newest
// sample has no such window.
func Predict(samples []Sample, window string) (WindowPrediction, bool) {
	if len(samples) == 0 {
		return WindowPrediction{}, false
	}
	last := samples[len(samples)-1]
	w := last.Window(window)
	if w == nil {
		return WindowPrediction{}, false
	}
	p := WindowPrediction{Utilization: w.Utilization, ResetsAt: w.ResetsAt}
	p.BurnRatePerHour, p.Samples = BurnRate(samples, window, DisplayLookback)
	if w.Utilization >= 100 {
		t := last.FetchedAt
		p.Exhausted, p.ExhaustsAt = true, &t
		return p, true
	}
	if at, ok := CrossingAt(last.FetchedAt, w, 100, p.BurnRatePerHour); ok {
		p.ExhaustsAt = &at
	}
	return p, true
}

// CrossingAt is when window w, observed at `at`, reaches level at rate
// (points per hour); ok is false when it is already there, is not rising,
// or will reset before getting there.
func CrossingAt(at time.Time, w *anthropic.Window, level, rate float64) (time.Time, bool) {
	if w == nil || w.Utilization >= level || rate <= 0 {
		return time.Time{}, false
	}
	hours := (level - w.Utilization) / rate
	if hours > 24*366 {
		return time.Time{}, false
	}
	// Whole seconds: the inputs are not more precise than that.
	t := at.Add(time.Duration(math.Round(hours*3600)) * time.Second)
	if w.ResetsAt != nil && !t.Before(*w.ResetsAt) {
		return time.Time{}, false
	}
	return t, true
}

// EarliestExhaustion is the soonest ExhaustsAt over the 5-hour and 7-day
// windows, nil when neither is heading for 100 % before it resets.
func EarliestExhaustion(preds map[string]WindowPrediction) *time.Time {
	var best *time.Time
	for _, name := range []string{FiveHour, SevenDay} {
		p, ok := preds[name]
		if !ok || p.ExhaustsAt == nil {
			continue
		}
		if best == nil || p.ExhaustsAt.Before(*best) {
			t := *p.ExhaustsAt
			best = &t
		}
	}
	return best
}

// PredictAll predicts every window the newest sample has.
func PredictAll(samples []Sample) map[string]WindowPrediction {
	out := map[string]WindowPrediction{}
	for _, name := range []string{FiveHour, SevenDay, SevenDayOpus, SevenDaySonnet} {
		if p, ok := Predict(samples, name); ok {
			out[name] = p
		}
	}
	return out
}
