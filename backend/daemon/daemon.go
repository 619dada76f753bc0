// Package daemon is the poller owner: the one process per user that polls
// usage, decides and carries out automatic swaps, sends notifications and
// publishes the status row. `aimonitor daemon` runs it headless; the widget
// runs the same code when no daemon holds the poller lock, and otherwise
// follows the status row the owner publishes. There is no socket between
// them: a file lock decides the owner, SQLite carries the rest.
package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/autoswap"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/notify"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/update"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// Defaults of Deps.
const (
	DefaultHeartbeat  = 5 * time.Second
	DefaultFollowPoll = 2 * time.Second
	// SwapStateKey is the settings key of the auto-swap memory.
	SwapStateKey = "autoswap_state"
	// CancelKey is where any process asks the owner to call off the
	// pending swap; the value is the pending swap's key (see PendingSwap.Key).
	CancelKey = "autoswap_cancel"
	// LockName is the poller lock's file name in the data directory.
	LockName = "poller.lock"
)

// Modes of Deps.Mode.
const (
	ModeDaemon = "daemon"
	ModeWidget = "widget"
)

// Accounts is what the daemon needs of the accounts Manager.
type Accounts interface {
	usage.Accounts
	// Switch makes label Claude Code's account; trigger is "auto" here,
	// and the Manager records the switch with reason in switch_log.
	Switch(ctx context.Context, label, trigger, reason string) error
}

// Deps is what Run needs.
type Deps struct {
	Store    *store.Store
	Accounts Accounts
	Client   usage.Client
	// Config returns the current configuration; it is called on every
	// tick, so a cheap cached value that follows the file is best.
	Config func() config.Config
	// LockFile is the poller lock (paths.DataDir/poller.lock).
	LockFile string
	Clock    clock.Clock   // clock.Real{} when nil
	Sender   notify.Sender // notify.NewPlatform when nil
	Log      *slog.Logger
	Mode     string // ModeDaemon (default) or ModeWidget
	// OnStatus is called with every new status document, as owner or as
	// follower (the widget turns it into a Wails event). It must not block.
	OnStatus   func(*Document)
	Heartbeat  time.Duration
	FollowPoll time.Duration
	// Jitter returns numbers in [0,1) for the schedule (math/rand/v2 when nil).
	Jitter func() float64
	// Idle, when set, is called each time the loop waits, with the time
	// it waits for. Tests use it to step a fake clock.
	Idle func(next time.Time)
	// AfterPublish, when set, is called after each write of the status
	// row (a content change or a heartbeat) has committed, with the
	// write's time: the status line keeps its cache current with it
	// (statusline.Hook). Its error is logged at debug and ignored.
	AfterPublish func(ctx context.Context, now time.Time) error
	// ReleaseCheck, when set, asks GitHub for a newer release and remembers
	// the answer. The owner runs it on taking the lock and then daily while
	// auto_update.enabled is on, so a daemon-only install checks too.
	ReleaseCheck func(context.Context) error
}

// Daemon is a poller owner (or follower) for one user.
type Daemon struct {
	d      Deps
	hist   *usage.History
	poller *usage.Poller
	sched  *usage.Scheduler
	wake   chan struct{}

	mu    sync.Mutex
	owner bool
	last  *Document
}

// New checks deps and builds a Daemon; nothing runs before Run.
func New(d Deps) (*Daemon, error) {
	switch {
	case d.Store == nil, d.Accounts == nil, d.Client == nil, d.Config == nil:
		return nil, errors.New("daemon: store, accounts, client and config are required")
	case d.LockFile == "":
		return nil, errors.New("daemon: a lock file is required")
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Log == nil {
		d.Log = logging.Discard()
	}
	if d.Sender == nil {
		d.Sender = notify.NewPlatform(notify.Options{Log: d.Log})
	}
	if d.Mode == "" {
		d.Mode = ModeDaemon
	}
	if d.Heartbeat <= 0 {
		d.Heartbeat = DefaultHeartbeat
	}
	if d.FollowPoll <= 0 {
		d.FollowPoll = DefaultFollowPoll
	}
	hist := usage.NewHistory(d.Store)
	poller := usage.NewPoller(hist, d.Accounts, d.Client, d.Clock, usage.PollerOptions{Jitter: d.Jitter, Log: d.Log})
	cfg := d.Config()
	sched := usage.NewScheduler(poller, d.Accounts, d.Clock, levelsOf(cfg), usage.SchedulerOptions{
		MaxGap: time.Duration(cfg.Poll.IntervalSec) * time.Second, Jitter: d.Jitter,
	})
	return &Daemon{d: d, hist: hist, poller: poller, sched: sched, wake: make(chan struct{}, 1)}, nil
}

// Run is New followed by (*Daemon).Run.
func Run(ctx context.Context, d Deps) error {
	dm, err := New(d)
	if err != nil {
		return err
	}
	return dm.Run(ctx)
}

// levelsOf are the utilizations the scheduler should notice quickly.
func levelsOf(c config.Config) usage.Levels {
	five, seven := []float64{100}, []float64{100}
	if c.AutoSwap.Enabled {
		five = append(five, float64(c.AutoSwap.ThresholdPct))
		seven = append(seven, float64(c.AutoSwap.Threshold7d))
	} else if c.Notify.Enabled {
		five = append(five, float64(c.Notify.WarnPct), float64(c.Notify.CritPct))
		seven = append(seven, float64(c.Notify.WarnPct), float64(c.Notify.CritPct))
	}
	return usage.Levels{usage.FiveHour: five, usage.SevenDay: seven}
}

// Owner reports whether this process currently holds the poller lock.
func (dm *Daemon) Owner() bool {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	return dm.owner
}

// Status is the latest status document this process knows (published or read).
func (dm *Daemon) Status() *Document {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	return dm.last
}

func (dm *Daemon) setStatus(doc *Document, changed bool) {
	dm.mu.Lock()
	dm.last = doc
	dm.mu.Unlock()
	if changed && dm.d.OnStatus != nil {
		dm.d.OnStatus(doc)
	}
}

// RefreshNow fetches the given accounts (all when none are given) on
// demand, obeying the shared gate, and has the owner republish at once.
func (dm *Daemon) RefreshNow(ctx context.Context, ids ...int64) ([]usage.Result, error) {
	res, err := dm.sched.RefreshNow(ctx, ids...)
	dm.Wake()
	return res, err
}

// Wake makes the owner loop run now (after a manual switch, say).
func (dm *Daemon) Wake() {
	select {
	case dm.wake <- struct{}{}:
	default:
	}
}

// Run takes the poller lock and polls until ctx ends; while another
// process holds the lock it follows that process's status row and takes
// over when the lock is free. It returns nil when ctx ends.
func (dm *Daemon) Run(ctx context.Context) error {
	if err := paths.CreatePrivate(dm.d.LockFile); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	lock := flock.New(dm.d.LockFile)
	reader := NewReader(dm.d.Store)
	told := false
	for {
		ok, err := lock.TryLock()
		if err != nil {
			return fmt.Errorf("daemon: taking the poller lock %s: %w", dm.d.LockFile, err)
		}
		if ok {
			dm.mu.Lock()
			dm.owner = true
			dm.mu.Unlock()
			dm.d.Log.Info("daemon: polling usage", "mode", dm.d.Mode, "pid", os.Getpid())
			err := dm.own(ctx)
			dm.mu.Lock()
			dm.owner = false
			dm.mu.Unlock()
			lock.Unlock()
			return err
		}
		doc, changed, err := reader.Poll(ctx)
		if err != nil {
			dm.d.Log.Debug("daemon: reading the status row", "err", err)
		}
		if !told {
			told = true
			who := "another aimonitor process"
			if doc != nil {
				who = fmt.Sprintf("aimonitor %s (pid %d)", doc.Owner.Mode, doc.Owner.PID)
			}
			dm.d.Log.Info("daemon: " + who + " is polling; following its status")
		}
		if doc != nil {
			dm.setStatus(doc, changed)
		}
		if !dm.sleep(ctx, dm.d.Clock.Now().Add(dm.d.FollowPoll), nil) {
			return nil
		}
	}
}

// sleep waits until next, a wake-up or ctx; false means ctx ended.
func (dm *Daemon) sleep(ctx context.Context, next time.Time, extra <-chan struct{}) bool {
	t := dm.d.Clock.NewTimer(max(0, next.Sub(dm.d.Clock.Now())))
	defer t.Stop()
	if dm.d.Idle != nil {
		dm.d.Idle(next)
	}
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
	case <-dm.wake:
	case <-extra:
	}
	return true
}

// ownerState is what the owner loop carries between ticks.
type ownerState struct {
	swap        autoswap.State
	engine      *notify.Engine
	pub         *Publisher
	info        Owner
	nextPoll    time.Time
	nextWhy     string
	lastErr     string
	lastErrAt   *time.Time
	loggedErr   string    // the last error written to the log …
	loggedErrAt time.Time // … and when, so a lasting failure is not logged every tick
	lastDecided *Decision
	levels      usage.Levels
	maxGap      time.Duration
	lastList    []usage.Account
}

func (dm *Daemon) own(ctx context.Context) error {
	st := &ownerState{
		swap:   dm.loadSwapState(ctx),
		engine: notify.NewEngine(dm.d.Sender, notify.SettingsState{DB: dm.d.Store}, dm.d.Log),
		pub:    NewPublisher(dm.d.Store, dm.d.Clock, dm.d.Heartbeat),
		info:   Owner{PID: os.Getpid(), Mode: dm.d.Mode, Since: dm.d.Clock.Now()},
	}
	st.pub.AfterWrite(dm.d.AfterPublish, dm.d.Log)
	if dm.d.ReleaseCheck != nil {
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); dm.runReleaseChecks(rctx) }()
		defer func() { stop(); <-done }()
	}
	for {
		wakeAt := dm.tick(ctx, st)
		if ctx.Err() != nil {
			return nil
		}
		now := dm.d.Clock.Now()
		next := now.Add(dm.d.Heartbeat)
		// A poll still due after the tick could not run (the accounts
		// could not be listed: a locked keyring, say): it is retried at
		// the heartbeat, not at once, or the loop would spin.
		if st.nextPoll.After(now) && st.nextPoll.Before(next) {
			next = st.nextPoll
		}
		if !wakeAt.IsZero() && wakeAt.Before(next) {
			next = wakeAt
		}
		if !dm.sleep(ctx, next, dm.sched.Woken()) {
			return nil
		}
	}
}

// runReleaseChecks checks for a new release now and then daily (by any
// process's last check) while auto_update.enabled is on.
func (dm *Daemon) runReleaseChecks(ctx context.Context) {
	update.RunDaily(ctx, dm.d.Clock,
		func() time.Time { rem, _ := update.Load(ctx, dm.d.Store); return rem.CheckedAt },
		func() bool { return dm.d.Config().AutoUpdate.Enabled },
		dm.d.ReleaseCheck,
		func(err error) { dm.d.Log.Info("daemon: release check failed", "err", err) })
}

// repeatErrorLogEvery is how often a failure that lasts (a locked keyring
// overnight, say) is logged again; the status document always has it.
const repeatErrorLogEvery = 10 * time.Minute

func (dm *Daemon) errorf(st *ownerState, now time.Time, format string, args ...any) {
	msg := logging.Redact(fmt.Sprintf(format, args...))
	st.lastErr, st.lastErrAt = msg, &now
	if msg == st.loggedErr && now.Sub(st.loggedErrAt) < repeatErrorLogEvery {
		return
	}
	st.loggedErr, st.loggedErrAt = msg, now
	dm.d.Log.Warn("daemon: " + msg)
}

// tick is one round: poll if due, decide about swaps, notify, plan the next
// poll, publish. It returns when the auto-swap rules want to run again.
func (dm *Daemon) tick(ctx context.Context, st *ownerState) time.Time {
	now := dm.d.Clock.Now()
	cfg := dm.d.Config()
	if lv := levelsOf(cfg); !reflect.DeepEqual(lv, st.levels) {
		st.levels = lv
		dm.sched.SetLevels(lv)
	}
	if gap := time.Duration(cfg.Poll.IntervalSec) * time.Second; gap != st.maxGap {
		st.maxGap = gap
		dm.sched.SetMaxGap(gap)
	}
	// SetLevels/SetMaxGap wake the scheduler; this tick plans anyway.
	select {
	case <-dm.sched.Woken():
	default:
	}

	list, err := dm.d.Accounts.List(ctx)
	if err != nil {
		// Keep showing what was known (a locked keyring or a Claude Code
		// file caught mid-write should not empty the widget).
		dm.errorf(st, now, "listing accounts: %v", err)
		if st.lastList != nil {
			if v, verr := dm.view(ctx, st.lastList); verr == nil {
				dm.publish(ctx, st, cfg, st.lastList, &v)
			}
		}
		return time.Time{}
	}
	if active := activeOf(list); active != nil && !now.Before(st.nextPoll) {
		res := dm.sched.Poll(ctx, *active)
		switch res.Outcome {
		case usage.Fetched:
			st.lastErr, st.lastErrAt, st.loggedErr = "", nil, ""
		case usage.Failed, usage.Relogin:
			dm.errorf(st, now, "usage of %s: %v", active.Label, res.Err)
		}
		if res.Outcome != usage.Fetched && res.Outcome != usage.Fresh {
			if l, err := dm.d.Accounts.List(ctx); err == nil {
				list = l // flags may have changed
			}
		}
	}
	v, err := dm.view(ctx, list)
	if err != nil {
		dm.errorf(st, now, "reading usage history: %v", err)
	}

	wakeAt := dm.autoswap(ctx, st, cfg, now, &list, &v)

	st.engine.Observe(ctx, notify.ConfigFrom(cfg), now, v.notifyAccounts(list))

	st.nextPoll, st.nextWhy = time.Time{}, "no active account"
	if active := activeOf(list); active != nil {
		next, why, err := dm.sched.Plan(ctx, *active)
		if err != nil {
			dm.errorf(st, now, "planning the next poll: %v", err)
			next = now.Add(st.maxGap)
		}
		st.nextPoll, st.nextWhy = next, why
	} else {
		st.nextPoll = now.Add(max(st.maxGap, time.Minute))
	}
	st.lastList = list
	dm.publish(ctx, st, cfg, list, &v)
	return wakeAt
}

func activeOf(list []usage.Account) *usage.Account {
	for i := range list {
		if list[i].Active {
			return &list[i]
		}
	}
	return nil
}

// view is what the database says about every account's usage.
type view struct {
	recent map[int64][]usage.Sample
	polls  map[int64]usage.PollState
}

func (dm *Daemon) view(ctx context.Context, list []usage.Account) (view, error) {
	v := view{recent: map[int64][]usage.Sample{}, polls: map[int64]usage.PollState{}}
	latest, err := dm.hist.Latest(ctx)
	if err != nil {
		return v, err
	}
	for _, a := range list {
		last, ok := latest[a.ID]
		if !ok {
			continue
		}
		samples, err := dm.hist.Since(ctx, a.ID, last.FetchedAt.Add(-usage.DisplayLookback))
		if err != nil {
			return v, err
		}
		v.recent[a.ID] = samples
	}
	v.polls, err = dm.hist.PollStates(ctx)
	return v, err
}

func (v view) latest(id int64) (usage.Sample, bool) {
	s := v.recent[id]
	if len(s) == 0 {
		return usage.Sample{}, false
	}
	return s[len(s)-1], true
}

// swapAccounts is the list as the auto-swap rules see it.
func (v view) swapAccounts(list []usage.Account) []autoswap.Account {
	out := make([]autoswap.Account, 0, len(list))
	for _, a := range list {
		sa := autoswap.Account{ID: a.ID, Label: a.Label, Active: a.Active, NeedsRelogin: a.NeedsRelogin,
			CooldownUntil: a.CooldownUntil, LastUsedAt: a.LastUsedAt}
		if s, ok := v.latest(a.ID); ok {
			sa.FetchedAt = s.FetchedAt
			sa.Windows = map[string]float64{}
			for _, name := range []string{usage.FiveHour, usage.SevenDay, usage.SevenDayOpus, usage.SevenDaySonnet} {
				if u, ok := s.Utilization(name); ok {
					sa.Windows[name] = u
				}
			}
			// Windows this version does not know may still stop Claude Code.
			for name, w := range s.Usage.OtherWindows {
				sa.Windows[name] = w.Utilization
			}
		}
		out = append(out, sa)
	}
	return out
}

func (v view) notifyAccounts(list []usage.Account) []notify.Account {
	out := make([]notify.Account, 0, len(list))
	for _, a := range list {
		na := notify.Account{ID: a.ID, Label: a.Label, Active: a.Active, NeedsRelogin: a.NeedsRelogin, ReloginReason: a.ReloginReason, Windows: map[string]notify.Window{}}
		preds := usage.PredictAll(v.recent[a.ID])
		for _, name := range []string{usage.FiveHour, usage.SevenDay} {
			if p, ok := preds[name]; ok {
				na.Windows[name] = notify.Window{Utilization: p.Utilization, ResetsAt: p.ResetsAt, ExhaustsAt: p.ExhaustsAt}
			}
		}
		out = append(out, na)
	}
	return out
}

func (dm *Daemon) publish(ctx context.Context, st *ownerState, cfg config.Config, list []usage.Account, v *view) {
	doc := document(list, v, dm.d.Clock.Now())
	doc.Owner, doc.AutoSwap, doc.LastError, doc.LastErrorAt = st.info, cfg.AutoSwap.Enabled, st.lastErr, st.lastErrAt
	doc.NextPollReason, doc.LastDecision = st.nextWhy, st.lastDecided
	if !st.nextPoll.IsZero() {
		np := st.nextPoll
		doc.NextPoll = &np
	}
	if p := st.swap.Pending; p != nil {
		doc.PendingSwap = pendingOf(p)
	}
	written, changed, err := st.pub.Publish(ctx, doc)
	if err != nil {
		dm.d.Log.Warn("daemon: could not publish the status", "err", err)
		return
	}
	if written != nil {
		dm.setStatus(written, changed)
	}
}

// document builds the account part of a status document.
func document(list []usage.Account, v *view, now time.Time) Document {
	doc := Document{Version: StatusVersion, Accounts: []AccountStatus{}}
	for _, a := range list {
		as := AccountStatus{ID: a.ID, Label: a.Label, Email: a.Email, Active: a.Active, NeedsRelogin: a.NeedsRelogin,
			ReloginReason: a.ReloginReason, CooldownUntil: a.CooldownUntil}
		if v != nil {
			as.Usage = usage.NewListUsage(v.recent[a.ID])
			if preds := usage.PredictAll(v.recent[a.ID]); len(preds) > 0 {
				as.Predictions = preds
			}
			if ps, ok := v.polls[a.ID]; ok {
				if ps.NotBefore.After(now) {
					nb := ps.NotBefore
					as.NextRequestAt = &nb
				}
				as.LastError = ps.LastError
			}
		}
		doc.Accounts = append(doc.Accounts, as)
	}
	return doc
}

// Snapshot builds a status document straight from the database, for when
// no process is polling (its Owner and Heartbeat are empty). Pending swaps
// and decisions come from the stored auto-swap state.
func Snapshot(ctx context.Context, db *store.Store, accounts usage.Accounts, now time.Time) (*Document, error) {
	list, err := accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	dm := &Daemon{d: Deps{Store: db, Log: logging.Discard()}, hist: usage.NewHistory(db)}
	v, err := dm.view(ctx, list)
	if err != nil {
		return nil, err
	}
	doc := document(list, &v, now)
	if p := dm.loadSwapState(ctx).Pending; p != nil {
		doc.PendingSwap = pendingOf(p)
	}
	return &doc, nil
}

// keyOfWindows names a crossing by the account and its windows' instances,
// so "no candidate" is said once per crossing.
func keyOfWindows(a *autoswap.Account, s usage.Sample, ok bool) string {
	key := fmt.Sprintf("%d", a.ID)
	if !ok {
		return key
	}
	for _, name := range []string{usage.FiveHour, usage.SevenDay} {
		if w := s.Window(name); w != nil && w.ResetsAt != nil {
			key += ":" + w.ResetsAt.UTC().Round(time.Hour).Format("2006010215")
		} else {
			key += ":-"
		}
	}
	return key
}

func swapKey(p *autoswap.Pending) string {
	return fmt.Sprintf("%d-%d-%d", p.FromID, p.ToID, p.ArmedAt.Unix())
}

func swapOf(p *autoswap.Pending, reason string) notify.Swap {
	return notify.Swap{Key: swapKey(p), From: p.FromLabel, To: p.ToLabel, FiresAt: p.FiresAt, Reason: reason}
}

func pendingOf(p *autoswap.Pending) *PendingSwap {
	return &PendingSwap{Key: swapKey(p), From: p.FromLabel, Target: p.ToLabel, TargetID: p.ToID, FiresAt: p.FiresAt, Reason: p.Reason}
}

// ErrNothingPending is returned by CancelPending when no swap is armed.
var ErrNothingPending = errors.New("no automatic swap is pending")

// CancelPending asks the poller owner (this process or another) to call off
// the pending automatic swap. It works from any process: the request goes
// through the database and the owner acts on it at its next tick.
func (dm *Daemon) CancelPending(ctx context.Context) error {
	doc, err := NewReader(dm.d.Store).Read(ctx)
	if err != nil {
		return err
	}
	if doc == nil || doc.PendingSwap == nil {
		return ErrNothingPending
	}
	if err := dm.d.Store.SetSetting(ctx, CancelKey, doc.PendingSwap.Key); err != nil {
		return fmt.Errorf("asking to cancel the swap: %w", err)
	}
	dm.Wake()
	return nil
}

// takeCancel consumes a cancel request; true when it names p.
func (dm *Daemon) takeCancel(ctx context.Context, p *autoswap.Pending) bool {
	v, ok, err := dm.d.Store.GetSetting(ctx, CancelKey)
	if err != nil || !ok || v == "" {
		return false
	}
	dm.d.Store.SetSetting(ctx, CancelKey, "")
	return p != nil && v == swapKey(p)
}

// autoswap runs the rules, carrying out what they decide; list and v are
// refreshed when numbers were fetched or the active account changed.
func (dm *Daemon) autoswap(ctx context.Context, st *ownerState, cfg config.Config, now time.Time, list *[]usage.Account, v *view) time.Time {
	ascfg := autoswap.ConfigFrom(cfg.AutoSwap)
	ncfg := notify.ConfigFrom(cfg)
	reload := func() {
		if l, err := dm.d.Accounts.List(ctx); err == nil {
			*list = l
		}
		if nv, err := dm.view(ctx, *list); err == nil {
			*v = nv
		}
	}
	if p := st.swap.Pending; dm.takeCancel(ctx, p) {
		before := st.swap
		st.swap = autoswap.UserCancelled(ascfg, st.swap, now)
		reason := fmt.Sprintf("the swap from %s to %s was cancelled by the user", p.FromLabel, p.ToLabel)
		st.lastDecided = &Decision{At: now, Action: string(autoswap.Cancel), Reason: reason}
		var from, to *autoswap.Account
		for _, a := range v.swapAccounts(*list) {
			a := a
			switch a.ID {
			case p.FromID:
				from = &a
			case p.ToID:
				to = &a
			}
		}
		dm.audit(ctx, now, string(autoswap.Cancel), from, to, reason)
		st.engine.SwapCancelled(ctx, ncfg, now, swapOf(p, reason))
		dm.saveSwapState(ctx, before, st.swap)
	}
	for round := 0; round < 3; round++ {
		before := st.swap
		d, next := autoswap.Decide(ascfg, st.swap, now, v.swapAccounts(*list))
		st.swap = next
		if d.Action != autoswap.None {
			st.lastDecided = &Decision{At: now, Action: string(d.Action), Reason: d.Reason}
			dm.audit(ctx, now, string(d.Action), d.Active, d.Target, d.Reason)
		}
		switch d.Action {
		case autoswap.Refresh:
			dm.saveSwapState(ctx, before, st.swap)
			for _, id := range d.Refresh {
				for _, a := range *list {
					if a.ID == id {
						dm.sched.Poll(ctx, a)
					}
				}
			}
			reload()
			continue
		case autoswap.Arm, autoswap.Rearm:
			st.engine.SwapPending(ctx, ncfg, now, swapOf(d.Pending, d.Reason))
		case autoswap.Cancel:
			if d.Pending != nil {
				st.engine.SwapCancelled(ctx, ncfg, now, swapOf(d.Pending, d.Reason))
			}
		case autoswap.NoCandidate:
			s, ok := v.latest(d.Active.ID)
			full := d.Active.Windows[usage.FiveHour] >= 100 || d.Active.Windows[usage.SevenDay] >= 100
			key := keyOfWindows(d.Active, s, ok)
			if full {
				key += ":full" // running out is news even after "near the threshold"
			}
			st.engine.NoCandidate(ctx, ncfg, now, key, d.Active.Label, d.Reason, full)
		case autoswap.Fire:
			swap := swapOf(d.Pending, d.Reason)
			if err := dm.d.Accounts.Switch(ctx, d.Target.Label, "auto", d.Reason); err != nil {
				st.swap = autoswap.SwapFailed(ascfg, st.swap, now)
				dm.errorf(st, now, "switching to %s: %v", d.Target.Label, err)
				dm.audit(ctx, now, "failed", d.Active, d.Target, logging.Redact(err.Error()))
				st.engine.SwapFailed(ctx, ncfg, now, swap, err)
			} else {
				st.swap = autoswap.SwapDone(st.swap, now, d.Target.ID)
				dm.d.Log.Info("daemon: switched Claude Code automatically", "from", d.Active.Label, "to", d.Target.Label, "reason", d.Reason)
				st.engine.SwapDone(ctx, ncfg, now, swap)
				st.nextPoll = time.Time{} // fetch the new account's numbers first
				reload()
				if active := activeOf(*list); active != nil {
					dm.sched.Poll(ctx, *active)
					reload()
				}
			}
		}
		dm.saveSwapState(ctx, before, st.swap)
		return d.WakeAt
	}
	return time.Time{}
}

// audit records a decision in autoswap_log.
func (dm *Daemon) audit(ctx context.Context, now time.Time, action string, from, to *autoswap.Account, reason string) {
	var fromID, toID any
	var fromLabel, toLabel string
	if from != nil {
		fromID, fromLabel = from.ID, from.Label
	}
	if to != nil {
		toID, toLabel = to.ID, to.Label
	}
	err := dm.d.Store.Write(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, `INSERT INTO autoswap_log(ts, action, from_id, to_id, from_label, to_label, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			&sqlitex.ExecOptions{Args: []any{now.UnixMilli(), action, fromID, toID, fromLabel, toLabel, reason}})
	})
	if err != nil {
		dm.d.Log.Warn("daemon: could not record an auto-swap decision", "err", err)
	}
}

func (dm *Daemon) loadSwapState(ctx context.Context) autoswap.State {
	var st autoswap.State
	raw, ok, err := dm.d.Store.GetSetting(ctx, SwapStateKey)
	if err != nil || !ok {
		return st
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		dm.d.Log.Warn("daemon: the stored auto-swap state is unreadable; starting afresh", "err", err)
		return autoswap.State{}
	}
	return st
}

func (dm *Daemon) saveSwapState(ctx context.Context, before, after autoswap.State) {
	if reflect.DeepEqual(before, after) {
		return
	}
	data, err := json.Marshal(after)
	if err == nil {
		err = dm.d.Store.Write(ctx, func(conn *sqlite.Conn) error {
			return store.PutSetting(conn, SwapStateKey, string(data), dm.d.Clock.Now())
		})
	}
	if err != nil {
		dm.d.Log.Warn("daemon: could not save the auto-swap state", "err", err)
	}
}
