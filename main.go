// aimonitor-widget: the desktop widget of aimonitor, which watches the usage
// of several Claude subscriptions and switches the login Claude Code uses.
// The static command line (cmd/aimonitor) starts it from the same directory
// when asked for the window; run alone it is also a complete aimonitor (the
// same commands). main wires the CLI to the Wails window; everything else
// lives in backend/ (no Wails there) and app*.go (the only Wails-aware code).
package main

import (
	"context"
	"embed"
	"os"
	"os/signal"
	"syscall"

	"github.com/aimonitor/aimonitor/backend/cli"
)

//go:embed all:frontend/dist
var assets embed.FS

// The window icon on Linux: 512 px is plenty for GTK, and the 1024 px
// build/appicon.png (macOS's .icns source) would only take memory.
//
//go:embed build/linux/icons/512x512.png
var appIcon []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Deps{RunGUI: runGUI})
	stop()
	os.Exit(code)
}
