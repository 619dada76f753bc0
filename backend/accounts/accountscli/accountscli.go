// Package accountscli is the command-line surface of account management:
// add, switch, list, rename, remove and log. The CLI's root command mounts
// what Commands returns; errors are returned for the root to print as one
// line.
package accountscli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/service"
)

// Hooks let later features add to the output without changing the
// command surface.
type Hooks struct {
	// Usage returns the "usage" member of an account in `list --json`
	// (nil prints null).
	Usage func(ctx context.Context, svc *service.Service, a accounts.Account) (any, error)
}

// Commands returns add, switch, list, rename, remove and log. svc gives the
// process's service (built on first use); out and errOut are stdout and
// stderr; in is stdin (never required: every command works without a
// terminal).
func Commands(svc func() (*service.Service, error), out, errOut io.Writer, in io.Reader) []*cobra.Command {
	return CommandsWith(svc, out, errOut, in, Hooks{})
}

// CommandsWith is Commands with hooks.
func CommandsWith(svc func() (*service.Service, error), out, errOut io.Writer, in io.Reader, hooks Hooks) []*cobra.Command {
	c := &cli{svc: svc, out: out, errOut: errOut, in: in, hooks: hooks}
	return []*cobra.Command{c.add(), c.switchCmd(), c.list(), c.rename(), c.remove(), c.log()}
}

type cli struct {
	svc    func() (*service.Service, error)
	out    io.Writer
	errOut io.Writer
	in     io.Reader
	hooks  Hooks
}

func (c *cli) manager(ctx context.Context) (*service.Service, *accounts.Manager, error) {
	s, err := c.svc()
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Accounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	return s, m, nil
}

func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (c *cli) add() *cobra.Command {
	var adopt bool
	var label string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "add --label NAME [--adopt-current | --timeout 5m]",
		Short: "Save a Claude login as an account",
		Long: `Save a Claude login as an account aimonitor can switch to.

  aimonitor add --adopt-current --label work
      saves the login Claude Code uses right now.

  aimonitor add --label personal [--timeout 5m]
      waits while you run ` + "`claude`" + ` and /login with another account in a second
      terminal, saves that login, then puts the previous login back.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(label) == "" {
				return errors.New("add needs --label NAME")
			}
			if adopt && cmd.Flags().Changed("timeout") {
				return errors.New("--timeout only applies when capturing a new login (without --adopt-current)")
			}
			// Ctrl-C while waiting must put the previous login back, so it
			// cancels the context instead of killing the process.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			_, m, err := c.manager(ctx)
			if err != nil {
				return err
			}
			var a *accounts.Account
			if adopt {
				a, err = m.AdoptCurrent(ctx, label)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.out, "Saved Claude Code's current login (%s, %s) as %q.\n", a.Email, a.OrgName, a.Label)
				return nil
			}
			a, err = m.CaptureNewLogin(ctx, label, timeout, func(ev accounts.CaptureEvent) {
				switch ev.State {
				case accounts.CaptureWaiting:
					fmt.Fprintf(c.errOut, "%s\nWaiting until %s (Ctrl-C to stop)…\n", ev.Message, ev.Deadline.Local().Format("15:04:05"))
				case accounts.CaptureDone:
				default:
					fmt.Fprintln(c.errOut, ev.Message)
				}
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "Saved %s (%s) as %q; Claude Code's previous login is back in place.\n", a.Email, a.OrgName, a.Label)
			return nil
		},
	}
	cmd.Flags().BoolVar(&adopt, "adopt-current", false, "save the login Claude Code uses now")
	cmd.Flags().StringVar(&label, "label", "", "name of the account (required)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the new login")
	return cmd
}

func (c *cli) switchCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "switch NAME",
		Short: "Make Claude Code use another saved account",
		Long: `Make Claude Code use another saved account. Claude Code picks the new login up
by itself; running sessions switch at their next request.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, m, err := c.manager(cmd.Context())
			if err != nil {
				return err
			}
			res, err := m.Switch(cmd.Context(), args[0], accounts.TriggerManual, "aimonitor switch", nil)
			if err != nil {
				return err
			}
			if res.AlreadyActive {
				fmt.Fprintf(c.out, "Claude Code already uses %q (%s).\n", res.To.Label, res.To.Email)
				return nil
			}
			note := ""
			if res.Refreshed {
				note = " (its access token was renewed)"
			}
			fmt.Fprintf(c.out, "Claude Code now uses %q (%s, %s)%s.\n", res.To.Label, res.To.Email, res.To.OrgName, note)
			return nil
		},
	}
}

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
	CooldownUntil *time.Time `json:"cooldown_until,omitempty"`
	LastUsedAt    *time.Time `json:"last_used_at,omitempty"`
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

func (c *cli) list() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List saved accounts (* marks the one Claude Code uses)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, m, err := c.manager(ctx)
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
				a := v.Account
				it := ListItem{
					ID: a.ID, Label: a.Label, Email: a.Email, Organization: a.OrgName, Subscription: a.Subscription,
					Active: v.Active, NeedsRelogin: a.NeedsRelogin,
					ReloginReason: a.ReloginReason, CooldownUntil: a.CooldownUntil, LastUsedAt: a.LastUsedAt,
				}
				if c.hooks.Usage != nil {
					if it.Usage, err = c.hooks.Usage(ctx, s, a); err != nil {
						return err
					}
				}
				doc.Accounts = append(doc.Accounts, it)
			}
			if asJSON {
				return c.printJSON(doc)
			}
			return c.printTable(doc)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (c *cli) printTable(doc ListOutput) error {
	if len(doc.Accounts) == 0 {
		fmt.Fprintln(c.out, "No accounts yet. Save Claude Code's current login with: aimonitor add --adopt-current --label NAME")
	} else {
		tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "\tLABEL\tEMAIL\tORGANIZATION\tPLAN\tSTATUS")
		for _, a := range doc.Accounts {
			mark, status := "", "ok"
			if a.Active {
				mark = "*"
			}
			switch {
			case a.NeedsRelogin:
				status = "needs a new login"
			case a.CooldownUntil != nil && a.CooldownUntil.After(time.Now()):
				status = "cooling down until " + a.CooldownUntil.Local().Format("15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mark, a.Label, a.Email, a.Organization, a.Subscription, status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	switch {
	case !doc.ClaudeCode.LoggedIn:
		fmt.Fprintln(c.out, "Claude Code is not logged in.")
	case !doc.ClaudeCode.Saved:
		fmt.Fprintf(c.out, "Claude Code uses %s, which is not saved; save it with: aimonitor add --adopt-current --label NAME\n", doc.ClaudeCode.Email)
	}
	return nil
}

func (c *cli) rename() *cobra.Command {
	return &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Rename an account",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, m, err := c.manager(cmd.Context())
			if err != nil {
				return err
			}
			a, err := m.Rename(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "Renamed %q to %q.\n", args[0], a.Label)
			return nil
		},
	}
}

func (c *cli) remove() *cobra.Command {
	var purge bool
	cmd := &cobra.Command{
		Use:   "remove NAME [--purge]",
		Short: "Forget an account (Claude Code's current login is never touched)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, m, err := c.manager(cmd.Context())
			if err != nil {
				return err
			}
			a, err := m.Remove(cmd.Context(), args[0], purge)
			if err != nil {
				return err
			}
			if purge {
				fmt.Fprintf(c.out, "Removed %q and deleted its saved login from the keyring.\n", a.Label)
			} else {
				fmt.Fprintf(c.out, "Removed %q (its saved login stays in the keyring as %s; --purge deletes it).\n", a.Label, a.KeyringRef)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "also delete the saved login from the keyring")
	return cmd
}

func (c *cli) log() *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Show the switch history",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, m, err := c.manager(cmd.Context())
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
				return c.printJSON(struct {
					Switches []accounts.LogEntry `json:"switches"`
				}{entries})
			}
			if len(entries) == 0 {
				fmt.Fprintln(c.out, "No switches yet.")
				return nil
			}
			tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
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
	cmd.Flags().IntVar(&limit, "limit", 100, "how many entries")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
