package cli

import (
	"fmt"
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

// versionLine is what `version` and `--version` print.
func versionLine() string {
	return fmt.Sprintf("aimonitor %s (%s, %s/%s)", buildinfo.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
