package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/backend/words"
)

func (a *app) usageCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Show every account's usage windows, burn rate and predicted exhaustion",
		Long: `Shows what the poller (the daemon or the widget) last published; when neither runs,
the stored numbers. It never asks Anthropic itself: use refresh for that.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.service()
			if err != nil {
				return err
			}
			db, err := s.Store(ctx)
			if err != nil {
				return err
			}
			now := a.clock.Now()
			doc, err := daemon.NewReader(db).Read(ctx)
			if err != nil {
				return err
			}
			if !doc.Alive(now) {
				e, err := a.openUsage(ctx)
				if err != nil {
					return err
				}
				if doc, err = daemon.Snapshot(ctx, db, e.accounts, now); err != nil {
					return err
				}
			}
			if asJSON {
				return a.printJSON(newUsageOutput(doc, now))
			}
			cfg := s.Config()
			return a.printUsage(doc, now, cfg.Notify.WarnPct, cfg.Notify.CritPct)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (see docs/cli.md)")
	return cmd
}

// UsageOutput is the document `usage --json` prints: the poller's status
// document, with null where nothing polls.
type UsageOutput struct {
	// PolledBy is the process polling now; null when nothing polls (the
	// numbers are then the stored ones).
	PolledBy       *UsagePoller           `json:"polled_by"`
	NextPoll       *time.Time             `json:"next_poll"`
	NextPollReason *string                `json:"next_poll_reason"`
	LastError      *string                `json:"last_error"`
	AutoSwap       bool                   `json:"auto_swap"`
	PendingSwap    *daemon.PendingSwap    `json:"pending_swap"`
	Accounts       []daemon.AccountStatus `json:"accounts"`
}

// UsagePoller is the process that polls.
type UsagePoller struct {
	Mode      string    `json:"mode"` // "daemon" or "widget"
	PID       int       `json:"pid"`
	Since     time.Time `json:"since"`
	Heartbeat time.Time `json:"heartbeat"`
}

func newUsageOutput(doc *daemon.Document, now time.Time) UsageOutput {
	out := UsageOutput{AutoSwap: doc.AutoSwap, PendingSwap: doc.PendingSwap, Accounts: doc.Accounts}
	if out.Accounts == nil {
		out.Accounts = []daemon.AccountStatus{}
	}
	if doc.Alive(now) {
		out.PolledBy = &UsagePoller{Mode: doc.Owner.Mode, PID: doc.Owner.PID, Since: doc.Owner.Since, Heartbeat: doc.Heartbeat}
		out.NextPoll = doc.NextPoll
		out.NextPollReason = nonEmpty(doc.NextPollReason)
		out.LastError = nonEmpty(doc.LastError)
	}
	return out
}

// nonEmpty is nil for "" (null in JSON).
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// printUsage prints the table; a window at warn % or more is yellow, at
// crit % or more red (on a terminal). The per-model and extra-usage
// columns appear when an account has them.
func (a *app) printUsage(doc *daemon.Document, now time.Time, warn, crit int) error {
	if len(doc.Accounts) == 0 {
		fmt.Fprintln(a.deps.Stdout, "No accounts yet. Save Claude Code's current login with: aimonitor add --adopt-current --label NAME")
		return nil
	}
	var opus, sonnet, extra bool
	for _, acc := range doc.Accounts {
		if u := acc.Usage; u != nil {
			opus = opus || u.SevenDayOpus != nil
			sonnet = sonnet || u.SevenDaySonnet != nil
			extra = extra || u.ExtraUsage != nil && u.ExtraUsage.IsEnabled
		}
	}
	win := func(w *usage.ListWindow) string {
		code := ""
		switch {
		case w != nil && w.Utilization >= float64(crit):
			code = red
		case w != nil && w.Utilization >= float64(warn):
			code = yellow
		}
		return a.cell(code, windowText(w, now))
	}
	tw := newTable(a.deps.Stdout, 0)
	head := "\tACCOUNT\t" + a.cell("", "5-HOUR") + "\t" + a.cell("", "7-DAY")
	if opus {
		head += "\t" + a.cell("", "7-DAY OPUS")
	}
	if sonnet {
		head += "\t" + a.cell("", "7-DAY SONNET")
	}
	if extra {
		head += "\tEXTRA USAGE"
	}
	fmt.Fprintln(tw, head+"\tBURN 5H\tFULL AT\tFETCHED\tNOTE")
	for _, acc := range doc.Accounts {
		mark := ""
		if acc.Active {
			mark = "*"
		}
		five, seven, burn, full, fetched := win(nil), win(nil), "—", "—", "never"
		models, extraText := "", ""
		if u := acc.Usage; u != nil {
			five, seven, fetched = win(u.FiveHour), win(u.SevenDay), words.Ago(now, u.FetchedAt)
			if u.PredictedExhaustedAt != nil {
				full = when(now, *u.PredictedExhaustedAt)
			}
			if opus {
				models += "\t" + win(u.SevenDayOpus)
			}
			if sonnet {
				models += "\t" + win(u.SevenDaySonnet)
			}
			if extra {
				extraText = "\t" + extraUsageText(u)
			}
		} else {
			if opus {
				models += "\t" + win(nil)
			}
			if sonnet {
				models += "\t" + win(nil)
			}
			if extra {
				extraText = "\t—"
			}
		}
		if p, ok := acc.Predictions[usage.FiveHour]; ok && p.Samples >= 2 {
			burn = fmt.Sprintf("%.1f %%/h", p.BurnRatePerHour)
		}
		var notes []string
		if acc.NeedsRelogin {
			notes = append(notes, "needs a new login")
		}
		if acc.CooldownUntil != nil && acc.CooldownUntil.After(now) {
			notes = append(notes, "Anthropic asked to wait until "+when(now, *acc.CooldownUntil))
		} else if acc.LastError != "" {
			notes = append(notes, "last check failed")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s%s%s\t%s\t%s\t%s\t%s\n", mark, acc.Label, five, seven, models, extraText, burn, full, fetched, strings.Join(notes, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if p := doc.PendingSwap; p != nil {
		fmt.Fprintf(a.deps.Stdout, "\nSwitching Claude Code from %s to %s at %s: %s\n", p.From, p.Target, when(now, p.FiresAt), p.Reason)
	}
	switch {
	case doc.Alive(now):
		fmt.Fprintf(a.deps.Stdout, "\nPolled by aimonitor %s (pid %d)", doc.Owner.Mode, doc.Owner.PID)
		if doc.NextPoll != nil {
			fmt.Fprintf(a.deps.Stdout, "; next check %s", doc.NextPoll.Local().Format("15:04:05"))
			if doc.NextPollReason != "" {
				fmt.Fprintf(a.deps.Stdout, " (%s)", doc.NextPollReason)
			}
		}
		fmt.Fprintln(a.deps.Stdout, ".")
		if doc.LastError != "" {
			fmt.Fprintf(a.deps.Stdout, "Last problem: %s\n", doc.LastError)
		}
	default:
		a.eprintf("\nNothing is polling right now: start `aimonitor daemon` or the widget; `aimonitor refresh` asks once.\n")
	}
	return nil
}

// extraUsageText is the extra (pay-as-you-go) usage of a plan that has it
// turned on: "12 % of 50.00 USD", or "on" when Anthropic gave no numbers.
func extraUsageText(u *usage.ListUsage) string {
	e := u.ExtraUsage
	if e == nil || !e.IsEnabled {
		return "—"
	}
	switch {
	case e.UsedCredits != nil && e.MonthlyLimit != nil:
		return fmt.Sprintf("%.2f of %.2f %s", *e.UsedCredits, *e.MonthlyLimit, e.Currency)
	case e.Utilization != nil:
		return fmt.Sprintf("%.0f %%", *e.Utilization)
	}
	return "on"
}
