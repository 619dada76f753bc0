package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/keyring"
)

func (a *app) switchCommand() *cobra.Command {
	var asJSON, yes bool
	cmd := &cobra.Command{
		Use:   "switch NAME [--yes]",
		Short: "Make Claude Code use another saved account",
		Long: `Make Claude Code use another saved account. Claude Code picks the new login up
by itself; running sessions switch at their next request.

An account whose saved login no longer works is announced with a warning and, on a
terminal, a question (--yes skips it); renew it with ` + "`aimonitor relogin NAME`" + `.`,
		Args: namedArgs("account NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A switch reads secrets from the keyring: its session opens
			// (round trips and a key exchange in both processes) while the
			// database opens and Claude Code's files are read.
			if svc, err := a.service(); err == nil {
				if kr, err := svc.Keyring(); err == nil {
					keyring.Prepare(cmd.Context(), kr)
				}
			}
			_, m, err := a.manager(cmd.Context())
			if err != nil {
				return err
			}
			if acc, err := m.ByLabel(cmd.Context(), args[0]); err == nil && acc.NeedsRelogin {
				reason := acc.ReloginReason
				if reason == "" {
					reason = "the login expired or was revoked"
				}
				fmt.Fprintf(a.deps.Stderr, "aimonitor: warning: the saved login of %q no longer works (%s); Claude Code would be logged out. Renew it with `aimonitor relogin %s`.\n", acc.Label, reason, acc.Label)
				if !yes { // asked only on a terminal; scripts get the warning
					asked, ok, err := a.ask("Switch to it anyway?")
					if err != nil {
						return err
					}
					if asked && !ok {
						return fmt.Errorf("not switched: %q needs a new login (`aimonitor relogin %s`)", acc.Label, acc.Label)
					}
				}
			}
			res, err := m.Switch(cmd.Context(), args[0], accounts.TriggerManual, "aimonitor switch", nil)
			if err != nil {
				return accountHint(cmd.Context(), m, args[0], err)
			}
			if asJSON {
				return a.printJSON(SwitchOutput{Account: refOf(&res.To), AlreadyActive: res.AlreadyActive, TokenRenewed: res.Refreshed})
			}
			if res.AlreadyActive {
				fmt.Fprintf(a.deps.Stdout, "Claude Code already uses %q (%s).\n", res.To.Label, res.To.Email)
				return nil
			}
			note := ""
			if res.Refreshed {
				note = " (its access token was renewed)"
			}
			fmt.Fprintf(a.deps.Stdout, "Claude Code now uses %q (%s, %s)%s.\n", res.To.Label, res.To.Email, res.To.OrgName, note)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (see docs/cli.md)")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask before switching to an account whose login needs renewing")
	return cmd
}

// SwitchOutput is the document `switch --json` prints.
type SwitchOutput struct {
	Account       AccountRef `json:"account"` // the account Claude Code uses now
	AlreadyActive bool       `json:"already_active"`
	TokenRenewed  bool       `json:"token_renewed"` // its access token was renewed on the way
}
