package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/tokens"
	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// tokensCommand brings the token ledger up to date from Claude Code's
// transcripts, then prints a report by day, model, project or account, as
// a table or as JSON.
func (a *app) tokensCommand() *cobra.Command {
	var (
		asJSON       bool
		since, until string
		by, tz       string
		noScan       bool
	)
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Report the tokens Claude Code used, from its local transcripts",
		Long: `tokens reads Claude Code's transcripts (~/.claude/projects and each
$CLAUDE_CONFIG_DIR/projects), counting every response once, and reports the
tokens used and their estimated API cost by day, model, project or account.
Only what changed since the last run is read.`,
		Example: `  aimonitor tokens
  aimonitor tokens --by model --since 2025-06-01
  aimonitor tokens --json --by account --tz UTC`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := tokens.Query{By: by}
			var err error
			if q.Since, err = normDate("since", since); err != nil {
				return err
			}
			if q.Until, err = normDate("until", until); err != nil {
				return err
			}
			switch by {
			case tokens.ByDay, tokens.ByModel, tokens.ByProject, tokens.ByAccount:
			default:
				return fmt.Errorf("--by must be day, model, project or account, not %q", by)
			}
			if q.Location, err = location(tz); err != nil {
				return err
			}
			s, err := a.service()
			if err != nil {
				return err
			}
			roots := tokens.DefaultRoots(s.Environ())
			var listing *tokens.Listing
			if !noScan {
				// List the transcripts while the database opens (a first
				// run creates it).
				listing = tokens.Prelist(roots)
			}
			db, err := s.Store(cmd.Context())
			if err != nil {
				return err
			}
			ledger := tokens.New(db, tokens.Options{Roots: roots, Log: s.Log, Listing: listing,
				Snapshot: &tokens.SnapshotOptions{Path: filepath.Join(s.Paths.DataDir, warm.SnapshotName),
					Build: a.tokensBuild, ConfigStamp: s.VerifiedConfigStamp}})
			if !noScan {
				if _, err := ledger.Scan(cmd.Context(), nil); err != nil {
					return err
				}
			}
			// JSON straight from the ledger's cache when nothing changed (a
			// long history is hundreds of KB), only indented; the costs keep
			// their full precision. The answer is remembered in the ledger's
			// snapshot, for the launcher to print again (backend/tokens/warm).
			out, err := ledger.Answer(cmd.Context(), q, asJSON)
			if err != nil {
				return err
			}
			_, err = a.deps.Stdout.Write(out)
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.StringVar(&since, "since", "", "first day to include, YYYY-MM-DD")
	f.StringVar(&until, "until", "", "last day to include, YYYY-MM-DD")
	f.StringVar(&by, "by", tokens.ByDay, "group by day, model, project or account")
	f.StringVar(&tz, "tz", "", "time zone for days, e.g. UTC or Europe/Paris (default: local)")
	f.BoolVar(&noScan, "no-scan", false, "report what is recorded without reading the transcripts")
	return cmd
}

func normDate(flag, v string) (string, error) { return warm.NormDate(flag, v) }

func location(tz string) (*time.Location, error) {
	loc, err := tokens.Location(tz)
	if err != nil {
		return nil, fmt.Errorf("--tz: %w", err)
	}
	return loc, nil
}
