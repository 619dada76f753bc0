package cli

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/update"
)

// errUpdatesOff is returned when the user turned release checks off: off
// means no request at all, even on demand.
var errUpdatesOff = errors.New("release checks are off (auto_update.enabled is false); turn them on with `aimonitor config set auto_update.enabled true`")

func (a *app) updateCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "update", Short: "Check GitHub for a newer release (never downloads or installs)"}
	var asJSON bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Compare this version with the newest stable release",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.service()
			if err != nil {
				return err
			}
			cfg := svc.Config()
			if !cfg.AutoUpdate.Enabled {
				return errUpdatesOff
			}
			checker, err := svc.UpdateChecker()
			if err != nil {
				return err
			}
			st, err := svc.Store(cmd.Context())
			if err != nil {
				return err
			}
			res, err := update.CheckAndRemember(cmd.Context(), checker, st, buildinfo.Version, time.Now())
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			switch {
			case res.UpdateAvailable:
				a.printf("aimonitor %s is available (you have %s): %s\n", res.Latest, res.Current, res.URL)
			case res.Latest == "":
				a.printf("no stable release published yet (you have %s)\n", res.Current)
			default:
				a.printf("aimonitor %s is up to date (latest release %s)\n", res.Current, res.Latest)
			}
			return nil
		},
	}
	check.Flags().BoolVar(&asJSON, "json", false, "print JSON: current, latest, update_available, url")
	cmd.AddCommand(check)
	return cmd
}
