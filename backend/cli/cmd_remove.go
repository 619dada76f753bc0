package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) removeCommand() *cobra.Command {
	var purge, yes, asJSON bool
	cmd := &cobra.Command{
		Use:   "remove NAME [--purge [--yes]]",
		Short: "Forget an account (Claude Code's current login is never touched)",
		Long: `Forgets an account: its history and settings go, and aimonitor no longer switches to it.
Its saved login stays in the keyring unless --purge is given; --purge deletes it, and
asks first on a terminal (--yes skips the question, and is needed without a terminal).
Claude Code's current login is never touched: removing the account it uses leaves
Claude Code logged in as it is, with a login aimonitor no longer knows.`,
		Args: namedArgs("account NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			target, err := m.ByLabel(ctx, args[0])
			if err != nil {
				return accountHint(ctx, m, args[0], err)
			}
			if purge && !yes {
				q := fmt.Sprintf("This deletes the saved login of %q (%s) from the keyring; it cannot be recovered.", target.Label, target.Email)
				if err := a.confirm(q, "nothing was removed"); err != nil {
					return err
				}
			}
			active := false
			if o, err := m.Overview(ctx); err == nil {
				for _, v := range o.Accounts {
					active = active || (v.Active && v.Account.ID == target.ID)
				}
			}
			acc, err := m.Remove(ctx, args[0], purge)
			if err != nil {
				return err
			}
			if asJSON {
				doc := RemoveOutput{Account: refOf(acc), Purged: purge, WasActive: active}
				if !purge {
					doc.KeyringItem = &acc.KeyringRef
				}
				return a.printJSON(doc)
			}
			if purge {
				a.printf("Removed %q and deleted its saved login from the keyring.\n", acc.Label)
			} else {
				a.printf("Removed %q (its saved login stays in the keyring as %s; --purge deletes it).\n", acc.Label, acc.KeyringRef)
			}
			if active {
				a.printf("Claude Code still uses that login (%s), which aimonitor no longer knows; save it again with: aimonitor add --adopt-current --label NAME\n", acc.Email)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "also delete the saved login from the keyring (asks first on a terminal)")
	cmd.Flags().BoolVar(&yes, "yes", false, "with --purge: do not ask (needed without a terminal)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (see docs/cli.md)")
	return cmd
}

// RemoveOutput is the document `remove --json` prints.
type RemoveOutput struct {
	Account AccountRef `json:"account"`
	Purged  bool       `json:"purged"` // its saved login was deleted from the keyring
	// KeyringItem is where its saved login stays (null with --purge).
	KeyringItem *string `json:"keyring_item"`
	// WasActive: Claude Code used it; Claude Code keeps that login, now
	// unknown to aimonitor.
	WasActive bool `json:"was_active"`
}
