// Package usagecli is the command-line surface of usage polling:
// `refresh [NAME|--all]` asks the usage endpoint now (still obeying every
// Retry-After and the shared spacing), `usage [--json]` shows what the
// poller knows, and `daemon` runs the headless poller. ListUsage fills the
// "usage" member of `list --json`.
package usagecli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// Commands returns refresh, usage and daemon. svc gives the process's
// service (built on first use); out is stdout.
func Commands(svc func() (*service.Service, error), out io.Writer) []*cobra.Command {
	return CommandsWith(svc, out, Options{})
}

// Options adjust CommandsWith (tests).
type Options struct {
	// Clock is the wall clock of refresh and usage (clock.Real{} when nil):
	// it decides whether a Retry-After or the spacing still holds.
	Clock clock.Clock
	// DaemonDeps, when set, adjusts the daemon's Deps before it runs.
	DaemonDeps func(*daemon.Deps)
}

// CommandsWith is Commands with options.
func CommandsWith(svc func() (*service.Service, error), out io.Writer, o Options) []*cobra.Command {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	c := &cli{svc: svc, out: out, clock: o.Clock, daemonDeps: o.DaemonDeps}
	return []*cobra.Command{c.refresh(), c.usage(), c.daemon()}
}

// ListUsage is the "usage" member of one account in `list --json` (see
// usage.ListUsage; null when the account was never fetched). It has the
// shape of accountscli.Hooks.Usage.
func ListUsage(ctx context.Context, svc *service.Service, a accounts.Account) (any, error) {
	db, err := svc.Store(ctx)
	if err != nil {
		return nil, err
	}
	u, err := usage.ListUsageFor(ctx, usage.NewHistory(db), a.ID)
	if err != nil || u == nil {
		return nil, err // a typed nil would print as null too, but be plain
	}
	return u, nil
}

type cli struct {
	svc        func() (*service.Service, error)
	out        io.Writer
	clock      clock.Clock
	daemonDeps func(*daemon.Deps)
}

func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// env is what refresh and usage need.
type env struct {
	svc      *service.Service
	accounts daemon.ManagerAccounts
	hist     *usage.History
}

func (c *cli) env(ctx context.Context) (*env, error) {
	s, err := c.svc()
	if err != nil {
		return nil, err
	}
	db, err := s.Store(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	return &env{svc: s, accounts: daemon.FromManager(m), hist: usage.NewHistory(db)}, nil
}

// RefreshResult is one account in `refresh --json`.
type RefreshResult struct {
	Account   string           `json:"account"`
	Outcome   usage.Outcome    `json:"outcome"`
	Usage     *usage.ListUsage `json:"usage"`
	NotBefore time.Time        `json:"not_before"`
	Error     string           `json:"error,omitempty"`
}

func (c *cli) refresh() *cobra.Command {
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "refresh [NAME | --all]",
		Short: "Fetch usage now: the active account, NAME, or every account",
		Long: `Asks Anthropic for the usage of the account Claude Code uses (or NAME, or all of them).
The usage endpoint is rate-limited, so an account asked less than a minute ago, or one
Anthropic asked to wait (Retry-After), is not asked again: its stored numbers are shown.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && len(args) > 0 {
				return errors.New("give an account NAME or --all, not both")
			}
			ctx := cmd.Context()
			e, err := c.env(ctx)
			if err != nil {
				return err
			}
			list, err := e.accounts.List(ctx)
			if err != nil {
				return err
			}
			var ids []int64
			switch {
			case all:
			case len(args) == 1:
				a, err := e.accounts.M.ByLabel(ctx, args[0])
				if err != nil {
					return err
				}
				ids = []int64{a.ID}
			default:
				for _, a := range list {
					if a.Active {
						ids = []int64{a.ID}
					}
				}
				if ids == nil {
					return errors.New("Claude Code uses no saved account; name one, or use --all")
				}
			}
			if len(list) == 0 {
				return errors.New("no accounts yet; save one with `aimonitor add`")
			}
			client, err := e.svc.Anthropic()
			if err != nil {
				return err
			}
			p := usage.NewPoller(e.hist, e.accounts, client, c.clock, usage.PollerOptions{Log: e.svc.Log})
			results, err := usage.RefreshAccounts(ctx, p, e.accounts, ids, nil)
			if err != nil {
				return err
			}
			labels := map[int64]string{}
			for _, a := range list {
				labels[a.ID] = a.Label
			}
			return c.printRefresh(ctx, e, results, labels, asJSON)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "refresh every account")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (c *cli) printRefresh(ctx context.Context, e *env, results []usage.Result, labels map[int64]string, asJSON bool) error {
	failed := 0
	out := make([]RefreshResult, 0, len(results))
	for _, r := range results {
		rr := RefreshResult{Account: labels[r.AccountID], Outcome: r.Outcome, NotBefore: r.NotBefore}
		if u, err := usage.ListUsageFor(ctx, e.hist, r.AccountID); err == nil {
			rr.Usage = u
		}
		if r.Err != nil {
			rr.Error = r.Err.Error()
		}
		if r.Outcome == usage.Failed || r.Outcome == usage.Relogin {
			failed++
		}
		out = append(out, rr)
	}
	if asJSON {
		if err := c.printJSON(out); err != nil {
			return err
		}
	} else {
		now := c.clock.Now()
		for _, r := range out {
			fmt.Fprintf(c.out, "%s: %s\n", r.Account, refreshLine(r, now))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d accounts could not be refreshed", failed, len(out))
	}
	return nil
}

func refreshLine(r RefreshResult, now time.Time) string {
	nums := "no usage known"
	if r.Usage != nil {
		nums = windowsLine(r.Usage, now)
	}
	switch r.Outcome {
	case usage.Fetched:
		return nums
	case usage.Fresh:
		return nums + " (asked " + ago(now, r.Usage.FetchedAt) + "; not asking again so soon)"
	case usage.Waiting:
		return nums + " (not asked: " + r.Error + ")"
	case usage.Relogin:
		return "needs a new login: " + r.Error
	}
	return "failed: " + r.Error + "; stored: " + nums
}

func ago(now, t time.Time) string {
	d := now.Sub(t).Round(time.Second)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	}
	return t.Local().Format("Jan 2 15:04")
}

func when(now, t time.Time) string {
	lt := t.Local()
	if lt.YearDay() == now.Local().YearDay() && lt.Year() == now.Local().Year() {
		return lt.Format("15:04")
	}
	return lt.Format("Mon 15:04")
}

func windowText(w *usage.ListWindow, now time.Time) string {
	if w == nil {
		return "—"
	}
	s := fmt.Sprintf("%.0f %%", w.Utilization)
	if w.ResetsAt != nil {
		s += ", resets " + when(now, *w.ResetsAt)
	}
	return s
}

func windowsLine(u *usage.ListUsage, now time.Time) string {
	s := "5-hour " + windowText(u.FiveHour, now) + "; 7-day " + windowText(u.SevenDay, now)
	if u.PredictedExhaustedAt != nil {
		s += "; full at " + when(now, *u.PredictedExhaustedAt) + " at this pace"
	}
	return s
}

func (c *cli) usage() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Show every account's usage windows, burn rate and predicted exhaustion",
		Long: `Shows what the poller (the daemon or the widget) last published; when neither runs,
the stored numbers. It never asks Anthropic itself: use refresh for that.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := c.svc()
			if err != nil {
				return err
			}
			db, err := s.Store(ctx)
			if err != nil {
				return err
			}
			now := c.clock.Now()
			doc, err := daemon.NewReader(db).Read(ctx)
			if err != nil {
				return err
			}
			if !doc.Alive(now) {
				e, err := c.env(ctx)
				if err != nil {
					return err
				}
				if doc, err = daemon.Snapshot(ctx, db, e.accounts, now); err != nil {
					return err
				}
			}
			if asJSON {
				return c.printJSON(doc)
			}
			return c.printUsage(doc, now)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status document as JSON")
	return cmd
}

func (c *cli) printUsage(doc *daemon.Document, now time.Time) error {
	if len(doc.Accounts) == 0 {
		fmt.Fprintln(c.out, "No accounts yet. Save Claude Code's current login with: aimonitor add --adopt-current --label NAME")
		return nil
	}
	tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tACCOUNT\t5-HOUR\t7-DAY\tBURN 5H\tFULL AT\tFETCHED\tNOTE")
	for _, a := range doc.Accounts {
		mark := ""
		if a.Active {
			mark = "*"
		}
		five, seven, burn, full, fetched := "—", "—", "—", "—", "never"
		if u := a.Usage; u != nil {
			five, seven, fetched = windowText(u.FiveHour, now), windowText(u.SevenDay, now), ago(now, u.FetchedAt)
			if u.PredictedExhaustedAt != nil {
				full = when(now, *u.PredictedExhaustedAt)
			}
		}
		if p, ok := a.Predictions[usage.FiveHour]; ok && p.Samples >= 2 {
			burn = fmt.Sprintf("%.1f %%/h", p.BurnRatePerHour)
		}
		var notes []string
		if a.NeedsRelogin {
			notes = append(notes, "needs a new login")
		}
		if a.CooldownUntil != nil && a.CooldownUntil.After(now) {
			notes = append(notes, "Anthropic asked to wait until "+when(now, *a.CooldownUntil))
		} else if a.LastError != "" {
			notes = append(notes, "last check failed")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, a.Label, five, seven, burn, full, fetched, strings.Join(notes, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if p := doc.PendingSwap; p != nil {
		fmt.Fprintf(c.out, "\nSwitching Claude Code from %s to %s at %s: %s\n", p.From, p.Target, when(now, p.FiresAt), p.Reason)
	}
	switch {
	case doc.Alive(now):
		fmt.Fprintf(c.out, "\nPolled by aimonitor %s (pid %d)", doc.Owner.Mode, doc.Owner.PID)
		if doc.NextPoll != nil {
			fmt.Fprintf(c.out, "; next check %s", doc.NextPoll.Local().Format("15:04:05"))
			if doc.NextPollReason != "" {
				fmt.Fprintf(c.out, " (%s)", doc.NextPollReason)
			}
		}
		fmt.Fprintln(c.out, ".")
		if doc.LastError != "" {
			fmt.Fprintf(c.out, "Last problem: %s\n", doc.LastError)
		}
	default:
		fmt.Fprintln(c.out, "\nNothing is polling right now: start `aimonitor daemon` or the widget; `aimonitor refresh` asks once.")
	}
	return nil
}

func (c *cli) daemon() *cobra.Command {
	return &cobra.Command{
		Use:   "daemon",
		Short: "Poll usage, swap accounts automatically and notify, without a window",
		Long: `Runs the poller headless until stopped (Ctrl-C or SIGTERM). Only one process polls per user:
if the widget already does, the daemon waits and takes over when the widget closes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			s, err := c.svc()
			if err != nil {
				return err
			}
			deps, err := daemon.FromService(ctx, s, daemon.ModeDaemon)
			if err != nil {
				return err
			}
			if c.daemonDeps != nil {
				c.daemonDeps(&deps)
			}
			return daemon.Run(ctx, deps)
		},
	}
}
