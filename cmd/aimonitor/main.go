// Command aimonitor is the command line and the daemon: pure Go, with no
// window toolkit linked, so it starts in milliseconds and runs on machines
// without a display. `aimonitor` alone (or `aimonitor widget`) starts the
// widget binary installed beside it (see backend/cli/launch.go).
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
