package cli

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) reloginCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "relogin NAME [--timeout 5m]",
		Short: "Renew the login of a saved account (logins last about a month)",
		Long: `Renew the login of a saved account whose login expired or was revoked.

  aimonitor relogin work [--timeout 5m]
      waits while you run ` + "`claude`" + ` and /login as that account in a second terminal,
      saves the new login for the account, then puts Claude Code's previous login back
      (or keeps the new one, when the expired login was the one Claude Code used).

The account keeps its label, history and settings; only a login of the same account
and organization is taken.`,
		Args: namedArgs("account NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout <= 0 {
				return usageErrorf("--timeout must be longer than zero, e.g. 5m")
			}
			// Ctrl-C while waiting must put the previous login back.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			_, m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			acc, err := m.Relogin(ctx, args[0], timeout, a.printCaptureProgress)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.deps.Stdout, "Renewed the login of %q (%s, %s).\n", acc.Label, acc.Email, acc.OrgName)
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the new login")
	return cmd
}
