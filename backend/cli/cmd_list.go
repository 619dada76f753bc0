package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// ListItem is one account in `list --json`.
type ListItem struct {
	ID            int64      `json:"id"`
	Label         string     `json:"label"`
	Email         string     `json:"email"`
	Organization  string     `json:"organization"`
	Subscription  string     `json:"subscription"`
	Active        bool       `json:"active"`
	NeedsRelogin  bool       `json:"needs_relogin"`
	ReloginReason string     `json:"relogin_reason,omitempty"`
	CooldownUntil *time.Time `json:"cooldown_until"`
	LastUsedAt    *time.Time `json:"last_used_at"`
	Usage         any        `json:"usage"`
}

// ListOutput is the document `list --json` prints.
type ListOutput struct {
	Accounts []ListItem `json:"accounts"`
	// ClaudeCode is what Claude Code is logged in as right now.
	ClaudeCode ClaudeCodeState `json:"claude_code"`
}

// ClaudeCodeState summarises the live login.
type ClaudeCodeState struct {
	LoggedIn     bool   `json:"logged_in"`
	Saved        bool   `json:"saved"` // the live login is one of the accounts
	Email        string `json:"email,omitempty"`
	Organization string `json:"organization,omitempty"`
}

func (a *app) listCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List saved accounts (* marks the one Claude Code uses)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, m, err := a.manager(ctx)
			if err != nil {
				return err
			}
			o, err := m.Overview(ctx)
			if err != nil {
				return err
			}
			live := o.Live
			doc := ListOutput{Accounts: []ListItem{}, ClaudeCode: ClaudeCodeState{LoggedIn: live.LoggedIn, Saved: live.Account != nil, Email: live.Email, Organization: live.Organization}}
			for _, v := range o.Accounts {
				acc := v.Account
				it := ListItem{
					ID: acc.ID, Label: acc.Label, Email: acc.Email, Organization: acc.OrgName, Subscription: acc.Subscription,
					Active: v.Active, NeedsRelogin: acc.NeedsRelogin,
					ReloginReason: acc.ReloginReason, CooldownUntil: acc.CooldownUntil, LastUsedAt: acc.LastUsedAt,
				}
				if it.Usage, err = listUsage(ctx, s, acc); err != nil {
					return err
				}
				doc.Accounts = append(doc.Accounts, it)
			}
			if asJSON {
				return a.printJSON(doc)
			}
			return a.printTable(doc)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) printTable(doc ListOutput) error {
	if len(doc.Accounts) == 0 {
		fmt.Fprintln(a.deps.Stdout, "No accounts yet. Save Claude Code's current login with: aimonitor add --adopt-current --label NAME")
	} else {
		tw := newTable(a.deps.Stdout, 0)
		fmt.Fprintln(tw, "\tACCOUNT\tEMAIL\tORGANIZATION\tPLAN\tSTATUS")
		for _, it := range doc.Accounts {
			mark, status := "", "ok"
			if it.Active {
				mark = "*"
			}
			switch {
			case it.NeedsRelogin:
				status = a.paint(red, "needs a new login")
			case it.CooldownUntil != nil && it.CooldownUntil.After(time.Now()):
				status = "cooling down until " + it.CooldownUntil.Local().Format("15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mark, it.Label, it.Email, it.Organization, it.Subscription, status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	switch {
	case !doc.ClaudeCode.LoggedIn:
		fmt.Fprintln(a.deps.Stdout, "Claude Code is not logged in.")
	case !doc.ClaudeCode.Saved:
		fmt.Fprintf(a.deps.Stdout, "Claude Code uses %s, which is not saved; save it with: aimonitor add --adopt-current --label NAME\n", doc.ClaudeCode.Email)
	}
	return nil
}

// listUsage is the "usage" member of one account in `list --json` (see
// usage.ListUsage; null when the account was never fetched).
func listUsage(ctx context.Context, svc *service.Service, a accounts.Account) (any, error) {
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
