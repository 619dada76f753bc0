package cli

import (
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/statusline"
)

// statuslineCommand is `aimonitor statusline`, which Claude Code runs on
// every update of its prompt. It builds no service (no keyring, no log
// file, no migrations): it reads the database read-only and prints one line.
func (a *app) statuslineCommand() *cobra.Command {
	var install, uninstall, force bool
	cmd := &cobra.Command{
		Use:   "statusline",
		Short: "Print one line for Claude Code's status line: account, limits, next swap",
		Long: `Prints the line Claude Code shows under its prompt: the account it uses, that
account's 5-hour and 7-day usage with the time to reset, when it runs out if
that comes first, a pending automatic swap, and marks for old numbers, a login
to renew or Anthropic asking to wait. It reads what the daemon or the widget
stored; it never asks Anthropic and never reads transcripts. It always prints
one line and exits 0. The format is the setting statusline.format.

--install makes Claude Code run it (statusLine in Claude Code's settings.json,
every other setting kept); --uninstall removes it again.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if install || uninstall {
				return a.statuslineInstall(install, force)
			}
			line := statusline.Line(cmd.Context(), statusline.Options{
				Stdin: a.deps.Stdin, Environ: a.deps.Environ, GOOS: runtime.GOOS, Now: time.Now(), NoColor: a.noColor, // the global --no-color; NO_COLOR is checked there too
				Exiting: a.ownStdio,
			})
			fmt.Fprintln(a.deps.Stdout, line)
			return nil
		},
	}
	cmd.Flags().BoolVar(&install, "install", false, "make Claude Code show this line (edits statusLine in its settings.json)")
	cmd.Flags().BoolVar(&uninstall, "uninstall", false, "stop Claude Code showing this line (puts back what --force replaced)")
	cmd.Flags().BoolVar(&force, "force", false, "with --install: replace another status line command (kept, for --uninstall)")
	cmd.MarkFlagsMutuallyExclusive("install", "uninstall")
	return cmd
}

func (a *app) statuslineInstall(install, force bool) error {
	in, err := statusline.NewInstaller(a.deps.Environ, runtime.GOOS)
	if err != nil {
		return err
	}
	if install {
		before, _ := in.State()
		st, err := in.Install(force)
		if err != nil {
			return err
		}
		a.printf("Claude Code's status line now runs %s (%s).\n", st.Command, st.Settings)
		if before.Foreign {
			a.printf("It replaced %s, which `aimonitor statusline --uninstall` puts back.\n", before.Command)
		}
		a.printf("Claude Code shows it at its next prompt update.\n")
		return nil
	}
	before, err := in.State()
	if err != nil {
		return err
	}
	st, err := in.Uninstall()
	if err != nil {
		return err
	}
	switch {
	case !before.Installed:
		a.printf("Claude Code's status line did not run aimonitor; nothing to do (%s).\n", st.Settings)
	case st.Command != "":
		a.printf("Claude Code's status line runs %s again (%s).\n", st.Command, st.Settings)
	default:
		a.printf("Claude Code's status line no longer runs aimonitor (%s).\n", st.Settings)
	}
	return nil
}
