package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts"
)

func (a *app) logCommand() *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Show the switch history",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return usageErrorf("--limit must be 1 or more (it is how many of the latest switches to show)")
			}
			_, m, err := a.manager(cmd.Context())
			if err != nil {
				return err
			}
			entries, err := m.Log(cmd.Context(), limit)
			if err != nil {
				return err
			}
			if asJSON {
				if entries == nil {
					entries = []accounts.LogEntry{}
				}
				return a.printJSON(struct {
					Switches []accounts.LogEntry `json:"switches"`
				}{entries})
			}
			if len(entries) == 0 {
				fmt.Fprintln(a.deps.Stdout, "No switches yet.")
				return nil
			}
			tw := newTable(a.deps.Stdout, 0)
			fmt.Fprintln(tw, "WHEN\tFROM\tTO\tTRIGGER\tRESULT\tREASON")
			for _, e := range entries {
				result := "ok"
				if !e.OK {
					result = "failed: " + e.Error
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), orDash(e.FromLabel), orDash(e.ToLabel), e.Trigger, result, e.Reason)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 100, "how many of the latest switches to show (1 or more)")
	return cmd
}
