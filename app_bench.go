package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aimonitor/aimonitor/backend/view"
)

// runBenchEvents emits n status events with changing usage, as fast as the
// frontend takes them, so bench/widget can check that memory stays flat.
// It runs only for `aimonitor demo --bench-events N` (sandbox only).
func (a *App) runBenchEvents(ctx context.Context, n int) {
	// Start after bench/widget has measured the idle state (settle + idle window).
	select {
	case <-ctx.Done():
		return
	case <-time.After(60 * time.Second):
	}
	base, err := a.GetStatus()
	if err != nil || len(base.Accounts) == 0 {
		a.svc.Log.Warn("bench: no status to vary", "err", err)
		return
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		v := base
		v.Accounts = append([]view.Account(nil), base.Accounts...)
		row := &v.Accounts[i%len(v.Accounts)]
		if row.Usage != nil && row.Usage.ListUsage != nil && row.Usage.FiveHour != nil {
			u := *row.Usage
			lu := *u.ListUsage
			fh := *lu.FiveHour
			fh.Utilization = float64(i % 100)
			lu.FiveHour = &fh
			u.ListUsage = &lu
			row.Usage = &u
		}
		data, err := json.Marshal(v)
		if err != nil {
			return
		}
		a.mu.Lock()
		a.lastStatus = data
		a.mu.Unlock()
		a.emit(EventStatus, nil)
		time.Sleep(10 * time.Millisecond) // a flood faster than WebKit runs scripts only measures the queue
	}
	a.svc.Log.Info("bench: status events emitted", "count", n)
}
