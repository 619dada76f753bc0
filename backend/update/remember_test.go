package update

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/egress"
)

type memSettings struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memSettings) GetSetting(_ context.Context, k string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok, nil
}

func (s *memSettings) SetSetting(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[k] = v
	return nil
}

func simChecker(t *testing.T) (*Checker, *sim.Server) {
	t.Helper()
	s := sim.New(clock.NewFake(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	url := srv.URL + "/repos/" + buildinfo.ReleasesRepo + "/releases"
	pol, err := egress.PolicyFromOverrides("", "", url)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(egress.NewClient(pol), WithReleasesURL(url))
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func TestCheckAndRememberUsesETag(t *testing.T) {
	c, s := simChecker(t)
	st := &memSettings{}
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	res, err := CheckAndRemember(ctx, c, st, "v0.9.0", now)
	if err != nil {
		t.Fatal(err)
	}
	if !res.UpdateAvailable || res.Latest != "v1.0.0" {
		t.Fatalf("pre-release or draft not ignored: %+v", res)
	}
	rem, _ := Load(ctx, st)
	if rem.Cache.ETag == "" || !rem.CheckedAt.Equal(now) || rem.Result.Latest != "v1.0.0" {
		t.Fatalf("remembered %+v", rem)
	}
	res, err = CheckAndRemember(ctx, c, st, "v0.9.0", now.Add(Interval))
	if err != nil || !res.NotModified || res.Latest != "v1.0.0" {
		t.Fatalf("second check: %+v %v", res, err)
	}
	if n := s.Log().Count(sim.EndpointReleases, 304); n != 1 {
		t.Fatalf("304 answers %d, want 1 (ETag not sent?)", n)
	}
}

func TestRunDailyChecksOnStartThenDaily(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	var last time.Time
	var checks []time.Time
	on := true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		RunDaily(ctx, clk,
			func() time.Time { mu.Lock(); defer mu.Unlock(); return last },
			func() bool { mu.Lock(); defer mu.Unlock(); return on },
			func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				last = clk.Now()
				checks = append(checks, last)
				return nil
			}, nil)
		close(done)
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(checks) }
	step := func(d time.Duration) {
		// Advance in small steps so the loop's timers are re-armed between them.
		for end := clk.Now().Add(d); clk.Now().Before(end); {
			waitArmed(t, clk)
			clk.Advance(time.Minute)
		}
	}
	waitFor(t, func() bool { return count() == 1 })
	step(23 * time.Hour)
	if count() != 1 {
		t.Fatalf("checked %d times within a day", count())
	}
	step(90 * time.Minute)
	waitFor(t, func() bool { return count() == 2 })

	mu.Lock()
	on = false
	mu.Unlock()
	step(72 * time.Hour)
	if count() != 2 {
		t.Fatalf("checked while off: %d", count())
	}
	mu.Lock()
	on = true
	mu.Unlock()
	step(10 * time.Minute)
	waitFor(t, func() bool { return count() == 3 })
	cancel()
	<-done
}

func TestRunDailyWaitsOutARecentCheck(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	last := clk.Now().Add(-2 * time.Hour)
	checked := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go RunDaily(ctx, clk, func() time.Time { return last }, func() bool { return true },
		func(context.Context) error { checked <- struct{}{}; return errors.New("offline") }, func(error) {})
	waitArmed(t, clk)
	clk.Advance(21 * time.Hour)
	select {
	case <-checked:
		t.Fatal("checked again within a day of another process's check")
	case <-time.After(50 * time.Millisecond):
	}
	waitArmed(t, clk)
	clk.Advance(time.Hour)
	select {
	case <-checked:
	case <-time.After(2 * time.Second):
		t.Fatal("no check after the day passed")
	}
}

func waitArmed(t *testing.T, clk *clock.Fake) {
	t.Helper()
	waitFor(t, func() bool { return clk.Pending() > 0 })
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}
