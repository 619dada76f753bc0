//go:build unix

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
)

// simMachine is a machine with the simulator and two saved accounts,
// "work" (active) and "home".
func simMachine(t *testing.T) (*machine, *sim.Server) {
	t.Helper()
	s := sim.New(clock.Real{})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	m := newMachine(t, srv.URL)
	for _, label := range []string{"home", "work"} {
		c, err := s.AddAccount(sim.AccountSpec{Email: label + "@example.com", OrganizationName: label + " org"})
		if err != nil {
			t.Fatal(err)
		}
		m.adopt(c, label)
	}
	return m, s
}

// Ctrl-C while add waits for a login: exit 130, one line saying what was
// left in place, no "context canceled".
func TestInterruptExits130(t *testing.T) {
	m, _ := simMachine(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"add", "--label", "third", "--timeout", "1m"}, Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: m.env})
	}()
	for i := 0; i < 3000 && !strings.Contains(errb.String(), "Waiting until"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	code := <-done
	stderr := errb.String()
	last := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
	if code != ExitInterrupted || strings.Contains(stderr, "context canceled") ||
		last != "aimonitor: interrupted: adding the account was cancelled; Claude Code's previous login is in place\n" ||
		strings.Count(stderr, "was cancelled") != 1 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestAccountNameSuggestion(t *testing.T) {
	m, _ := simMachine(t)
	r := run(t, m.env, "switch", "wrk")
	if r.code != ExitFailure || r.stderr != "aimonitor: no such account labelled \"wrk\" (see `aimonitor list`); did you mean \"work\"?\n" {
		t.Fatalf("%+v", r)
	}
	if r := run(t, m.env, "switch", "zzzzzz"); strings.Contains(r.stderr, "did you mean") {
		t.Fatalf("a far name got a suggestion: %+v", r)
	}
}

// remove --purge asks on a terminal; without one it refuses with the hint,
// and removing the active account says what Claude Code keeps.
func TestRemove(t *testing.T) {
	m, _ := simMachine(t)
	r := run(t, m.env, "remove", "home", "--purge")
	if r.code != ExitFailure || r.stderr != "aimonitor: nothing was removed: there is no terminal to ask on; confirm with --yes\n" {
		t.Fatalf("purge without a terminal: %+v", r)
	}
	if _, err := m.stash(mustUUID(t, m, "home")); err != nil {
		t.Fatalf("the stash went: %v", err)
	}
	r = m.mustRun(m.env, "remove", "work", "--json")
	var doc RemoveOutput
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || !doc.WasActive || doc.Purged || doc.KeyringItem == nil || doc.Account.Email != "work@example.com" {
		t.Fatalf("remove --json: %v %s", err, r.stdout)
	}
	r = m.mustRun(m.env, "remove", "home", "--purge", "--yes")
	if !strings.Contains(r.stdout, `Removed "home" and deleted its saved login`) || strings.Contains(r.stdout, "Claude Code still uses") {
		t.Fatalf("%+v", r)
	}
}

func TestRemoveActiveSaysWhatClaudeCodeKeeps(t *testing.T) {
	m, _ := simMachine(t)
	r := m.mustRun(m.env, "remove", "work")
	if !strings.Contains(r.stdout, "Claude Code still uses that login (work@example.com), which aimonitor no longer knows") {
		t.Fatalf("%+v", r)
	}
}

func mustUUID(t *testing.T, m *machine, label string) string {
	t.Helper()
	svc := m.service()
	defer svc.Close()
	mgr, err := svc.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, err := mgr.ByLabel(context.Background(), label)
	if err != nil {
		t.Fatal(err)
	}
	return a.AccountUUID
}

func TestExportToStdoutAndMissingFolder(t *testing.T) {
	env := sandboxEnv(t)
	r := run(t, env, "config", "export", "--out", "-")
	if r.code != 0 || !json.Valid([]byte(r.stdout)) || !strings.Contains(r.stderr, "wrote the backup to stdout") {
		t.Fatalf("%+v", r)
	}
	missing := filepath.Join(t.TempDir(), "no-such-folder", "backup.json")
	r = run(t, env, "config", "export", "--out", missing)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "does not exist") {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Fatal("the folder was created")
	}
}

// Hints go to stderr, results to stdout.
func TestHintsOnStderr(t *testing.T) {
	env := append(sandboxEnv(t), "AIMONITOR_WIDGET_THEME=dark")
	r := run(t, env, "config", "set", "widget.theme", "light")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "widget.theme = ") || strings.Contains(r.stdout, "note") || !strings.HasPrefix(r.stderr, "note: AIMONITOR_WIDGET_THEME") {
		t.Fatalf("%+v", r)
	}
}

func TestVersionFlagAndDebug(t *testing.T) {
	env := sandboxEnv(t)
	r := run(t, env, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "aimonitor ") || r.stdout != run(t, env, "version").stdout {
		t.Fatalf("%+v", r)
	}
	for _, args := range [][]string{{"version", "--debug"}, {"config", "path", "--debug"}} {
		if r := run(t, env, args...); r.code != 0 || !strings.Contains(r.stderr, "level=DEBUG") {
			t.Errorf("%v: nothing on stderr with --debug: %+v", args, r)
		}
	}
}

// Every --json is an object, indented by two spaces.
func TestJSONIsAnIndentedObject(t *testing.T) {
	env := sandboxEnv(t)
	for _, args := range [][]string{{"version", "--json"}, {"config", "path", "--json"}, {"config", "list", "--json"}, {"config", "get", "widget.theme", "--json"}} {
		r := run(t, env, args...)
		var obj map[string]any
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &obj) != nil || !strings.HasPrefix(r.stdout, "{\n  \"") {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestNormalizeJSON(t *testing.T) {
	var a app
	var out bytes.Buffer
	a.deps.Stdout = &out
	err := a.printJSON(map[string]any{"u": 73.12758514999999, "n": 42, "f": 0.875, "t": time.Time{}, "s": "<b>"})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"f\": 0.875,\n  \"n\": 42,\n  \"s\": \"\\u003cb\\u003e\",\n  \"t\": null,\n  \"u\": 73.1276\n}\n"
	if out.String() != want {
		t.Fatalf("%q, want %q", out.String(), want)
	}
}

// Colour only on a terminal, and never with NO_COLOR or --no-color; the
// coloured table keeps its columns aligned.
func TestColour(t *testing.T) {
	runWith := func(env []string, terminal bool, args ...string) string {
		var out, errb bytes.Buffer
		a := &app{deps: Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: env},
			isTerminal: func(io.Writer) bool { return terminal }}
		a.run(context.Background(), args)
		return out.String()
	}
	env := sandboxEnv(t)
	a := &app{deps: Deps{Environ: env}, isTerminal: func(io.Writer) bool { return true }}
	if got := a.paint(red, "FAIL"); got != "\x1b[31mFAIL\x1b[0m" {
		t.Fatalf("paint on a terminal: %q", got)
	}
	a.deps.Environ = append(env, "NO_COLOR=1")
	if got := a.paint(red, "FAIL"); got != "FAIL" {
		t.Fatalf("NO_COLOR: %q", got)
	}
	a.deps.Environ, a.noColor = env, true
	if got := a.paint(red, "FAIL"); got != "FAIL" {
		t.Fatalf("--no-color: %q", got)
	}
	// doctor through the command: colour on a terminal, none with --no-color.
	if out := runWith(env, true, "doctor"); !strings.Contains(out, "\x1b[") {
		t.Errorf("doctor on a terminal has no colour:\n%s", out)
	}
	for _, args := range [][]string{{"doctor", "--no-color"}, {"doctor"}} {
		if out := runWith(env, len(args) == 2, args...); strings.Contains(out, "\x1b[") {
			t.Errorf("%v: colour where there should be none:\n%q", args, out)
		}
	}
}
