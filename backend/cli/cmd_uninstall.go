package cli

import (
	"fmt"
	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/uninstall"
)

func (a *app) uninstallCommand() *cobra.Command {
	var purge, yes, asJSON bool
	cmd := &cobra.Command{
		Use:   "uninstall [--purge] [--yes]",
		Short: "Remove the start-at-login entry, the settings, the database and the logs",
		Long: `Removes what aimonitor put on this machine: the start-at-login entry, the settings,
the database (accounts, usage history) and the logs. The saved logins stay in the keyring
unless --purge is given; --purge deletes them too, and those logins must then be added
again to be used. Claude Code's own login (~/.claude, ~/.claude.json, its Keychain item)
is never touched. The aimonitor program itself is not removed.

It asks before removing anything; --yes skips the question (needed without a terminal).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.repairService()
			if err != nil {
				return err
			}
			plan, err := uninstall.NewPlan(cmd.Context(), svc, purge)
			if err != nil {
				return err
			}
			a.printPlan(plan)
			if !yes {
				if err := a.confirm("Remove all of this?", "nothing was removed"); err != nil {
					return err
				}
			}
			res, err := plan.Run(cmd.Context())
			if asJSON && res != nil {
				if jerr := a.printJSON(res); jerr != nil && err == nil {
					err = jerr
				}
			} else if res != nil {
				a.printUninstalled(res)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "also delete every saved login from the keyring (they must be added again)")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was removed as JSON")
	return cmd
}

func (a *app) printPlan(p *uninstall.Plan) {
	a.printf("aimonitor uninstall will remove:\n")
	if p.Autostart != "" {
		a.printf("  %s  (start at login)\n", p.Autostart)
	}
	for _, t := range p.Paths {
		a.printf("  %s  (%s)\n", t.Path, t.What)
	}
	if p.StatusLine != "" {
		a.printf("  statusLine in %s  (Claude Code's status line; a command it replaced is put back)\n", p.StatusLine)
	}
	if p.Autostart == "" && len(p.Paths) == 0 && p.StatusLine == "" {
		a.printf("  no files: aimonitor has nothing on this machine\n")
	}
	switch {
	case p.Purge && len(p.Logins) > 0:
		if len(p.Logins) == 1 {
			a.printf("\n!!! --purge: THE SAVED LOGIN OF 1 ACCOUNT WILL BE DELETED FROM THE KEYRING !!!\n")
		} else {
			a.printf("\n!!! --purge: THE SAVED LOGINS OF %d ACCOUNTS WILL BE DELETED FROM THE KEYRING !!!\n", len(p.Logins))
		}
		for _, l := range p.Logins {
			a.printf("  %s (%s)\n", l.Label, l.Email)
		}
		a.printf("Those logins cannot be recovered. To use these accounts again, log in to each one\n" +
			"again with Claude Code (/login) and add it to aimonitor again, or import a backup.\n")
	case len(p.Logins) > 0:
		what := fmt.Sprintf("logins of %d accounts stay", len(p.Logins))
		if len(p.Logins) == 1 {
			what = "login of 1 account stays"
		}
		a.printf("\nThe saved %s in the keyring (items named \"aimonitor: Claude login of …\");\n"+
			"use --purge to delete them too.\n", what)
	}
	a.printf("Claude Code's own login is not touched: it stays logged in as it is.\n")
}

func (a *app) printUninstalled(res *uninstall.Result) {
	switch {
	case res.StatusLineRestored != "":
		a.printf("Claude Code's status line runs %s again (%s)\n", res.StatusLineRestored, res.StatusLine)
	case res.StatusLine != "":
		a.printf("removed aimonitor's statusLine from %s\n", res.StatusLine)
	}
	if res.Autostart != "" {
		a.printf("removed %s\n", res.Autostart)
	}
	for _, p := range res.Removed {
		a.printf("removed %s\n", p)
	}
	for _, l := range res.Purged {
		a.printf("deleted the saved login of %q from the keyring\n", l)
	}
	for _, l := range res.LeftInKeyring {
		a.printf("kept in the keyring: the login of %q (%s), item %s\n", l.Label, l.Email, l.Item)
	}
	a.printf("aimonitor's data is gone; the program itself is still installed.\n")
}
