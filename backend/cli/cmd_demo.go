package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// demoActive is the demo account made active at start: its 5-hour window is
// about to cross the auto-swap threshold, so the demo shows a swap soon.
const demoActive = "grace"

// demoCommand opens the app on the embedded simulator with demo accounts.
// It refuses to run outside the throw-away sandbox that `make demo` makes,
// so it can never touch a real ~/.claude or keyring.
func (a *app) demoCommand() *cobra.Command {
	var extra, benchEvents int
	cmd := &cobra.Command{
		Use:    "demo",
		Short:  "Open the app on the built-in simulator (run it through `make demo`)",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lookup(a.deps.Environ, "AIMONITOR_SANDBOX") != "1" {
				return errors.New("the demo only runs inside its throw-away sandbox; start it with `make demo`")
			}
			if a.deps.RunGUI == nil { // the command line: the window must be there before the simulator starts
				if _, err := a.findWidget(); err != nil {
					return err
				}
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			s, creds := sim.Demo(clock.Real{})
			for i := 0; i < extra; i++ {
				c, err := s.AddAccount(sim.AccountSpec{
					Email: fmt.Sprintf("extra%d@example.com", i+1), DisplayName: fmt.Sprintf("Extra %d", i+1),
					OrganizationName: "Extra Org", SubscriptionType: "pro",
				})
				if err != nil {
					return err
				}
				creds = append(creds, c)
			}
			ready := make(chan string, 1)
			serveErr := make(chan error, 1)
			go func() { serveErr <- sim.ListenAndServe(ctx, "127.0.0.1:0", s, func(base string) { ready <- base }) }()
			var base string
			select {
			case base = <-ready:
			case err := <-serveErr:
				return err
			}
			// Everything after this point talks to the simulator only.
			a.deps.Environ = append(append([]string{}, a.deps.Environ...), SimEnv(base)...)
			if err := a.seedDemo(ctx, creds, s.Accounts()); err != nil {
				return fmt.Errorf("setting up the demo accounts: %w", err)
			}
			if a.deps.RunGUI == nil {
				return a.runDemoWidget(ctx, benchEvents) // launch.go
			}
			return a.runGUI(ctx, GUIOptions{Demo: true, BenchEvents: benchEvents})
		},
	}
	cmd.Flags().IntVar(&extra, "extra", 0, "add this many more simulated accounts")
	cmd.Flags().IntVar(&benchEvents, "bench-events", 0, "for bench/widget: emit this many synthetic status events after start")
	cmd.Flags().MarkHidden("bench-events")
	return cmd
}

// seedDemo logs Claude Code (in the sandbox HOME) into each demo account in
// turn and adopts it, the way a user would, then makes demoActive live.
func (a *app) seedDemo(ctx context.Context, creds []sim.Credentials, states []sim.AccountState) error {
	svc, err := a.service()
	if err != nil {
		return err
	}
	m, err := svc.Accounts(ctx)
	if err != nil {
		return err
	}
	kr, err := svc.Keyring()
	if err != nil {
		return err
	}
	slot, err := svc.ClaudeCode(kr)
	if err != nil {
		return err
	}
	for _, c := range creds {
		if err := paths.WriteFileAtomic(slot.CredentialsPath(), c.ClaudeCodeJSON()); err != nil {
			return err
		}
		if _, err := slot.SetIdentityRaw(ctx, c.OAuthAccountJSON()); err != nil {
			return err
		}
		label := strings.ToLower(strings.SplitN(c.Identity.Email, "@", 2)[0])
		if _, err := m.AdoptCurrent(ctx, label); err != nil {
			return err
		}
	}
	if _, err := m.Switch(ctx, demoActive, accounts.TriggerManual, "demo start", nil); err != nil {
		return err
	}
	all, err := m.List(ctx)
	if err != nil {
		return err
	}
	ids := map[string]int64{}
	for _, acc := range all {
		ids[acc.Email] = acc.ID
	}
	db, err := svc.Store(ctx)
	if err != nil {
		return err
	}
	if err := seedDemoHistory(ctx, usage.NewHistory(db), ids, states, time.Now()); err != nil {
		return fmt.Errorf("seeding the usage history: %w", err)
	}
	return seedDemoTranscripts(svc.Getenv("HOME"), time.Now())
}
