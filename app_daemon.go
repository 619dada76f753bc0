package main

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/statusline"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/backend/view"
)

// runPoller runs the usage poller in the widget: it polls if no headless
// daemon holds the poller lock, and otherwise follows the daemon's status
// row. Either way each changed status document becomes an EventStatus.
func (a *App) runPoller(ctx context.Context) {
	deps, err := daemon.FromService(ctx, a.svc, daemon.ModeWidget)
	if err != nil {
		a.setPollerError(err)
		return
	}
	// The owner runs the release check; the widget's also tells the frontend.
	deps.ReleaseCheck = a.checkUpdate
	deps.OnStatus = func(doc *daemon.Document) {
		a.mu.Lock()
		a.doc = doc
		a.mu.Unlock()
		go a.statusChanged() // OnStatus must not block
	}
	// As in `aimonitor daemon`: keep Claude Code's status line a cache hit.
	if err := statusline.Hook(&deps, a.svc.Environ(), runtime.GOOS); err != nil {
		a.svc.Log.Debug("the status line cache is not kept current", "err", err)
	}
	dm, err := daemon.New(deps)
	if err != nil {
		a.setPollerError(err)
		return
	}
	a.mu.Lock()
	a.daemon = dm
	a.mu.Unlock()
	// The window just opened: fetch every account once (inactive accounts
	// are polled only on demand; the shared gate keeps this cheap).
	go func() {
		time.Sleep(2 * time.Second)
		if _, err := dm.RefreshNow(ctx); err != nil {
			a.svc.Log.Debug("refresh on open", "err", err)
		}
	}()
	if err := dm.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		a.setPollerError(err)
	}
}

func (a *App) setPollerError(err error) {
	a.svc.Log.Warn("usage polling is not running", "err", err)
	a.mu.Lock()
	a.pollerErr = redacted(err)
	a.mu.Unlock()
	a.statusChanged()
}

func (a *App) poller() (*daemon.Daemon, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.daemon == nil {
		if a.pollerErr != "" {
			return nil, errors.New(a.pollerErr)
		}
		return nil, errors.New("usage polling is still starting; try again in a moment")
	}
	return a.daemon, nil
}

// RefreshUsage fetches one account's usage now (all accounts when label is
// empty), within the endpoint's rate limits.
func (a *App) RefreshUsage(label string) error {
	dm, err := a.poller()
	if err != nil {
		return err
	}
	var ids []int64
	if label != "" {
		m, err := a.manager()
		if err != nil {
			return err
		}
		acct, err := m.ByLabel(a.ctxOrBackground(), label)
		if err != nil {
			return err
		}
		ids = append(ids, acct.ID)
	}
	ctx, cancel := context.WithTimeout(a.ctxOrBackground(), time.Minute)
	defer cancel()
	_, err = dm.RefreshNow(ctx, ids...)
	return err
}

// CancelPendingSwap stops an armed auto-swap (whichever process armed it).
func (a *App) CancelPendingSwap() error {
	dm, err := a.poller()
	if err != nil {
		return err
	}
	return dm.CancelPending(a.ctxOrBackground())
}

// UsageHistory returns an account's samples of the last `hours` hours.
func (a *App) UsageHistory(label string, hours int) ([]view.HistoryPoint, error) {
	hours = view.HistoryHours(hours)
	m, err := a.manager()
	if err != nil {
		return nil, err
	}
	ctx := a.ctxOrBackground()
	acct, err := m.ByLabel(ctx, label)
	if err != nil {
		return nil, err
	}
	db, err := a.svc.Store(ctx)
	if err != nil {
		return nil, err
	}
	samples, err := usage.NewHistory(db).Since(ctx, acct.ID, time.Now().Add(-time.Duration(hours)*time.Hour))
	if err != nil {
		return nil, err
	}
	return view.History(samples), nil
}
