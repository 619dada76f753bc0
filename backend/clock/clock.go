// Package clock lets timers and schedules be tested without sleeping: code
// takes a Clock, production passes Real, tests pass a Fake they advance.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock is the subset of package time that schedulers need.
type Clock interface {
	Now() time.Time
	// After delivers the time on the channel once d has elapsed.
	After(d time.Duration) <-chan time.Time
	// NewTimer is like time.NewTimer.
	NewTimer(d time.Duration) Timer
}

// Timer is the subset of *time.Timer that schedulers need.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// Real is the wall clock.
type Real struct{}

func (Real) Now() time.Time                         { return time.Now() }
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (Real) NewTimer(d time.Duration) Timer         { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Fake is a manually advanced clock. Timers fire during Advance/Set, in
// deadline order, each on a buffered channel so Advance never blocks.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake returns a Fake clock starting at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) After(d time.Duration) <-chan time.Time { return f.NewTimer(d).C() }

func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{clock: f, ch: make(chan time.Time, 1)}
	t.arm(f.now.Add(d))
	if d <= 0 {
		f.fireDueLocked()
	}
	return t
}

// Advance moves the clock forward by d and fires every timer that came due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.fireDueLocked()
}

// Set moves the clock to t (never backwards) and fires due timers.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.now) {
		f.now = t
	}
	f.fireDueLocked()
}

// NextDeadline reports the earliest pending timer, for tests that step from
// event to event instead of by fixed increments.
func (f *Fake) NextDeadline() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.timers) == 0 {
		return time.Time{}, false
	}
	f.sortLocked()
	return f.timers[0].when, true
}

// Pending reports how many timers are armed.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

func (f *Fake) sortLocked() {
	sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].when.Before(f.timers[j].when) })
}

func (f *Fake) fireDueLocked() {
	f.sortLocked()
	kept := f.timers[:0]
	for _, t := range f.timers {
		if !t.when.After(f.now) {
			select {
			case t.ch <- t.when:
			default:
			}
			t.active = false
			continue
		}
		kept = append(kept, t)
	}
	f.timers = kept
}

func (f *Fake) removeLocked(t *fakeTimer) {
	for i, x := range f.timers {
		if x == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			return
		}
	}
}

type fakeTimer struct {
	clock  *Fake
	ch     chan time.Time
	when   time.Time
	active bool
}

// arm must be called with clock.mu held.
func (t *fakeTimer) arm(when time.Time) {
	t.when = when
	t.active = true
	t.clock.timers = append(t.clock.timers, t)
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.active
	if was {
		t.clock.removeLocked(t)
		t.active = false
	}
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.active
	if was {
		t.clock.removeLocked(t)
	}
	t.arm(t.clock.now.Add(d))
	if d <= 0 {
		t.clock.fireDueLocked()
	}
	return was
}
