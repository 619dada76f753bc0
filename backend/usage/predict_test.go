package usage_test

import (
	"math"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// series builds one account's samples: utilization of the 5-hour window at
// minute offsets, all in the window instance that resets at resets.
func series(resets *time.Time, points ...[2]float64) []usage.Sample {
	var out []usage.Sample
	for _, p := range points {
		out = append(out, sample(1, t0.Add(time.Duration(p[0]*float64(time.Minute))), p[1], 0, resets))
	}
	return out
}

func TestBurnRate(t *testing.T) {
	resets := ptr(t0.Add(4 * time.Hour))
	other := ptr(t0.Add(9 * time.Hour))
	cases := []struct {
		name    string
		samples []usage.Sample
		want    float64
		n       int
	}{
		{"none", nil, 0, 0},
		{"one sample", series(resets, [2]float64{0, 10}), 0, 1},
		{"steady 30 per hour", series(resets, [2]float64{0, 10}, [2]float64{10, 15}, [2]float64{20, 20}), 30, 3},
		{"flat", series(resets, [2]float64{0, 10}, [2]float64{10, 10}), 0, 2},
		{"too close together", series(resets, [2]float64{0, 10}, [2]float64{0.25, 11}), 0, 2},
		{"older than the lookback is ignored", series(resets, [2]float64{-120, 0}, [2]float64{0, 10}, [2]float64{30, 20}), 20, 2},
		{"a reset starts a new instance", append(series(resets, [2]float64{0, 90}, [2]float64{5, 95}), series(other, [2]float64{10, 1}, [2]float64{20, 6})...), 30, 2},
		{"a drop starts a new instance even with the same reset time", series(resets, [2]float64{0, 50}, [2]float64{5, 2}, [2]float64{15, 7}), 30, 2},
		{"least squares over noise", series(resets, [2]float64{0, 10}, [2]float64{10, 16}, [2]float64{20, 20}, [2]float64{30, 25}), 29.4, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, n := usage.BurnRate(c.samples, usage.FiveHour, 45*time.Minute)
			if math.Abs(got-c.want) > 0.05 || n != c.n {
				t.Fatalf("BurnRate = %.2f from %d samples, want %.2f from %d", got, n, c.want, c.n)
			}
		})
	}
}

func TestPredict(t *testing.T) {
	resets := ptr(t0.Add(4 * time.Hour))
	soon := ptr(t0.Add(90 * time.Minute))
	cases := []struct {
		name      string
		samples   []usage.Sample
		exhausts  *time.Time
		exhausted bool
	}{
		// 30 points/hour from 60 % at +20 min: 40 points take 80 minutes.
		{"heading for full", series(resets, [2]float64{0, 50}, [2]float64{20, 60}), ptr(t0.Add(100 * time.Minute)), false},
		{"resets before it fills", series(soon, [2]float64{0, 50}, [2]float64{20, 60}), nil, false},
		{"not moving", series(resets, [2]float64{0, 60}, [2]float64{20, 60}), nil, false},
		{"already full", series(resets, [2]float64{0, 98}, [2]float64{20, 100}), ptr(t0.Add(20 * time.Minute)), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, ok := usage.Predict(c.samples, usage.FiveHour)
			if !ok {
				t.Fatal("no prediction")
			}
			if p.Exhausted != c.exhausted || (p.ExhaustsAt == nil) != (c.exhausts == nil) ||
				(c.exhausts != nil && p.ExhaustsAt.Sub(*c.exhausts).Abs() > time.Second) {
				t.Fatalf("exhausts %v (exhausted %v), want %v (%v)", p.ExhaustsAt, p.Exhausted, c.exhausts, c.exhausted)
			}
		})
	}
	if _, ok := usage.Predict(series(nil, [2]float64{0, 1}), usage.SevenDayOpus); ok {
		t.Fatal("a prediction for a window the sample lacks")
	}
	preds := usage.PredictAll(series(resets, [2]float64{0, 50}, [2]float64{20, 60}))
	if e := usage.EarliestExhaustion(preds); e == nil || !e.Equal(t0.Add(100*time.Minute)) {
		t.Fatalf("EarliestExhaustion = %v", e)
	}
}

func TestCrossingAt(t *testing.T) {
	w := &anthropic.Window{Utilization: 70, ResetsAt: ptr(t0.Add(time.Hour))}
	if at, ok := usage.CrossingAt(t0, w, 80, 20); !ok || !at.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("CrossingAt = %v %v", at, ok)
	}
	if _, ok := usage.CrossingAt(t0, w, 100, 20); ok {
		t.Fatal("crossing after the reset reported")
	}
	if _, ok := usage.CrossingAt(t0, w, 60, 20); ok {
		t.Fatal("crossing of a level already passed reported")
	}
	if _, ok := usage.CrossingAt(t0, w, 80, 0); ok {
		t.Fatal("crossing without a pace reported")
	}
}
