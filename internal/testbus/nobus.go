//go:build unix

package testbus

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// MarkerEnv names the variable NoBus plants in the environment so that any
// process started from it can be found afterwards.
const MarkerEnv = "AIMONITOR_TESTBUS_MARKER"

// NoBus is an environment with no session bus at all: no
// DBUS_SESSION_BUS_ADDRESS, an empty XDG_RUNTIME_DIR (so no systemd user bus
// socket), no DISPLAY (so no X11 autolaunch). Code under test must fail
// cleanly there and must not start a bus of its own; Spawned finds out
// whether it did.
type NoBus struct {
	RuntimeDir string
	marker     string
}

// NewNoBus prepares a no-bus environment; apply it with Setenv or Env.
func NewNoBus(t testing.TB) *NoBus {
	t.Helper()
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	return &NoBus{RuntimeDir: run, marker: hex.EncodeToString(nonce[:])}
}

var noBusDropped = []string{"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"}

// Vars are the variables NoBus sets, as KEY=VALUE.
func (n *NoBus) Vars() []string {
	return []string{"XDG_RUNTIME_DIR=" + n.RuntimeDir, MarkerEnv + "=" + n.marker}
}

// Env is os.Environ() without any bus, for exec.Cmd.Env.
func (n *NoBus) Env() []string {
	return mergeEnv(os.Environ(), n.Vars(), noBusDropped...)
}

// Setenv applies the no-bus environment to the test process until the test
// ends (not usable in parallel tests).
func (n *NoBus) Setenv(t testing.TB) {
	t.Helper()
	for _, kv := range n.Vars() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	for _, k := range noBusDropped {
		t.Setenv(k, "") // records the old value for restoring
		os.Unsetenv(k)
	}
}

// Spawned lists live processes (other than this one) started from the
// no-bus environment, e.g. a dbus-daemon someone autolaunched. Empty means
// nothing was left behind.
func (n *NoBus) Spawned(t testing.TB) []string {
	t.Helper()
	needle := []byte(MarkerEnv + "=" + n.marker + "\x00")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("testbus: listing processes: %v", err)
	}
	self := os.Getpid()
	var found []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, needle) {
			continue // gone, or not ours to read
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		found = append(found, fmt.Sprintf("pid %d: %s", pid, strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))))
	}
	return found
}
