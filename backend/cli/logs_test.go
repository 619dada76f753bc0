//go:build unix

package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/internal/loopback"
)

// A failing one-shot command prints its result and one error line, not
// the INFO records of what went wrong on the way (they go to the log file,
// and to stderr with --debug).
func TestFailingRefreshPrintsOnlyItsError(t *testing.T) {
	s := sim.New(clock.Real{})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	m := newMachine(t, srv.URL)
	for _, label := range []string{"work", "home"} {
		c, err := s.AddAccount(sim.AccountSpec{Email: label + "@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		m.adopt(c, label)
	}
	m.mustRun(m.env, "config", "set", "log.file", "true")
	closed := loopback.ClosedAddr(t)
	env := m.with("AIMONITOR_API_BASE=http://" + closed)

	r := run(t, env, "refresh", "work")
	if r.code != 1 || r.stderr != "aimonitor: the account could not be refreshed\n" {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if want := "work: failed: anthropic usage: could not reach " + closed + ": the connection was refused — check your network or firewall"; !strings.HasPrefix(r.stdout, want) {
		t.Fatalf("stdout %q, want it to start %q", r.stdout, want)
	}
	logFile, err := os.ReadFile(filepath.Join(m.get("XDG_STATE_HOME"), "aimonitor", "aimonitor.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logFile), `level=INFO msg="usage: request failed" account=work`) {
		t.Fatalf("the log file lacks the INFO record:\n%s", logFile)
	}

	r = run(t, env, "refresh", "home", "--debug")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || len(lines) < 2 || !strings.Contains(r.stderr, `level=INFO msg="usage: request failed" account=home`) ||
		lines[len(lines)-1] != "aimonitor: the account could not be refreshed" {
		t.Fatalf("--debug: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// The window and the daemon keep their INFO records on stderr: that is
// their account of what they did.
func TestWindowLogsInfoOnStderr(t *testing.T) {
	var errb bytes.Buffer
	code := Run(context.Background(), []string{"widget"}, Deps{Stdout: &bytes.Buffer{}, Stderr: &errb, Environ: sandboxEnv(t),
		RunGUI: func(_ context.Context, svc *service.Service, _ GUIOptions) error {
			svc.Log.Info("window opened")
			return nil
		}})
	if code != 0 || !strings.Contains(errb.String(), `level=INFO msg="window opened"`) {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	// Every name in the list is a real command (a rename would silently
	// make it one-shot), and the daemon is among them.
	root := (&app{deps: Deps{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}}).rootCommand()
	for path := range runsUntilStopped {
		cmd, _, err := root.Find(strings.Fields(path)[1:])
		if err != nil || cmd.CommandPath() != path {
			t.Errorf("%q is not a command (found %v, %v)", path, cmd, err)
		}
	}
	if !runsUntilStopped["aimonitor daemon"] {
		t.Error("the daemon is not listed")
	}
}
