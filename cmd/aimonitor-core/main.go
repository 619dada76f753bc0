// Command aimonitor-core is the whole command line and the daemon: pure Go,
// with no window toolkit linked, so it runs on machines without a display.
// Users do not call it by name: `aimonitor` (cmd/aimonitor), a small
// launcher installed beside it, answers the commands that must be instant
// and execs this binary for everything else, with the same arguments and
// environment. `aimonitor` alone (or `aimonitor widget`) reaches the widget
// binary installed beside both (see backend/cli/launch.go).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/aimonitor/aimonitor/backend/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Deps{})
	stop()
	os.Exit(code)
}
