package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// The demo seeds the sandbox with the simulator's accounts through the real
// keyring and Claude Code files, and opens the window on the simulator.
func TestDemoSeedsAccountsInTheSandbox(t *testing.T) {
	bus := testbus.NewKeyring(t)
	env := append(append(sandboxEnv(t), bus.Vars()...), "AIMONITOR_SANDBOX=1")
	var labels []string
	active := ""
	var apiBase string
	histories := map[string][]usage.Sample{}
	var errb bytes.Buffer
	code := Run(context.Background(), []string{"demo"}, Deps{Stdout: &bytes.Buffer{}, Stderr: &errb, Environ: env,
		RunGUI: func(ctx context.Context, svc *service.Service, o GUIOptions) error {
			apiBase = svc.Config().Endpoints.APIBase
			m, err := svc.Accounts(ctx)
			if err != nil {
				return err
			}
			ov, err := m.Overview(ctx)
			if err != nil {
				return err
			}
			db, err := svc.Store(ctx)
			if err != nil {
				return err
			}
			h := usage.NewHistory(db)
			for _, a := range ov.Accounts {
				labels = append(labels, a.Label)
				if a.Active {
					active = a.Label
				}
				hist, err := h.Since(ctx, a.ID, time.Now().Add(-8*24*time.Hour))
				if err != nil {
					return err
				}
				histories[a.Label] = hist
			}
			return nil
		}})
	if code != 0 {
		t.Fatalf("demo exited %d: %s", code, errb.String())
	}
	if len(labels) != 4 || active != demoActive {
		t.Fatalf("accounts %v, active %q", labels, active)
	}
	// A week of history, so the panel's charts have something to show: the
	// 5-hour window climbs and resets, the series ends near the live value.
	for label, hist := range histories {
		if len(hist) < 150 {
			t.Fatalf("%s: %d samples of history, want a week of them", label, len(hist))
		}
		resets, last := 0, -1.0
		for _, s := range hist {
			five := s.Window(usage.FiveHour)
			if five == nil || five.Utilization < 0 || five.Utilization > 100 {
				t.Fatalf("%s: a sample without a sane 5-hour window: %+v", label, s.Usage)
			}
			if five.Utilization < last {
				resets++
			}
			last = five.Utilization
		}
		if resets < 3 {
			t.Errorf("%s: the 5-hour window reset %d times in a week", label, resets)
		}
	}
	r := run(t, env, "tokens", "--json", "--by", "project")
	if r.code != 0 || !strings.Contains(r.stdout, "webapp") {
		t.Fatalf("demo transcripts not counted: %+v", r)
	}
	if len(apiBase) < 17 || apiBase[:17] != "http://127.0.0.1:" {
		t.Fatalf("demo is not on the loopback simulator: %q", apiBase)
	}
}
