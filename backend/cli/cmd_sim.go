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
variables. It never listens on anything but loopback.

Trying the CLI on it: use a throw-away HOME, so your real Claude Code login and keyring
are never involved, then log Claude Code in to a demo account through the simulator's
control API and save it:

  export HOME=$(mktemp -d)                     # plus the export lines printed at start
  mkdir -p ~/.claude
  curl -s -X POST $BASE/_sim/accounts/UUID/login > /tmp/login.json
  jq .claude_code_json /tmp/login.json > ~/.claude/.credentials.json
  jq '{oauthAccount: .oauth_account_json}' /tmp/login.json > ~/.claude.json
  aimonitor add --adopt-current --label ada

($BASE and each account's UUID are printed at start.) Saving a keyring item needs a
Secret Service; without a desktop session run everything under dbus-run-session with
gnome-keyring-daemon, as scripts/sandbox does.

Control endpoints (loopback, no authentication; they never leave the simulator):
  GET    /_sim/accounts                  accounts and their windows (no tokens)
  POST   /_sim/accounts                  add one (JSON: email, organization_name, …)
  POST   /_sim/accounts/UUID/login       a fresh login: claude_code_json, oauth_account_json
  POST   /_sim/accounts/UUID/revoke      revoke the account's logins (aimonitor then asks for a new login)
  POST   /_sim/accounts/UUID/expire      expire its access tokens (aimonitor renews them)
  POST   /_sim/accounts/UUID/usage       set a window: {"window","utilization","resets_at","rate_per_hour"}
  POST   /_sim/faults                    inject a fault (429, 5xx, hang, malformed answer)
  DELETE /_sim/faults                    clear the faults
  GET    /_sim/log                       the requests the simulator answered`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, creds := sim.Demo(clock.Real{})
			return sim.ListenAndServe(cmd.Context(), listen, s, func(base string) {
				a.printf("simulator listening on %s with %d demo accounts; stop with Ctrl-C\n", base, len(creds))
				for _, kv := range SimEnv(base) {
					a.printf("export %s\n", kv)
				}
				a.printf("demo accounts (log one in with: curl -s -X POST %s/_sim/accounts/UUID/login; see aimonitor sim --help):\n", base)
				for _, c := range creds {
					a.printf("  %-24s %s\n", c.Identity.Email, c.Identity.AccountUUID)
				}
			})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "loopback address to listen on")
	return cmd
}
