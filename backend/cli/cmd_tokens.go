package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/tokens"
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
			db, err := s.Store(cmd.Context())
			if err != nil {
				return err
			}
			ledger := tokens.New(db, tokens.Options{Roots: tokens.DefaultRoots(s.Environ()), Log: s.Log})
			if !noScan {
				if _, err := ledger.Scan(cmd.Context(), nil); err != nil {
					return err
				}
			}
			if asJSON {
				// Straight from the ledger's cache when nothing changed (a
				// long history is hundreds of KB), only indented; the costs
				// keep their full precision.
				raw, err := ledger.ReportJSON(cmd.Context(), q)
				if err != nil {
					return err
				}
				return a.writeJSON(raw)
			}
			rep, err := ledger.Report(cmd.Context(), q)
			if err != nil {
				return err
			}
			return printTokens(a.deps.Stdout, rep)
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

// normDate accepts YYYY-MM-DD or YYYYMMDD.
func normDate(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	for _, layout := range []string{"2006-01-02", "20060102"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", fmt.Errorf("--%s: %q is not a date like 2025-06-01", flag, v)
}

func location(tz string) (*time.Location, error) {
	loc, err := tokens.Location(tz)
	if err != nil {
		return nil, fmt.Errorf("--tz: %w", err)
	}
	return loc, nil
}

func printTokens(w io.Writer, rep tokens.Report) error {
	tw := newTable(w, tabwriter.AlignRight)
	head := map[string]string{tokens.ByDay: "Date", tokens.ByModel: "Model", tokens.ByProject: "Project", tokens.ByAccount: "Account"}[rep.By]
	fmt.Fprintf(tw, "%s\tInput\tOutput\tCache write\tCache read\tTotal\tCost (USD)\t\n", head)
	line := func(key string, t tokens.Totals) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", key, num(t.InputTokens), num(t.OutputTokens),
			num(t.CacheCreationTokens), num(t.CacheReadTokens), num(t.TotalTokens()), cost(t))
	}
	for _, r := range rep.Rows {
		line(r.Date+r.Model+r.Project+r.Account, r.Totals)
	}
	line("Total", rep.Totals)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Totals.UnpricedModels) > 0 {
		fmt.Fprintf(w, "\n* Part of this cost is missing: no rate is known for %s (their tokens are counted, their cost is not).\n", strings.Join(rep.Totals.UnpricedModels, ", "))
	}
	zone := rep.TimeZone
	if zone == "Local" {
		zone = "local time"
	}
	_, err := fmt.Fprintf(w, "\nCosts are API-rate estimates (prices of %s); days are in %s.\n", rep.PricingDate, zone)
	return err
}

func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func cost(t tokens.Totals) string {
	if t.CostUSD == nil {
		return "unpriced"
	}
	s := fmt.Sprintf("$%.2f", *t.CostUSD)
	if len(t.UnpricedModels) > 0 {
		s += "*"
	}
	return s
}
