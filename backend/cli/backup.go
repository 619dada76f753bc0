package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/backup"
	"github.com/aimonitor/aimonitor/backend/paths"
)

// PassphraseEnv supplies the backup passphrase without a prompt (scripts
// and tests). It is read from the environment only, never from a flag, so
// it does not end up in the shell history or the process list.
const PassphraseEnv = "AIMONITOR_PASSPHRASE"

// addMaintenanceCommands mounts config export/import, doctor and
// uninstall. It runs after the config command has been added.
func (a *app) addMaintenanceCommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() == "config" {
			c.AddCommand(a.exportCommand(), a.importCommand())
		}
	}
	root.AddCommand(a.doctorCommand(), a.uninstallCommand())
}

func (a *app) exportCommand() *cobra.Command {
	var out string
	var withTokens, asJSON bool
	cmd := &cobra.Command{
		Use:   "export --out FILE [--include-tokens]",
		Short: "Write settings and accounts to a backup file (logins only with --include-tokens, encrypted)",
		Long: `Writes a backup of the settings and the saved accounts to FILE (mode 0600).

Without --include-tokens the file holds no secret: on another machine it restores the
settings, and each account has to be added again. With --include-tokens every account's
login goes in too, encrypted with a passphrase (Argon2id and AES-256-GCM); the passphrase
comes from ` + PassphraseEnv + ` or is asked for twice on the terminal. Keep that file as
safe as a password: anyone with it and the passphrase can use those accounts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("say where to write the backup: --out FILE")
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
			if err := paths.WriteFileAtomic(out, data); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(map[string]any{"file": out, "report": rep})
			}
			a.printf("wrote %s: %d settings, %d accounts", out, rep.Settings, rep.Accounts)
			if withTokens {
				a.printf(", %d logins (encrypted)\n", rep.Logins)
			} else {
				a.printf(", no logins (add --include-tokens to carry them, encrypted)\n")
			}
			for _, l := range rep.Missing {
				fmt.Fprintf(a.deps.Stderr, "warning: the saved login of %q is missing from the keyring, so the backup holds none for it\n", l)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (replaced if it exists)")
	cmd.Flags().BoolVar(&withTokens, "include-tokens", false, "include every account's login, encrypted with a passphrase")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) importCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Restore settings and accounts from a backup file",
		Long: `Restores a backup made with "aimonitor config export". Everything is checked before
anything changes: a wrong passphrase or an altered file changes nothing. Accounts that
are already saved here (same e-mail and organization) are updated, not duplicated, and
keep their label; a newer login saved here is kept over an older one from the file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readLimited(args[0], backup.MaxFileSize)
			if err != nil {
				return err
			}
			svc, err := a.service()
			if err != nil {
				return err
			}
			rep, err := backup.Import(cmd.Context(), svc, data, backup.ImportOptions{
				Passphrase: func() ([]byte, error) { return a.passphrase(false) },
			})
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

// readLimited reads a file, refusing one larger than limit.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the backup: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the backup: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is too large to be an aimonitor backup", path)
	}
	return data, nil
}

// passphrase comes from AIMONITOR_PASSPHRASE or, on a terminal, from a
// prompt without echo (twice when confirm). Without either it refuses:
// reading a secret from a pipe would echo nothing but also protect nothing
// the environment variable does not.
func (a *app) passphrase(confirm bool) ([]byte, error) {
	if v := lookup(a.deps.Environ, PassphraseEnv); v != "" {
		return []byte(v), nil
	}
	f, ok := a.deps.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, fmt.Errorf("a passphrase is needed: run this in a terminal to be asked for it, or set %s", PassphraseEnv)
	}
	fd := int(f.Fd())
	fmt.Fprint(a.deps.Stderr, "Passphrase for the logins in the backup: ")
	pass, err := term.ReadPassword(fd)
	fmt.Fprintln(a.deps.Stderr)
	if err != nil {
		return nil, fmt.Errorf("reading the passphrase: %w", err)
	}
	if !confirm {
		return pass, nil
	}
	if len(pass) < 8 {
		clear(pass)
		return nil, backup.ErrWeakPassphrase
	}
	fmt.Fprint(a.deps.Stderr, "The same passphrase again: ")
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(a.deps.Stderr)
	defer clear(again)
	if err != nil {
		clear(pass)
		return nil, fmt.Errorf("reading the passphrase: %w", err)
	}
	if !bytes.Equal(pass, again) {
		clear(pass)
		return nil, errors.New("the two passphrases differ; nothing was written")
	}
	return pass, nil
}

// confirm asks a yes/no question on the terminal; without one it returns
// false, so destructive commands need --yes in scripts.
func (a *app) confirm(question string) (bool, error) {
	f, ok := a.deps.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, nil
	}
	fmt.Fprintf(a.deps.Stderr, "%s Type yes to continue: ", question)
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return strings.EqualFold(strings.TrimSpace(line), "yes"), nil
}
