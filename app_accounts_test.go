package main

import (
	"context"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
)

// runCapture starts the wait in the background and returns; it once took
// a.mu and then asked for Wails' context, which takes a.mu again, so the
// first capture or re-login hung the whole widget.
func TestRunCaptureStartsTheWaitAndReturns(t *testing.T) {
	a := &App{}
	started := make(chan context.Context, 1)
	returned := make(chan error, 1)
	go func() {
		returned <- a.runCapture("work", 5, func(ctx context.Context, _ time.Duration, _ func(accounts.CaptureEvent)) error {
			started <- ctx
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	// A deadlock never ends, so this bound only decides how long a broken
	// build takes to say so.
	select {
	case err := <-returned:
		if err != nil {
			t.Fatalf("runCapture: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("runCapture did not return: it blocks on the lock it holds")
	}
	<-started
	// A second wait is refused while the first runs; cancelling ends it.
	if err := a.runCapture("home", 5, func(context.Context, time.Duration, func(accounts.CaptureEvent)) error { return nil }); err == nil {
		t.Fatal("a second capture started while one was running")
	}
	if err := a.CancelCapture(); err != nil {
		t.Fatalf("CancelCapture: %v", err)
	}
	for {
		a.mu.Lock()
		running := a.cancelCapture != nil
		a.mu.Unlock()
		if !running {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := a.CancelCapture(); err == nil {
		t.Fatal("CancelCapture with nothing running succeeded")
	}
}
