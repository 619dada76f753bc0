package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts"
)

func (a *app) switchCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "switch NAME",
		Short: "Make Claude Code use another saved account",
		Long: `Make Claude Code use another saved account. Claude Code picks the new login up
by itself; running sessions switch at their next request.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, m, err := a.manager(cmd.Context())
			if err != nil {
				return err
			}
			res, err := m.Switch(cmd.Context(), args[0], accounts.TriggerManual, "aimonitor switch", nil)
			if err != nil {
				return err
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
}
