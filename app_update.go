package main

import (
	"context"
	"errors"
	"time"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/update"
	"github.com/aimonitor/aimonitor/backend/view"
)

var errUpdatesOff = errors.New("release checks are off; turn on “Check for new releases” first")

// UpdateStatus is the last release check (by any aimonitor process); it
// makes no request.
func (a *App) UpdateStatus() (view.UpdateInfo, error) {
	ctx := a.ctxOrBackground()
	db, err := a.svc.Store(ctx)
	if err != nil {
		return view.UpdateInfo{}, err
	}
	rem, err := update.Load(ctx, db)
	if err != nil {
		return view.UpdateInfo{}, err
	}
	return view.NewUpdateInfo(rem, buildinfo.Version, a.svc.Config().AutoUpdate.Enabled), nil
}

// CheckForUpdate asks GitHub now (never downloads anything). It refuses when
// checks are turned off: off means no request at all.
func (a *App) CheckForUpdate() (view.UpdateInfo, error) {
	if !a.svc.Config().AutoUpdate.Enabled {
		return view.UpdateInfo{}, errUpdatesOff
	}
	if err := a.checkUpdate(a.ctxOrBackground()); err != nil {
		return view.UpdateInfo{}, err
	}
	return a.UpdateStatus()
}

func (a *App) checkUpdate(ctx context.Context) error {
	checker, err := a.svc.UpdateChecker()
	if err != nil {
		return err
	}
	db, err := a.svc.Store(ctx)
	if err != nil {
		return err
	}
	_, err = update.CheckAndRemember(ctx, checker, db, buildinfo.Version, time.Now())
	if info, serr := a.UpdateStatus(); serr == nil {
		a.emit(EventUpdate, info)
	}
	return err
}
