package cli

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts"
)

func (a *app) addCommand() *cobra.Command {
	var adopt, asJSON bool
	var label string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "add --label NAME [--adopt-current | --timeout 5m]",
		Short: "Save a Claude login as an account",
		Long: `Save a Claude login as an account aimonitor can switch to.

  aimonitor add --adopt-current --label work
      saves the login Claude Code uses right now (when it belongs to an account already
      saved, that account's saved login is renewed instead).

  aimonitor add --label personal [--timeout 5m]
      waits while you run ` + "`claude`" + ` and /login with another account in a second
      terminal, saves that login, then puts the previous login back.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(label) == "" {
				return usageErrorf("add needs --label NAME")
			}
			if adopt && cmd.Flags().Changed("timeout") {
				return usageErrorf("--timeout only applies when capturing a new login (without --adopt-current)")
			}
			if timeout <= 0 {
				return usageErrorf("--timeout must be longer than zero, e.g. 5m")
			}
			// Ctrl-C while waiting must put the previous login back, so it
			// cancels the context instead of killing the process.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			_, m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			var acc *accounts.Account
			if adopt {
				res, err := m.Adopt(ctx, label)
				if err != nil {
					return err
				}
				acc = &res.Account
				if asJSON {
					return a.printJSON(AddOutput{Account: refOf(acc), Adopted: true, Renewed: res.Renewed})
				}
				if res.Renewed {
					fmt.Fprintf(a.deps.Stdout, "Claude Code's current login (%s, %s) belongs to the saved account %q: its saved login was renewed.\n", acc.Email, acc.OrgName, acc.Label)
					return nil
				}
				fmt.Fprintf(a.deps.Stdout, "Saved Claude Code's current login (%s, %s) as %q.\n", acc.Email, acc.OrgName, acc.Label)
				return nil
			}
			acc, err = m.CaptureNewLogin(ctx, label, timeout, a.printCaptureProgress)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(AddOutput{Account: refOf(acc)})
			}
			fmt.Fprintf(a.deps.Stdout, "Saved %s (%s) as %q; Claude Code's previous login is back in place.\n", acc.Email, acc.OrgName, acc.Label)
			return nil
		},
	}
	cmd.Flags().BoolVar(&adopt, "adopt-current", false, "save the login Claude Code uses now")
	cmd.Flags().StringVar(&label, "label", "", "name of the account (required)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the new login")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (see docs/cli.md); the waiting messages stay on stderr")
	return cmd
}

// AddOutput is the document `add --json` prints.
type AddOutput struct {
	Account AccountRef `json:"account"`
	// Adopted: the login was Claude Code's current one (--adopt-current);
	// otherwise it was captured and Claude Code's previous login put back.
	Adopted bool `json:"adopted"`
	// Renewed: the adopted login belongs to an account already saved,
	// whose saved login it replaced (the account keeps its label and
	// history).
	Renewed bool `json:"renewed"`
}

// printCaptureProgress tells the user, on stderr, what a capture (add
// --label, relogin) waits for.
func (a *app) printCaptureProgress(ev accounts.CaptureEvent) {
	switch ev.State {
	case accounts.CaptureWaiting:
		a.eprintf("%s\nWaiting until %s (Ctrl-C to stop)…\n", ev.Message, ev.Deadline.Local().Format("15:04:05"))
	case accounts.CaptureDone, accounts.CaptureFailed:
		// The returned error says it; printing it here too would show it
		// twice.
	default:
		a.eprintf("%s\n", ev.Message)
	}
}
