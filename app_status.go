package main

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/aimonitor/aimonitor/backend/view"
)

// GetStatus returns the accounts with their usage and the poller's state.
func (a *App) GetStatus() (view.Status, error) {
	m, err := a.manager()
	if err != nil {
		return view.Status{}, err
	}
	ov, err := m.Overview(a.ctxOrBackground())
	if err != nil {
		return view.Status{}, err
	}
	a.mu.Lock()
	doc, pollerErr := a.doc, a.pollerErr
	a.mu.Unlock()
	return view.BuildStatus(ov, doc, pollerErr, a.svc.Config().Poll.IntervalSec, time.Now()), nil
}

// statusChanged recomputes the status and emits it if it differs from what
// the frontend last got, so unchanged rows are never re-rendered.
func (a *App) statusChanged() {
	v, err := a.GetStatus()
	if err != nil {
		a.svc.Log.Debug("status unavailable", "err", err)
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	a.mu.Lock()
	same := bytes.Equal(data, a.lastStatus)
	if !same {
		a.lastStatus = data
	}
	a.mu.Unlock()
	if !same {
		a.emit(EventStatus, nil) // the frontend reads it from StatusPath
	}
}
