package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/backup"
	"github.com/aimonitor/aimonitor/backend/paths"
)

// PassphraseEnv supplies the backup passphrase without a prompt (scripts
// and tests). It is read from the environment only, never from a flag, so
// it does not end up in the shell history or the process list.
const PassphraseEnv = "AIMONITOR_PASSPHRASE"

func (a *app) exportCommand() *cobra.Command {
	var out string
	var withTokens, asJSON bool
	cmd := &cobra.Command{
		Use:   "export --out FILE|- [--include-tokens]",
		Short: "Write settings and accounts to a backup file (logins only with --include-tokens, encrypted)",
		Long: `Writes a backup of the settings and the saved accounts to FILE (mode 0600).

Without --include-tokens the file holds no secret: on another machine it restores the
settings, and each account has to be added again. With --include-tokens every account's
login goes in too, encrypted with a passphrase (Argon2id and AES-256-GCM); the passphrase
comes from ` + PassphraseEnv + ` or is asked for twice on the terminal. Keep that file as
safe as a password: anyone with it and the passphrase can use those accounts.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErrorf("say where to write the backup: --out FILE (or --out - for stdout)")
			}
			toStdout := out == "-"
			if toStdout && asJSON {
				return usageErrorf("--json prints a summary on stdout, where --out - writes the backup; use one of them")
			}
			if !toStdout {
				// A mistyped folder is an error, not a new folder.
				if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
					return fmt.Errorf("cannot write %s: the folder %s does not exist", out, filepath.Dir(out))
				}
			}
			svc, err := a.service()
			if err != nil {
				return err
			}
			var pass []byte
			if withTokens {
				if pass, err = a.passphrase(true); err != nil {
					return err
				}
				defer clear(pass)
			}
			b, rep, err := backup.Export(cmd.Context(), svc, backup.ExportOptions{Passphrase: pass})
			if err != nil {
				return err
			}
			data, err := backup.Encode(b)
			if err != nil {
				return err
			}
			// The summary goes to stderr when stdout carries the backup.
			say := a.printf
			if toStdout {
				say = a.eprintf
				if _, err := a.deps.Stdout.Write(data); err != nil {
					return err
				}
			} else if err := paths.WriteFileAtomic(out, data); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(map[string]any{"file": out, "report": rep})
			}
			where := out
			if toStdout {
				where = "the backup to stdout"
			}
			say("wrote %s: %s, %s", where, plural(rep.Settings, "setting", "settings"), plural(rep.Accounts, "account", "accounts"))
			if withTokens {
				say(", %s (encrypted)\n", plural(rep.Logins, "login", "logins"))
			} else {
				say(", no logins (add --include-tokens to carry them, encrypted)\n")
			}
			for _, l := range rep.Missing {
				a.eprintf("warning: the saved login of %q is missing from the keyring, so the backup holds none for it\n", l)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (replaced if it exists; its folder must exist), or - for stdout")
	cmd.Flags().BoolVar(&withTokens, "include-tokens", false, "include every account's login, encrypted with a passphrase")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
