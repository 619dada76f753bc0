package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/backup"
)

func (a *app) importCommand() *cobra.Command {
	var asJSON, yes bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Restore settings and accounts from a backup file",
		Long: `Restores a backup made with "aimonitor config export". Everything is checked before
anything changes: a wrong passphrase or an altered file changes nothing. Accounts that
are already saved here (same e-mail and organization) are updated, not duplicated, and
keep their label; a newer login saved here is kept over an older one from the file.

Before anything is written it lists what would change (settings, the start-at-login
entry, accounts) and asks; --yes skips the question (needed without a terminal).`,
		Args: namedArgs("backup FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := backup.ReadFile(args[0])
			if err != nil {
				return err
			}
			svc, err := a.service()
			if err != nil {
				return err
			}
			asked := false // the question reached a terminal
			rep, err := backup.Import(cmd.Context(), svc, data, backup.ImportOptions{
				Passphrase: func() ([]byte, error) { return a.passphrase(false) },
				Confirm: func(p *backup.Preview) (bool, error) {
					a.eprintf("The import will change:\n")
					for _, line := range p.Lines() {
						a.eprintf("  %s\n", line)
					}
					if yes {
						return true, nil
					}
					var ok bool
					var askErr error
					asked, ok, askErr = a.ask("Apply these changes?")
					return ok, askErr
				},
			})
			if errors.Is(err, backup.ErrNotConfirmed) && !yes && !asked {
				return fmt.Errorf("%w (confirm with --yes when there is no terminal)", err)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rep)
			}
			a.printImport(rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&yes, "yes", false, "apply without asking")
	return cmd
}

func (a *app) printImport(rep *backup.ImportReport) {
	if len(rep.Settings) > 0 {
		a.printf("settings: %s\n", strings.Join(rep.Settings, ", "))
	} else {
		a.printf("settings: none in the file\n")
	}
	for _, env := range rep.Overridden {
		a.printf("note: %s is set in this environment and overrides the imported value\n", env)
	}
	for _, acc := range rep.Accounts {
		var what string
		switch acc.Outcome {
		case accounts.ImportAdded:
			what = "added"
		case accounts.ImportUpdated:
			what = "updated with the login from the file"
		case accounts.ImportUnchanged:
			what = "already up to date"
		case accounts.ImportKeptNewer:
			what = "kept: the login saved here is newer than the file's"
		case backup.OutcomeNoLogin:
			what = "not imported: the file holds no login for it (export with --include-tokens, or add it here with `aimonitor add`)"
		default:
			what = acc.Outcome
		}
		a.printf("account %q (%s): %s\n", acc.Label, acc.Email, what)
	}
}
