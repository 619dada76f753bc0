package warm

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/aimonitor/aimonitor/backend/textout"
)

// The two ways `aimonitor tokens` prints a report. The command line and the
// launcher's warm path both print through these, so their output is the
// same byte for byte.

// MarshalReport is rep as compact JSON with a final newline: what the
// ledger caches and WriteJSON indents.
func MarshalReport(rep *Report) ([]byte, error) {
	raw, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	return append(raw, '\n'), nil
}

// WriteJSON prints a report's compact JSON (MarshalReport) as --json does.
func WriteJSON(w io.Writer, compact []byte) error { return textout.WriteJSON(w, compact) }

// PrintTable prints rep as the table `aimonitor tokens` shows.
func PrintTable(w io.Writer, rep *Report) error {
	tw := textout.NewTable(w, tabwriter.AlignRight)
	head := map[string]string{ByDay: "Date", ByModel: "Model", ByProject: "Project", ByAccount: "Account"}[rep.By]
	fmt.Fprintf(tw, "%s\tInput\tOutput\tCache write\tCache read\tTotal\tCost (USD)\t\n", head)
	line := func(key string, t Totals) {
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

func cost(t Totals) string {
	if t.CostUSD == nil {
		return "unpriced"
	}
	s := fmt.Sprintf("$%.2f", *t.CostUSD)
	if len(t.UnpricedModels) > 0 {
		s += "*"
	}
	return s
}
