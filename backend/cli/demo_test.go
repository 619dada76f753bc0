package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/service"
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
			for _, a := range ov.Accounts {
				labels = append(labels, a.Label)
				if a.Active {
					active = a.Label
				}
			}
			return nil
		}})
	if code != 0 {
		t.Fatalf("demo exited %d: %s", code, errb.String())
	}
	if len(labels) != 4 || active != demoActive {
		t.Fatalf("accounts %v, active %q", labels, active)
	}
	r := run(t, env, "tokens", "--json", "--by", "project")
	if r.code != 0 || !strings.Contains(r.stdout, "webapp") {
		t.Fatalf("demo transcripts not counted: %+v", r)
	}
	if len(apiBase) < 17 || apiBase[:17] != "http://127.0.0.1:" {
		t.Fatalf("demo is not on the loopback simulator: %q", apiBase)
	}
}
