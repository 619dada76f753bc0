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
		Args:  noArgs,
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
			a.printf("%s\n", versionLine())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// versionLine is what `version` and `--version` print; the launcher
// (cmd/aimonitor) prints the same line without starting this package.
func versionLine() string { return buildinfo.Line() }
