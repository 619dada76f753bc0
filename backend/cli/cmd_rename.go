package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) renameCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Rename an account",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, m, err := a.manager(cmd.Context())
			if err != nil {
				return err
			}
			acc, err := m.Rename(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.deps.Stdout, "Renamed %q to %q.\n", args[0], acc.Label)
			return nil
		},
	}
}
