package cli

import (
	"runtime"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
)

func (a *app) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := map[string]string{
				"version": buildinfo.Version,
				"commit":  buildinfo.Commit(),
				"go":      runtime.Version(),
				"os_arch": runtime.GOOS + "/" + runtime.GOARCH,
			}
			if asJSON {
				return a.printJSON(v)
			}
			a.printf("aimonitor %s (%s, %s)\n", buildinfo.Version, v["go"], v["os_arch"])
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
