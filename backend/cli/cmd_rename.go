package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) renameCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Rename an account",
		Args:  namedArgs("account NAME", "NEW label"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(args[1]) == "" {
				return usageErrorf("the NEW label is empty: give the account a name, e.g. aimonitor rename %s work", args[0])
			}
			_, m, err := a.manager(cmd.Context())
			if err != nil {
				return err
			}
			acc, err := m.Rename(cmd.Context(), args[0], args[1])
			if err != nil {
				return accountHint(cmd.Context(), m, args[0], err)
			}
			if asJSON {
				return a.printJSON(RenameOutput{From: args[0], Account: refOf(acc)})
			}
			fmt.Fprintf(a.deps.Stdout, "Renamed %q to %q.\n", args[0], acc.Label)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (see docs/cli.md)")
	return cmd
}

// RenameOutput is the document `rename --json` prints.
type RenameOutput struct {
	From    string     `json:"from"`    // the old label
	Account AccountRef `json:"account"` // with its new label
}
