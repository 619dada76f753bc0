package cli

import (
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/daemon"
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
			if a.daemonDeps != nil {
				a.daemonDeps(&deps)
			}
			return daemon.Run(ctx, deps)
		},
	}
}
