package usage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
)

// Defaults of SchedulerOptions.
const (
	DefaultMaxGap        = 180 * time.Second
	DefaultAverageGap    = 180 * time.Second
	DefaultBurst         = 4
	DefaultTrendLookback = 20 * time.Minute
	DefaultMargin        = 10 * time.Second
	DefaultPaceSafety    = 2.0
	DefaultLagBudget     = 45 * time.Second
	DefaultPeakLookback  = 3 * time.Hour
)

// Levels are, per window, the utilizations worth noticing quickly: the
// auto-swap thresholds, the notification levels, 100 %.
type Levels map[string][]float64

// next returns the lowest level above u for window, ok false when none.
func (l Levels) next(window string, u float64) (float64, bool) {
	best, ok := 0.0, false
	for _, lv := range l[window] {
		if lv > u && (!ok || lv < best) {
			best, ok = lv, true
		}
	}
	return best, ok
}

// SchedulerOptions tune a Scheduler; zero values take the defaults.
type SchedulerOptions struct {
	// MaxGap is the longest wait between two polls of the active account
	// (config poll.interval_sec).
	MaxGap time.Duration
	// MinGap is the shortest; it defaults to the Poller's spacing.
	MinGap time.Duration
	// AverageGap and Burst form a token bucket that caps the long-run
	// request rate per account whatever the predictions say.
	AverageGap time.Duration
	Burst      int
	// TrendLookback is how much history the scheduling burn rate uses.
	TrendLookback time.Duration
	// Margin is how long after a predicted crossing the poll goes out, so
	// a pace that holds finds the level just passed.
	Margin time.Duration
	// PaceSafety and LagBudget guard against the pace rising: the poll goes
	// out no later than LagBudget after the moment the level would be
	// crossed at PaceSafety times the current pace.
	PaceSafety float64
	LagBudget  time.Duration
	// PeakLookback is how far back the guard looks for the fastest pace
	// of the current window instance.
	PeakLookback time.Duration
	// Jitter returns a number in [0,1); math/rand/v2 when nil.
	Jitter func() float64
}

func (o SchedulerOptions) withDefaults(spacing time.Duration) SchedulerOptions {
	if o.MaxGap <= 0 {
		o.MaxGap = DefaultMaxGap
	}
	if o.MinGap <= 0 {
		o.MinGap = spacing
	}
	if o.MaxGap < o.MinGap {
		o.MaxGap = o.MinGap
	}
	if o.AverageGap <= 0 {
		o.AverageGap = DefaultAverageGap
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.TrendLookback <= 0 {
		o.TrendLookback = DefaultTrendLookback
	}
	if o.Margin <= 0 {
		o.Margin = DefaultMargin
	}
	if o.PaceSafety < 1 {
		o.PaceSafety = DefaultPaceSafety
	}
	if o.PeakLookback <= 0 {
		o.PeakLookback = DefaultPeakLookback
	}
	if o.LagBudget <= 0 {
		o.LagBudget = DefaultLagBudget
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	return o
}

// Scheduler decides when the active account is polled: at the predicted
// crossing of the next interesting level when the trend points at one,
// otherwise after MaxGap (jittered below it), never sooner than MinGap or
// the shared gate allows, and never faster on average than the bucket.
// Other accounts are fetched only through RefreshNow.
type Scheduler struct {
	poller   *Poller
	accounts Accounts
	clock    clock.Clock

	mu      sync.Mutex
	opts    SchedulerOptions
	levels  Levels
	buckets map[int64]*bucket
	wake    chan struct{}
}

// NewScheduler returns a Scheduler polling through p.
func NewScheduler(p *Poller, accounts Accounts, clk clock.Clock, levels Levels, opts SchedulerOptions) *Scheduler {
	return &Scheduler{
		poller: p, accounts: accounts, clock: clk,
		opts:    opts.withDefaults(p.Spacing()),
		levels:  cloneLevels(levels),
		buckets: map[int64]*bucket{},
		wake:    make(chan struct{}, 1),
	}
}

func cloneLevels(l Levels) Levels {
	out := Levels{}
	for k, v := range l {
		out[k] = slices.Clone(v)
	}
	return out
}

// SetLevels replaces the interesting levels (after a config change).
func (s *Scheduler) SetLevels(l Levels) {
	s.mu.Lock()
	s.levels = cloneLevels(l)
	s.mu.Unlock()
	s.Wake()
}

// SetMaxGap changes the longest gap (after a config change).
func (s *Scheduler) SetMaxGap(d time.Duration) {
	s.mu.Lock()
	s.opts.MaxGap = max(d, s.opts.MinGap)
	s.mu.Unlock()
	s.Wake()
}

// Wake makes Run plan again now (the active account changed, say).
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Woken delivers Wake calls, for loops other than Run that drive Plan/Poll.
func (s *Scheduler) Woken() <-chan struct{} { return s.wake }

// Poller is the poller the scheduler fetches through.
func (s *Scheduler) Poller() *Poller { return s.poller }

// Plan returns when acct should be polled next, and why (for the status
// and the logs). A time in the past means now.
func (s *Scheduler) Plan(ctx context.Context, acct Account) (time.Time, string, error) {
	s.mu.Lock()
	opts, levels := s.opts, s.levels
	s.mu.Unlock()
	now := s.clock.Now()
	hist := s.poller.History()

	states, err := hist.PollStates(ctx)
	if err != nil {
		return now.Add(opts.MinGap), "", err
	}
	gate := states[acct.ID].NotBefore
	last, found, err := hist.LatestFor(ctx, acct.ID)
	if err != nil {
		return now.Add(opts.MinGap), "", err
	}
	next, why := now, "no usage known yet"
	if found {
		samples, err := hist.Since(ctx, acct.ID, last.FetchedAt.Add(-max(opts.TrendLookback, opts.PeakLookback)))
		if err != nil {
			return now.Add(opts.MinGap), "", err
		}
		next, why = plan(samples, levels, opts)
	}
	if gate.After(next) {
		next = gate
		why = "waiting for the endpoint: " + states[acct.ID].waitWords()
	}
	if t := s.bucketFor(acct.ID, opts).availableAt(now); t.After(next) {
		next, why = t, "holding to the average request budget"
	}
	return next, why, nil
}

func (ps PollState) waitWords() string {
	switch ps.ErrorKind {
	case "":
		return "spacing between requests"
	case KindThrottled:
		return "Retry-After"
	case KindRelogin:
		return "the login needs renewing"
	}
	return "backing off after an error"
}

// plan is the pure part of Plan: samples are one account's, oldest first,
// the newest last.
func plan(samples []Sample, levels Levels, o SchedulerOptions) (time.Time, string) {
	last := samples[len(samples)-1]
	gap := time.Duration(float64(o.MaxGap) * (0.9 + 0.1*o.Jitter()))
	why := "routine check"
	windows := make([]string, 0, len(levels))
	for w := range levels {
		windows = append(windows, w)
	}
	slices.Sort(windows) // deterministic order for the same inputs
	for _, window := range windows {
		w := last.Window(window)
		if w == nil {
			continue
		}
		level, ok := levels.next(window, w.Utilization)
		if !ok {
			continue
		}
		rate, _ := BurnRate(samples, window, o.TrendLookback)
		// The guard pace: faster than now by PaceSafety, or the fastest
		// this window instance has lately gone, which catches a burst
		// after a pause near a level.
		guard := max(rate*o.PaceSafety, PeakRate(samples, window, o.PeakLookback))
		candidate, why1 := time.Duration(math.MaxInt64), ""
		if expected, ok := CrossingAt(last.FetchedAt, w, level, rate); ok {
			margin := o.Margin + time.Duration(float64(o.Margin)*o.Jitter())
			candidate = expected.Sub(last.FetchedAt) + margin
			why1 = fmt.Sprintf("%s expected to reach %.0f%% at %s", window, level, expected.Local().Format("15:04:05"))
		}
		if fast, ok := CrossingAt(last.FetchedAt, w, level, guard); ok && fast.Sub(last.FetchedAt)+o.LagBudget < candidate {
			candidate = fast.Sub(last.FetchedAt) + o.LagBudget
			why1 = fmt.Sprintf("%s could reach %.0f%% at %s at a faster pace", window, level, fast.Local().Format("15:04:05"))
		}
		if candidate < gap {
			gap, why = candidate, why1
		}
	}
	gap = max(gap, o.MinGap)
	return last.FetchedAt.Add(gap), why
}

// Poll fetches acct now (the gate permitting) and counts it against the
// average budget.
func (s *Scheduler) Poll(ctx context.Context, acct Account) Result {
	res := s.poller.Fetch(ctx, acct)
	if res.Outcome == Fetched || res.Outcome == Failed || res.Outcome == Relogin {
		s.mu.Lock()
		opts := s.opts
		s.mu.Unlock()
		s.bucketFor(acct.ID, opts).take(s.clock.Now())
	}
	return res
}

// RefreshNow fetches the given accounts (every account when ids is empty)
// on demand: a UI opening, `aimonitor refresh`, or an auto-swap that needs
// fresh numbers. Each still obeys the shared gate; accounts inside it come
// back with their stored sample (Fresh or Waiting).
func (s *Scheduler) RefreshNow(ctx context.Context, ids ...int64) ([]Result, error) {
	return RefreshAccounts(ctx, s.poller, s.accounts, ids, s.Poll)
}

// RefreshAccounts fetches ids (all when empty) one after the other with
// fetch (Poller.Fetch or Scheduler.Poll).
func RefreshAccounts(ctx context.Context, p *Poller, accounts Accounts, ids []int64, fetch func(context.Context, Account) Result) ([]Result, error) {
	list, err := accounts.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("usage: listing accounts: %w", err)
	}
	if fetch == nil {
		fetch = p.Fetch
	}
	var out []Result
	for _, a := range list {
		if len(ids) > 0 && !slices.Contains(ids, a.ID) {
			continue
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		out = append(out, fetch(ctx, a))
	}
	return out, nil
}

// Run polls the active account until ctx ends, calling onResult after
// every poll. The daemon drives Plan and Poll from its own loop instead;
// Run is for a process that only needs the polling.
func (s *Scheduler) Run(ctx context.Context, onResult func(Result)) error {
	for {
		list, err := s.accounts.List(ctx)
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		var active *Account
		for i := range list {
			if list[i].Active {
				active = &list[i]
			}
		}
		s.mu.Lock()
		wait := s.opts.MaxGap
		s.mu.Unlock()
		if active != nil {
			next, _, err := s.Plan(ctx, *active)
			if err == nil {
				wait = next.Sub(s.clock.Now())
			}
		}
		t := s.clock.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-s.wake:
			t.Stop()
			continue
		case <-t.C():
		}
		if active != nil {
			res := s.Poll(ctx, *active)
			if onResult != nil {
				onResult(res)
			}
		}
	}
}

func (s *Scheduler) bucketFor(id int64, o SchedulerOptions) *bucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[id]
	if !ok {
		b = &bucket{tokens: float64(o.Burst)}
		s.buckets[id] = b
	}
	b.refill, b.capacity = o.AverageGap, float64(o.Burst)
	return b
}

// bucket is a token bucket: one request per refill on average, capacity at
// once.
type bucket struct {
	mu       sync.Mutex
	tokens   float64
	at       time.Time
	refill   time.Duration
	capacity float64
}

func (b *bucket) level(now time.Time) float64 {
	if b.at.IsZero() {
		return b.tokens
	}
	return min(b.capacity, b.tokens+now.Sub(b.at).Seconds()/b.refill.Seconds())
}

// availableAt is the earliest time from now with a whole token.
func (b *bucket) availableAt(now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	lv := b.level(now)
	if lv >= 1 {
		return now
	}
	return now.Add(time.Duration((1 - lv) * float64(b.refill)))
}

func (b *bucket) take(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = max(0, b.level(now)-1)
	b.at = now
}
