package usage_test

import (
	"context"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/backend/usage/usagetest"
)

// waitTimer waits until the loop under test has armed a timer and returns
// its deadline.
func waitTimer(t *testing.T, env *usagetest.Env) time.Time {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if at, ok := env.Clock.NextDeadline(); ok {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduler armed no timer")
		}
	}
}

// Run polls only the active account, at once when it has no numbers, then
// at the longest gap while usage is flat, and sooner as a level nears.
func TestSchedulerRunPollsTheActiveAccount(t *testing.T) {
	env := usagetest.New(t)
	_, activeUUID := env.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 50, ResetsIn: 4 * time.Hour}})
	_, otherUUID := env.Add(t, "home", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 5, ResetsIn: 4 * time.Hour}})
	p := usage.NewPoller(usage.NewHistory(env.Store), env.Accounts, env.Client, env.Clock, usage.PollerOptions{Jitter: func() float64 { return 0 }})
	s := usage.NewScheduler(p, env.Accounts, env.Clock, usage.Levels{usage.FiveHour: {80, 100}}, usage.SchedulerOptions{MaxGap: 10 * time.Minute, Jitter: func() float64 { return 0 }})
	results := make(chan usage.Result, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(r usage.Result) { results <- r }) }()
	defer func() {
		cancel()
		<-done
	}()
	var polls []time.Duration
	for {
		select {
		case r := <-results:
			if r.Outcome != usage.Fetched {
				t.Fatalf("poll %d: %s %v", len(polls), r.Outcome, r.Err)
			}
			polls = append(polls, r.Sample.FetchedAt.Sub(usagetest.T0))
		case <-time.After(10 * time.Second):
			t.Fatal("no poll")
		}
		if len(polls) == 2 {
			// Work picks up pace: 60 %/h from 50 % reaches 80 % at +39 min.
			env.Sim.SetActivity(activeUUID, sim.FiveHour, 60)
		}
		if len(polls) == 5 {
			break
		}
		env.Clock.Set(waitTimer(t, env))
	}
	// At once; then 0.9 × the longest gap while flat (9 min) and while
	// the trend still says the level is far; then the rising trend brings
	// the polls forward: at 27 min (68 %) the guard pace (twice 60 %/h)
	// could reach 80 % in 6 min, so the next poll is 6 min 45 s later.
	want := []time.Duration{0, 9 * time.Minute, 18 * time.Minute, 27 * time.Minute, 33*time.Minute + 45*time.Second}
	for i := range want {
		if polls[i] != want[i] {
			t.Fatalf("polls at %v, want %v", polls, want)
		}
	}
	if n := env.Requests(otherUUID); n != 0 {
		t.Fatalf("the inactive account was polled %d times", n)
	}
}
