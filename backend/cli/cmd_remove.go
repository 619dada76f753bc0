package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) removeCommand() *cobra.Command {
	var purge bool
	cmd := &cobra.Command{
		Use:   "remove NAME [--purge]",
		Short: "Forget an account (Claude Code's current login is never touched)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, m, err := a.manager(cmd.Context())
			if err != nil {
				return err
			}
			acc, err := m.Remove(cmd.Context(), args[0], purge)
			if err != nil {
				return err
			}
			if purge {
				fmt.Fprintf(a.deps.Stdout, "Removed %q and deleted its saved login from the keyring.\n", acc.Label)
			} else {
				fmt.Fprintf(a.deps.Stdout, "Removed %q (its saved login stays in the keyring as %s; --purge deletes it).\n", acc.Label, acc.KeyringRef)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "also delete the saved login from the keyring")
	return cmd
}
