package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The scan gate exists only in a sandbox, lets the first files through,
// then holds a scan while its file exists.
func TestScanGate(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gate")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if scanGate([]string{scanGateEnv + "=" + file}) != nil {
		t.Fatal("a scan gate outside a sandbox")
	}
	if scanGate([]string{"AIMONITOR_SANDBOX=1"}) != nil {
		t.Fatal("a scan gate without a file")
	}
	gate := scanGate([]string{"AIMONITOR_SANDBOX=1", scanGateEnv + "=" + file})
	ctx := context.Background()
	for range scanGateFiles {
		gate(ctx) // returns at once
	}
	held := make(chan struct{})
	go func() {
		gate(ctx)
		close(held)
	}()
	select {
	case <-held:
		t.Fatal("the gate let a file through while its file exists")
	default:
	}
	os.Remove(file)
	<-held
	// An ended scan is not held.
	os.WriteFile(file, nil, 0o600)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	gate(cancelled)
}
