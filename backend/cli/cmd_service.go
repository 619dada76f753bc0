package cli

import (
	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/userunit"
)

func (a *app) serviceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Run the daemon as a user service (systemd on Linux, launchd on macOS)",
		Long: `Installs ` + "`aimonitor daemon`" + ` as a per-user service that starts without a desktop and is
restarted when it fails: ~/.config/systemd/user/aimonitor.service on Linux, a LaunchAgent
on macOS. The unit names the keyring backend and, for the file keyring, the passphrase file;
it never holds a passphrase.`,
		Args: noArgs,
	}
	cmd.AddCommand(a.serviceInstallCommand(), a.serviceUninstallCommand(), a.serviceStatusCommand())
	return cmd
}

func (a *app) serviceInstallCommand() *cobra.Command {
	var passFile string
	cmd := &cobra.Command{
		Use:   "install [--passphrase-file FILE]",
		Short: "Write the user service for the daemon, enable and start it",
		Long: `Writes the unit (replacing an older one), then enables and starts it with systemctl --user
(launchctl on macOS) when that can be reached, and says what to run when it cannot.

With the file keyring, the daemon reads the passphrase from --passphrase-file (default:
AIMONITOR_KEYRING_PASSPHRASE_FILE), or else uses the key ` + "`aimonitor keyring unlock`" + ` keeps.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, unit, err := a.daemonUnit(passFile)
			if err != nil {
				return err
			}
			rep, err := unit.Install(cmd.Context())
			if err != nil {
				return err
			}
			a.printf("Wrote %s: it runs `%s daemon` with keyring.backend %s.\n", rep.Path, unit.Exe, svc.KeyringBackend())
			if rep.Enabled {
				a.printf("Enabled and started.\n")
			}
			if svc.KeyringBackend() == config.KeyringFile {
				hasFile := false
				for _, kv := range unit.Env {
					hasFile = hasFile || len(kv) > len(filekeyring.PassphraseFileEnv) && kv[:len(filekeyring.PassphraseFileEnv)+1] == filekeyring.PassphraseFileEnv+"="
				}
				if !hasFile {
					a.eprintf("note: the daemon opens the file keyring with the key `aimonitor keyring unlock` keeps (for keyring.unlock_timeout_min); for restarts nobody attends, use --passphrase-file FILE.\n")
				}
				if svc.Getenv(filekeyring.PassphraseEnv) != "" {
					a.eprintf("note: %s is not copied into the unit (it would be a passphrase on disk in plain text).\n", filekeyring.PassphraseEnv)
				}
			}
			for _, n := range rep.Notes {
				a.eprintf("note: %s\n", n)
			}
			if c := svc.Config(); c.Autostart && c.AutostartRun == "daemon" {
				a.eprintf("note: autostart also starts a daemon at desktop login; only one polls at a time, but you may turn it off: aimonitor config set autostart false\n")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "a file holding the file keyring's passphrase, read by the daemon (mode 0600)")
	return cmd
}

func (a *app) serviceUninstallCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "uninstall",
		Short: "Stop, disable and remove the daemon's user service",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, unit, err := a.daemonUnit("")
			if err != nil {
				return err
			}
			p, _ := unit.Path()
			removed, err := unit.Uninstall(cmd.Context())
			if err != nil {
				return err
			}
			if removed {
				a.printf("Stopped and removed %s.\n", p)
			} else {
				a.printf("No service was installed (%s).\n", p)
			}
			return nil
		},
	}
}

func (a *app) serviceStatusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Say whether the daemon's user service is installed, enabled and running",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, unit, err := a.daemonUnit("")
			if err != nil {
				return err
			}
			st, err := unit.Status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(st)
			}
			if !st.Installed {
				a.printf("not installed (%s); aimonitor service install writes it\n", st.Path)
				return nil
			}
			a.printf("installed: %s\nenabled:   %s\nrunning:   %s\n", st.Path, st.Enabled, st.Active)
			if !st.Current {
				a.eprintf("note: the unit differs from what install would write now (another program path or keyring backend): run aimonitor service install again\n")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// daemonUnit is the daemon's user service as this command's settings
// describe it.
func (a *app) daemonUnit(passphraseFile string) (*service.Service, userunit.Unit, error) {
	svc, err := a.service()
	if err != nil {
		return nil, userunit.Unit{}, err
	}
	unit, err := svc.DaemonUnit(passphraseFile)
	return svc, unit, err
}
