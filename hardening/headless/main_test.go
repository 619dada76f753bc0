//go:build linux

// Package headless runs aimonitor the way it runs on a server reached over
// SSH: no session bus, no display, saved logins in the encrypted file
// keyring, the daemon as a user service. It drives real aimonitor processes
// (AIMONITOR_TEST_BINARY, e.g. build/bin/aimonitor from `make build`, or
// else this test binary re-executed as the CLI), the real Claude Code CLI as
// the judge, and the simulator on loopback.
package headless

import (
	"os"
	"testing"

	"github.com/aimonitor/aimonitor/hardening/internal/world"
)

func TestMain(m *testing.M) {
	world.Main()
	os.Exit(m.Run())
}
