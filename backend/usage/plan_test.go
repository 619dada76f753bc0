package usage

import (
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
)

var planT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// rising returns two samples 5 minutes apart of a 5-hour window moving at
// rate points/hour and ending at u (and a flat 7-day window at seven).
func rising(u, rate, seven float64) []Sample {
	resets := planT0.Add(4 * time.Hour)
	mk := func(at time.Time, five float64) Sample {
		return Sample{AccountID: 1, FetchedAt: at, Usage: &anthropic.Usage{
			FiveHour: &anthropic.Window{Utilization: five, ResetsAt: &resets},
			SevenDay: &anthropic.Window{Utilization: seven},
		}}
	}
	return []Sample{mk(planT0.Add(-5*time.Minute), u-rate/12), mk(planT0, u)}
}

func TestPlan(t *testing.T) {
	opts := SchedulerOptions{MaxGap: 10 * time.Minute, MinGap: time.Minute, Jitter: func() float64 { return 0 }}.withDefaults(time.Minute)
	levels := Levels{FiveHour: {80, 95, 100}, SevenDay: {80, 100}}
	routine := 9 * time.Minute // 0.9 × MaxGap with zero jitter
	cases := []struct {
		name    string
		samples []Sample
		levels  Levels
		want    time.Duration
	}{
		{"idle: the longest gap, jittered below it", rising(50, 0, 10), levels, routine},
		{"crossing far off: routine", rising(70, 30, 10), levels, routine},
		// 80 in 4 min at 30/h; at twice the pace 2 min, plus the 45 s lag budget.
		{"crossing in 4 minutes: guard against a faster pace", rising(78, 30, 10), levels, 2*time.Minute + 45*time.Second},
		// 80 in 70 s: the predicted crossing plus the 10 s margin (80 s) ties
		// the guard (35 s + 45 s).
		{"crossing in 70 seconds", rising(79.757, 12.5, 10), levels, 80 * time.Second},
		{"crossing in 20 seconds: never below the shortest gap", rising(79.9, 18, 10), levels, time.Minute},
		{"the next level up counts after the first is passed", rising(93, 30, 10), levels, 2*time.Minute + 45*time.Second},
		{"above every level: routine", rising(100, 0, 10), levels, routine},
		{"no levels: routine", rising(78, 30, 10), Levels{}, routine},
		{"a level only on the other window", rising(78, 30, 10), Levels{SevenDay: {80}}, routine},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, why := plan(c.samples, c.levels, opts)
			if got := next.Sub(planT0); (got - c.want).Abs() > time.Second {
				t.Fatalf("next poll in %v (%s), want %v", got, why, c.want)
			}
		})
	}
}

func TestLevelsNext(t *testing.T) {
	l := Levels{FiveHour: {95, 80, 100}}
	for _, c := range []struct {
		u    float64
		want float64
		ok   bool
	}{{10, 80, true}, {80, 95, true}, {96, 100, true}, {100, 0, false}} {
		if got, ok := l.next(FiveHour, c.u); got != c.want || ok != c.ok {
			t.Errorf("next(%v) = %v %v, want %v %v", c.u, got, ok, c.want, c.ok)
		}
	}
}

func TestBucket(t *testing.T) {
	b := &bucket{tokens: 2, refill: 3 * time.Minute, capacity: 2}
	now := planT0
	for i := 0; i < 2; i++ {
		if at := b.availableAt(now); !at.Equal(now) {
			t.Fatalf("token %d not available: %v", i, at)
		}
		b.take(now)
	}
	if at := b.availableAt(now); !at.Equal(now.Add(3 * time.Minute)) {
		t.Fatalf("empty bucket refills at %v", at)
	}
	if at := b.availableAt(now.Add(time.Hour)); !at.Equal(now.Add(time.Hour)) {
		t.Fatal("bucket did not refill")
	}
	if lv := b.level(now.Add(time.Hour)); lv != 2 {
		t.Fatalf("level %v above capacity", lv)
	}
}
