package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/service"
)

func (a *app) keyringCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keyring",
		Short: "Where saved logins are kept: status, unlock and lock the file keyring, migrate between backends",
		Long: `Saved logins live in the keyring keyring.backend names: auto (the Secret Service on Linux,
the Keychain on macOS), or file, a passphrase-encrypted file in aimonitor's data directory
for machines without a keyring, such as a server reached over SSH.

The file keyring's passphrase comes from AIMONITOR_KEYRING_PASSPHRASE, from the file
AIMONITOR_KEYRING_PASSPHRASE_FILE names, from the key ` + "`aimonitor keyring unlock`" + ` keeps in the
kernel keyring, or from a prompt on a terminal.`,
		Args: noArgs,
	}
	cmd.AddCommand(a.keyringStatusCommand(), a.keyringUnlockCommand(), a.keyringLockCommand(), a.keyringMigrateCommand())
	return cmd
}

// KeyringStatus is `keyring status --json`.
type KeyringStatus struct {
	Backend    string `json:"backend"`
	Setting    string `json:"setting"`
	Path       string `json:"path,omitempty"`
	Exists     bool   `json:"exists"`
	Entries    int    `json:"entries"`
	Unlocked   bool   `json:"unlocked"`
	Passphrase string `json:"passphrase_source,omitempty"`
	Problem    string `json:"problem,omitempty"`
}

func (a *app) keyringStatusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the keyring backend and, for the file keyring, whether it is unlocked",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.service()
			if err != nil {
				return err
			}
			st := KeyringStatus{Backend: svc.KeyringBackend(), Setting: svc.Config().Keyring.Backend}
			if st.Backend == config.KeyringFile {
				fs := svc.FileKeyring().Status()
				st.Path, st.Exists, st.Entries, st.Unlocked = fs.Path, fs.Exists, fs.Entries, fs.Unlocked
				st.Passphrase = filekeyring.DescribeSource(svc.Getenv, svc.HasPrompt())
				if fs.FormatErr != nil {
					st.Problem = fs.FormatErr.Error()
				} else if fs.CacheErr != nil {
					st.Problem = fs.CacheErr.Error()
				}
			}
			if asJSON {
				return a.printJSON(st)
			}
			a.printf("backend: %s (keyring.backend: %s)\n", st.Backend, st.Setting)
			if st.Backend != config.KeyringFile {
				return nil
			}
			switch {
			case !st.Exists:
				a.printf("file:    %s (not made yet: the first saved login makes it)\n", st.Path)
			default:
				a.printf("file:    %s (%d saved logins)\n", st.Path, st.Entries)
			}
			if st.Unlocked {
				a.printf("state:   unlocked (the key is kept in the kernel keyring; aimonitor keyring lock forgets it)\n")
			} else {
				a.printf("state:   locked (passphrase from: %s)\n", st.Passphrase)
			}
			if st.Problem != "" {
				a.printf("problem: %s\n", st.Problem)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// fileKeyring returns the file keyring, or a clear error when another
// backend is in use.
func fileKeyring(svc *service.Service) (*filekeyring.Store, error) {
	if b := svc.KeyringBackend(); b != config.KeyringFile {
		return nil, fmt.Errorf("saved logins are kept in %s, which needs no unlocking here; only the file keyring does (keyring.backend file)", b)
	}
	return svc.FileKeyring(), nil
}

func (a *app) keyringUnlockCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "unlock",
		Short: "Ask for the file keyring's passphrase once and keep its key for later commands and the daemon",
		Long: `Asks for the passphrase (or reads AIMONITOR_KEYRING_PASSPHRASE / _FILE), checks it, and keeps
the derived key in the Linux kernel's user keyring for --timeout (keyring.unlock_timeout_min by
default). Until then, every aimonitor process of this user — later commands, the daemon run
by systemd — opens the file keyring without asking. The key never touches the disk; it is gone
at reboot. Where the kernel keyring is not allowed (some containers), this says so, and each
command asks for the passphrase instead. With no file keyring yet, this makes one.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.service()
			if err != nil {
				return err
			}
			fk, err := fileKeyring(svc)
			if err != nil {
				return err
			}
			if timeout <= 0 {
				timeout = time.Duration(svc.Config().Keyring.UnlockTimeoutMin) * time.Minute
			}
			res, err := fk.Unlock(cmd.Context(), timeout)
			if err != nil {
				return err
			}
			if res.Created {
				a.printf("Made a new file keyring at %s.\n", fk.Path())
			}
			verb := "Unlocked"
			if res.Renewed {
				verb = "Still unlocked"
			}
			a.printf("%s until %s (%s): this user's aimonitor commands and daemon need no passphrase meanwhile. `aimonitor keyring lock` locks it now.\n",
				verb, time.Now().Add(timeout).Format("15:04 Jan 2"), timeout)
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "how long the key is kept (default keyring.unlock_timeout_min)")
	return cmd
}

func (a *app) keyringLockCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "Forget the file keyring's key kept by keyring unlock",
		Long: `Removes the key ` + "`keyring unlock`" + ` kept in the kernel keyring. A daemon already running keeps
the key it read until it stops.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.service()
			if err != nil {
				return err
			}
			fk, err := fileKeyring(svc)
			if err != nil {
				return err
			}
			dropped, err := fk.Lock(cmd.Context())
			if err != nil {
				return err
			}
			if dropped {
				a.printf("Locked: the key is no longer kept; commands ask for the passphrase again.\n")
			} else {
				a.printf("It was not unlocked; nothing to do.\n")
			}
			return nil
		},
	}
}

func (a *app) keyringMigrateCommand() *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "migrate --to file|secret-service|keychain",
		Short: "Move every saved login to another keyring backend and switch keyring.backend to it",
		Long: `Copies each saved login to the other backend, reads it back and compares it; when all are
in place it sets keyring.backend, and only then deletes the old copies. Any failure before
that leaves everything where it was. Stop the daemon and close the widget first: they keep
using the keyring they started with.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.service()
			if err != nil {
				return err
			}
			from := svc.KeyringBackend()
			switch to {
			case config.KeyringFile, config.KeyringSecretService, config.KeyringKeychain:
			case "":
				return errors.New("say where to: --to file, --to secret-service or --to keychain")
			default:
				return fmt.Errorf("--to %s: use file, secret-service or keychain", to)
			}
			if to == from {
				return fmt.Errorf("saved logins are already kept in %s", from)
			}
			if env := svc.Getenv("AIMONITOR_KEYRING_BACKEND"); env != "" {
				return fmt.Errorf("AIMONITOR_KEYRING_BACKEND=%s overrides keyring.backend in this environment; unset it, migrate, then set it to %s if you still want it", env, to)
			}
			if held, err := pollerRunning(svc); err != nil || held {
				if err == nil {
					err = errors.New("the daemon or the widget is running; stop it first (systemctl --user stop aimonitor, or quit the widget), migrate, then start it again")
				}
				return err
			}
			dest, err := svc.KeyringFor(to)
			if err != nil {
				return err
			}
			// Fail before touching anything when the destination cannot be
			// used (no Secret Service, no passphrase for a new file keyring).
			if _, err := dest.Get(cmd.Context(), keyring.StashService("probe"), "probe"); err != nil && !errors.Is(err, keyring.ErrNotFound) {
				return fmt.Errorf("the %s keyring cannot be used, so nothing was moved: %w", to, err)
			}
			m, err := svc.Accounts(cmd.Context())
			if err != nil {
				return err
			}
			rep, err := m.MoveLogins(cmd.Context(), dest, func() error { return svc.SetKeyringBackend(to) })
			if err != nil {
				return err
			}
			a.printf("Moved %d saved logins from %s to %s; keyring.backend is now %s.\n", len(rep.Moved), from, to, to)
			for _, l := range rep.Missing {
				a.eprintf("aimonitor: warning: %s: its saved login was in neither keyring; add it again (aimonitor doctor says how)\n", l)
			}
			for _, l := range rep.Leftovers {
				a.eprintf("aimonitor: warning: %s: the old copy in %s could not be deleted; remove it with your keyring app\n", l, from)
			}
			if unit, err := svc.DaemonUnit(""); err == nil {
				if st, err := unit.Status(cmd.Context()); err == nil && st.Installed {
					a.eprintf("note: the daemon's service names the old backend: run `aimonitor service install` again\n")
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the backend to move to: file, secret-service or keychain")
	return cmd
}

// pollerRunning reports whether a daemon or widget holds the poller lock.
func pollerRunning(svc *service.Service) (bool, error) {
	p := filepath.Join(svc.Paths.DataDir, daemon.LockName)
	if _, err := os.Stat(p); err != nil {
		return false, nil
	}
	fl := flock.New(p)
	ok, err := fl.TryLock()
	if err != nil {
		return false, fmt.Errorf("checking whether the daemon runs: %w", err)
	}
	if ok {
		_ = fl.Unlock()
	}
	return !ok, nil
}
