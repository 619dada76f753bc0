package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/backend/words"
)

// usageEnv is what refresh and usage need.
type usageEnv struct {
	svc      *service.Service
	accounts daemon.ManagerAccounts
	hist     *usage.History
}

// openUsage opens the store and the accounts for refresh and usage.
func (a *app) openUsage(ctx context.Context) (*usageEnv, error) {
	s, err := a.service()
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
	return &usageEnv{svc: s, accounts: daemon.FromManager(m), hist: usage.NewHistory(db)}, nil
}

// RefreshOutput is the document `refresh --json` prints.
type RefreshOutput struct {
	Accounts []RefreshResult `json:"accounts"`
}

// RefreshResult is one account in `refresh --json`.
type RefreshResult struct {
	Account string           `json:"account"`
	Outcome usage.Outcome    `json:"outcome"`
	Usage   *usage.ListUsage `json:"usage"`
	// NotBefore is when the endpoint may be asked again for it (null: now).
	NotBefore *time.Time `json:"not_before"`
	Error     *string    `json:"error"`
}

func (r RefreshResult) errorText() string {
	if r.Error == nil {
		return ""
	}
	return *r.Error
}

func (a *app) refreshCommand() *cobra.Command {
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "refresh [NAME | --all]",
		Short: "Fetch usage now: the active account, NAME, or every account",
		Long: `Asks Anthropic for the usage of the account Claude Code uses (or NAME, or all of them).
The usage endpoint is rate-limited, so an account asked less than a minute ago, or one
Anthropic asked to wait (Retry-After), is not asked again: its stored numbers are shown.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("too many arguments: refresh takes one account NAME, or --all")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && len(args) > 0 {
				return usageErrorf("give an account NAME or --all, not both")
			}
			ctx := cmd.Context()
			e, err := a.openUsage(ctx)
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
				acc, err := e.accounts.M.ByLabel(ctx, args[0])
				if err != nil {
					return accountHint(ctx, e.accounts.M, args[0], err)
				}
				ids = []int64{acc.ID}
			default:
				for _, acc := range list {
					if acc.Active {
						ids = []int64{acc.ID}
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
			p := usage.NewPoller(e.hist, e.accounts, client, a.clock, usage.PollerOptions{Log: e.svc.Log})
			results, err := usage.RefreshAccounts(ctx, p, e.accounts, ids, nil)
			if err != nil {
				return err
			}
			labels := map[int64]string{}
			for _, acc := range list {
				labels[acc.ID] = acc.Label
			}
			return a.printRefresh(ctx, e, results, labels, asJSON)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "refresh every account")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) printRefresh(ctx context.Context, e *usageEnv, results []usage.Result, labels map[int64]string, asJSON bool) error {
	failed, fetched := 0, 0
	out := make([]RefreshResult, 0, len(results))
	for _, r := range results {
		rr := RefreshResult{Account: labels[r.AccountID], Outcome: r.Outcome}
		if !r.NotBefore.IsZero() {
			nb := r.NotBefore
			rr.NotBefore = &nb
		}
		if u, err := usage.ListUsageFor(ctx, e.hist, r.AccountID); err == nil {
			rr.Usage = u
		}
		if r.Err != nil {
			msg := r.Err.Error()
			rr.Error = &msg
		}
		// Held back by a back-off or a fresh sample, a dead login is still
		// dead: say so (and fail) rather than show old numbers.
		if rr.Outcome != usage.Fetched && rr.Outcome != usage.Relogin {
			if acc, err := e.accounts.M.Get(ctx, r.AccountID); err == nil && acc.NeedsRelogin {
				msg := acc.ReloginReason
				if msg == "" {
					msg = "the login expired or was revoked"
				}
				rr.Outcome, rr.Error = usage.Relogin, &msg
			}
		}
		switch rr.Outcome {
		case usage.Failed, usage.Relogin:
			failed++
		case usage.Fetched:
			fetched++
		}
		out = append(out, rr)
	}
	if asJSON {
		if err := a.printJSON(RefreshOutput{Accounts: out}); err != nil {
			return err
		}
	} else {
		now := a.clock.Now()
		for _, r := range out {
			fmt.Fprintf(a.deps.Stdout, "%s: %s\n", r.Account, refreshLine(r, now))
		}
	}
	if failed > 0 {
		if len(out) == 1 {
			return errors.New("the account could not be refreshed")
		}
		return fmt.Errorf("%d of %d accounts could not be refreshed", failed, len(out))
	}
	if fetched == 0 {
		// Scripts can tell "nothing new was fetched" from success; the
		// lines above already say why, so the error line stays short.
		return &ExitError{Code: ExitNothingFetched, Err: errors.New("nothing fetched: asked too recently or told to wait; the stored numbers are shown")}
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
		return nums + " (asked " + words.Ago(now, r.Usage.FetchedAt) + "; not asking again so soon)"
	case usage.Waiting:
		return nums + " (not asked: " + r.errorText() + ")"
	case usage.Relogin:
		return "needs a new login: " + r.errorText() + "; renew it with `aimonitor relogin " + r.Account + "`"
	}
	return "failed: " + r.errorText() + "; stored: " + nums
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
