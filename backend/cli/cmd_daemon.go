package cli

import (
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/statusline"
)

func (a *app) daemonCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "daemon",
		Short: "Poll usage, swap accounts automatically and notify, without a window",
		Long: `Runs the poller headless until stopped (Ctrl-C or SIGTERM). Only one process polls per user:
if the widget already does, the daemon waits and takes over when the widget closes.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			s, err := a.service()
			if err != nil {
				return err
			}
			deps, err := daemon.FromService(ctx, s, daemon.ModeDaemon)
			if err != nil {
				return err
			}
			// Each status row written makes the status line's cache stale:
			// refresh it then, so Claude Code's next line is a hit.
			if err := statusline.Hook(&deps, s.Environ(), runtime.GOOS); err != nil {
				s.Log.Debug("daemon: the status line cache is not kept current", "err", err)
			}
			if a.daemonDeps != nil {
				a.daemonDeps(&deps)
			}
			return daemon.Run(ctx, deps)
		},
	}
}
