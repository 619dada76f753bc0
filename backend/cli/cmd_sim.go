package cli

import (
	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/clock"
)

// SimEnv is the environment that points aimonitor at a simulator at base.
func SimEnv(base string) []string {
	return []string{
		"AIMONITOR_API_BASE=" + base,
		"AIMONITOR_TOKEN_URL=" + base + sim.TokenPath,
		"AIMONITOR_RELEASES_URL=" + base + "/repos/" + buildinfo.ReleasesRepo + "/releases",
	}
}

func (a *app) simCommand() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the built-in simulator of Anthropic's and GitHub's endpoints on loopback (for trying things out)",
		Long: `Serves the usage, profile, token and releases endpoints on a loopback address, with four
demo accounts whose usage moves within minutes. Point aimonitor at it with the printed
variables. It never listens on anything but loopback.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, creds := sim.Demo(clock.Real{})
			return sim.ListenAndServe(cmd.Context(), listen, s, func(base string) {
				a.printf("simulator listening on %s with %d demo accounts; stop with Ctrl-C\n", base, len(creds))
				for _, kv := range SimEnv(base) {
					a.printf("export %s\n", kv)
				}
			})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "loopback address to listen on")
	return cmd
}
