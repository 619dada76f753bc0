package usage_test

import (
	"math"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/usage"
)

// FuzzPredict checks that any history gives a sane prediction: a finite,
// non-negative burn rate, and an exhaustion time that is not before the
// newest sample and not after the window's reset.
func FuzzPredict(f *testing.F) {
	f.Add([]byte{0, 10, 5, 20, 10, 30}, uint8(4))
	f.Add([]byte{0, 90, 1, 95, 2, 100}, uint8(1))
	f.Add([]byte{0, 50, 0, 50, 30, 10}, uint8(0))
	f.Add([]byte{200, 255, 3, 0}, uint8(255))
	f.Fuzz(func(t *testing.T, data []byte, resetHours uint8) {
		resets := ptr(t0.Add(time.Duration(resetHours) * time.Hour))
		var samples []usage.Sample
		at := t0
		for i := 0; i+1 < len(data); i += 2 {
			at = at.Add(time.Duration(data[i]) * 10 * time.Second)
			samples = append(samples, sample(1, at, float64(data[i+1])/2.55, 0, resets))
		}
		if len(samples) == 0 {
			return
		}
		for _, lookback := range []time.Duration{time.Minute, usage.DisplayLookback, 24 * time.Hour} {
			rate, n := usage.BurnRate(samples, usage.FiveHour, lookback)
			if rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0) || n < 1 || n > len(samples) {
				t.Fatalf("BurnRate = %v from %d", rate, n)
			}
			if peak := usage.PeakRate(samples, usage.FiveHour, lookback); peak < 0 || math.IsNaN(peak) || math.IsInf(peak, 0) {
				t.Fatalf("PeakRate = %v", peak)
			}
		}
		p, ok := usage.Predict(samples, usage.FiveHour)
		if !ok {
			t.Fatal("no prediction")
		}
		last := samples[len(samples)-1].FetchedAt
		if e := p.ExhaustsAt; e != nil {
			if e.Before(last) {
				t.Fatalf("exhausts at %v, before the newest sample %v", e, last)
			}
			if !p.Exhausted && !e.Before(*resets) {
				t.Fatalf("exhausts at %v, after the reset %v", e, resets)
			}
		}
	})
}
