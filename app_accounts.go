package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/view"
)

// SwitchAccount makes Claude Code use the account labelled label, reporting
// each step as EventSwitchProgress.
func (a *App) SwitchAccount(label string) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(a.ctxOrBackground(), 2*time.Minute)
	defer cancel()
	_, err = m.Switch(ctx, label, accounts.TriggerManual, "chosen in the widget", func(s accounts.Step) {
		if p, ok := view.SwitchStep(label, s); ok {
			a.emit(EventSwitchProgress, p)
		}
	})
	a.emit(EventSwitchProgress, view.SwitchDone(label, err))
	a.statusChanged()
	return err
}

// AdoptCurrent saves the login Claude Code uses now as a new account.
func (a *App) AdoptCurrent(label string) (accounts.Account, error) {
	m, err := a.manager()
	if err != nil {
		return accounts.Account{}, err
	}
	acct, err := m.AdoptCurrent(a.ctxOrBackground(), label)
	if err != nil {
		return accounts.Account{}, err
	}
	a.statusChanged()
	return *acct, nil
}

// StartCapture waits in the background for a new login made with /login in
// Claude Code, saves it as label and puts the previous login back. Progress
// arrives as EventAddProgress; CancelCapture stops it.
func (a *App) StartCapture(label string, timeoutSec int) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	if _, err := accounts.CheckLabel(label); err != nil {
		return err
	}
	return a.runCapture(label, timeoutSec, func(ctx context.Context, timeout time.Duration, progress func(accounts.CaptureEvent)) error {
		_, err := m.CaptureNewLogin(ctx, label, timeout, progress)
		return err
	})
}

// StartRelogin renews the login of the saved account labelled label: like
// StartCapture, it waits in the background for a /login in Claude Code,
// but takes only a login of that account and keeps the account (label,
// history, settings), clearing its needs-relogin flag. Progress arrives as
// EventAddProgress; CancelCapture stops it.
func (a *App) StartRelogin(label string, timeoutSec int) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	if _, err := m.ByLabel(a.ctxOrBackground(), label); err != nil {
		return err
	}
	return a.runCapture(label, timeoutSec, func(ctx context.Context, timeout time.Duration, progress func(accounts.CaptureEvent)) error {
		_, err := m.Relogin(ctx, label, timeout, progress)
		return err
	})
}

// runCapture runs one capture-like wait in the background, reporting its
// progress for label as EventAddProgress.
func (a *App) runCapture(label string, timeoutSec int, run func(context.Context, time.Duration, func(accounts.CaptureEvent)) error) error {
	if timeoutSec <= 0 || timeoutSec > 3600 {
		timeoutSec = 300
	}
	parent := a.ctxOrBackground() // takes a.mu: before, not under it
	a.mu.Lock()
	if a.cancelCapture != nil {
		a.mu.Unlock()
		return errors.New("an account is already being added; finish or cancel it first")
	}
	ctx, cancel := context.WithCancel(parent)
	a.cancelCapture = cancel
	a.mu.Unlock()

	go func() {
		defer func() {
			a.mu.Lock()
			a.cancelCapture = nil
			a.mu.Unlock()
			cancel()
		}()
		progress := func(ev accounts.CaptureEvent) { a.emit(EventAddProgress, view.NewAddProgress(label, ev)) }
		err := run(ctx, time.Duration(timeoutSec)*time.Second, progress)
		if err != nil {
			msg := err.Error()
			if errors.Is(err, context.Canceled) {
				msg = "Cancelled; your previous login is back in place."
			}
			progress(accounts.CaptureEvent{State: accounts.CaptureFailed, Message: msg})
			return
		}
		a.statusChanged()
	}()
	return nil
}

// CancelCapture stops a running StartCapture; the previous login is restored.
func (a *App) CancelCapture() error {
	a.mu.Lock()
	cancel := a.cancelCapture
	a.mu.Unlock()
	if cancel == nil {
		return errors.New("no account is being added")
	}
	cancel()
	return nil
}

// RenameAccount changes an account's label.
func (a *App) RenameAccount(oldLabel, newLabel string) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	if _, err := m.Rename(a.ctxOrBackground(), oldLabel, newLabel); err != nil {
		return err
	}
	a.statusChanged()
	return nil
}

// RemoveAccount forgets an account; purge also deletes its saved login from
// the keyring. Claude Code's current login is never touched.
func (a *App) RemoveAccount(label string, purge bool) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	if _, err := m.Remove(a.ctxOrBackground(), label, purge); err != nil {
		return err
	}
	a.statusChanged()
	return nil
}

// SwitchLog returns the switch audit, newest first.
func (a *App) SwitchLog(limit int) ([]accounts.LogEntry, error) {
	m, err := a.manager()
	if err != nil {
		return nil, err
	}
	entries, err := m.Log(a.ctxOrBackground(), limit)
	if err != nil {
		return nil, fmt.Errorf("reading the switch log: %w", err)
	}
	return entries, nil
}
