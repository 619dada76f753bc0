//go:build unix

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/internal/fakedisplay"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// widgetChildEnv makes this test binary act as the widget binary: a
// complete aimonitor whose window reports what it was opened with.
const widgetChildEnv = "AIMONITOR_CLI_TEST_WIDGET_REPORT"

// widgetReport is what the stand-in widget saw.
type widgetReport struct {
	Args        []string `json:"args"`
	Demo        bool     `json:"demo"`
	Expanded    bool     `json:"expanded"`
	BenchEvents int      `json:"benchEvents"`
	APIBase     string   `json:"apiBase"`
	Accounts    []string `json:"accounts"`
	Active      string   `json:"active"`
}

func TestMain(m *testing.M) {
	if report := os.Getenv(widgetChildEnv); report != "" {
		os.Exit(actAsWidget(report))
	}
	os.Exit(m.Run())
}

func actAsWidget(report string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], Deps{RunGUI: func(ctx context.Context, svc *service.Service, o GUIOptions) error {
		r := widgetReport{Args: os.Args[1:], Demo: o.Demo, Expanded: o.Expanded, BenchEvents: o.BenchEvents,
			APIBase: svc.Config().Endpoints.APIBase}
		m, err := svc.Accounts(ctx)
		if err != nil {
			return err
		}
		ov, err := m.Overview(ctx)
		if err != nil {
			return err
		}
		for _, a := range ov.Accounts {
			r.Accounts = append(r.Accounts, a.Label)
			if a.Active {
				r.Active = a.Label
			}
		}
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return os.WriteFile(report, data, 0o600)
	}})
}

// install lays out dir as an installation: aimonitor (this command line)
// and, unless widget is "", the widget binary beside it (a symlink to
// widget).
func install(t *testing.T, widget string) (dir, self string) {
	t.Helper()
	dir = t.TempDir()
	self = filepath.Join(dir, "aimonitor")
	if err := os.WriteFile(self, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if widget != "" {
		if err := os.Symlink(widget, filepath.Join(dir, WidgetName)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, self
}

type launch struct {
	result
	execs [][]string // path, argv..., then "ENV", env...
}

// runLaunch runs the command line as installed at self, recording instead
// of performing the exec.
func runLaunch(t *testing.T, self string, env []string, args ...string) launch {
	t.Helper()
	var out, errb bytes.Buffer
	var l launch
	a := &app{
		deps:       Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: env},
		executable: func() (string, error) { return self, nil },
		replaceProcess: func(path string, argv, env []string) error {
			l.execs = append(l.execs, append(append(append([]string{path}, argv...), "ENV"), env...))
			return nil
		},
	}
	l.result = result{a.run(context.Background(), args), out.String(), errb.String()}
	return l
}

// The command line becomes the widget binary beside it, with its own
// arguments and environment, for every way of asking for the window.
func TestLaunchPassesArgumentsAndEnvironment(t *testing.T) {
	dir, self := install(t, "/bin/true")
	env := append(sandboxEnv(t), fakedisplay.Wayland(t)...)
	env = append(env, "AIMONITOR_WIDGET_THEME=dark")
	widget := filepath.Join(dir, WidgetName)
	for _, args := range [][]string{{}, {"--expanded"}, {"widget"}, {"--debug", "widget", "--expanded"}} {
		l := runLaunch(t, self, env, args...)
		if l.code != 0 || (l.stderr != "" && !slices.Contains(args, "--debug")) { // --debug logs the command
			t.Fatalf("%q: exit %d, stderr %q", args, l.code, l.stderr)
		}
		want := append(append(append([]string{widget, widget}, args...), "ENV"), env...)
		if len(l.execs) != 1 || !slices.Equal(l.execs[0], want) {
			t.Fatalf("%q: exec %q\nwant %q", args, l.execs, want)
		}
	}
	// No window needed: no exec.
	if l := runLaunch(t, self, env, "version"); l.code != 0 || len(l.execs) != 0 {
		t.Fatalf("version: %+v", l)
	}
}

// Installed through a symlink (~/bin/aimonitor → an unpacked tarball or
// the .app), the widget is looked for beside the real file.
func TestLaunchFollowsSymlinks(t *testing.T) {
	dir, self := install(t, "/bin/true")
	link := filepath.Join(t.TempDir(), "aimonitor")
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	l := runLaunch(t, link, append(sandboxEnv(t), fakedisplay.Wayland(t)...))
	if l.code != 0 || len(l.execs) != 1 || l.execs[0][0] != filepath.Join(dir, WidgetName) {
		t.Fatalf("%+v", l)
	}
}

// Without the widget binary or a display: one line saying so and naming
// what works, a non-zero exit, and nothing started (the demo does not
// even start its simulator).
func TestLaunchRefusesInOneLine(t *testing.T) {
	display := fakedisplay.Wayland(t)
	_, noWidget := install(t, "")
	dir, notExecutable := install(t, "")
	if err := os.WriteFile(filepath.Join(dir, WidgetName), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, withWidget := install(t, "/bin/true")
	cases := []struct {
		name, self string
		env        []string
		args       []string
		want       string
	}{
		{"no widget", noWidget, display, nil, "it is not installed (no aimonitor-widget beside "},
		{"widget not executable", notExecutable, display, []string{"widget"}, "it is not installed"},
		{"no display", withWidget, nil, nil, "neither DISPLAY nor WAYLAND_DISPLAY is set"},
		{"X server gone", withWidget, []string{"DISPLAY=unix:9999"}, []string{"widget", "--expanded"}, "no X server answers on DISPLAY=unix:9999"},
		{"demo, no display", withWidget, []string{"AIMONITOR_SANDBOX=1"}, []string{"demo"}, "neither DISPLAY"},
		{"demo, no widget", noWidget, append([]string{"AIMONITOR_SANDBOX=1"}, display...), []string{"demo"}, "it is not installed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := append(sandboxEnv(t), c.env...)
			l := runLaunch(t, c.self, env, c.args...)
			lines := strings.Split(strings.TrimSuffix(l.stderr, "\n"), "\n")
			if l.code == 0 || len(l.execs) != 0 || len(lines) != 1 || l.stdout != "" {
				t.Fatalf("exit %d, execs %q, stdout %q, stderr %q", l.code, l.execs, l.stdout, l.stderr)
			}
			if !strings.HasPrefix(lines[0], "aimonitor: cannot open the widget: ") || !strings.Contains(lines[0], c.want) ||
				!strings.Contains(lines[0], "`aimonitor daemon`") || !strings.Contains(lines[0], "`aimonitor --help`") {
				t.Fatalf("stderr %q, want one line with %q and what works instead", l.stderr, c.want)
			}
			// Nothing ran: not even the service's data directory exists.
			for _, kv := range env {
				if v, ok := strings.CutPrefix(kv, "XDG_DATA_HOME="); ok {
					if _, err := os.Stat(filepath.Join(v, "aimonitor")); !errors.Is(err, os.ErrNotExist) {
						t.Fatalf("the data directory was created: %v", err)
					}
				}
			}
		})
	}
}

// `aimonitor demo` from the command line: the simulator and the demo
// accounts in this process, then the widget binary started with no
// arguments, on the simulator, knowing it is the demo. The widget here is
// this test binary acting as one (a real child process).
func TestDemoStartsTheWidgetOnTheSimulator(t *testing.T) {
	bus := testbus.NewKeyring(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	_, cli := install(t, self)
	report := filepath.Join(t.TempDir(), "report.json")
	env := append(append(append(sandboxEnv(t), bus.Vars()...), fakedisplay.Wayland(t)...),
		"AIMONITOR_SANDBOX=1", widgetChildEnv+"="+report)
	var out, errb bytes.Buffer
	a := &app{
		deps:       Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: env},
		executable: func() (string, error) { return cli, nil },
	}
	if code := a.run(context.Background(), []string{"demo", "--bench-events", "7"}); code != 0 {
		t.Fatalf("demo exited %d: %s%s", code, out.String(), errb.String())
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("the widget did not run: %v\n%s", err, errb.String())
	}
	var r widgetReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Args) != 0 || !r.Demo || r.Expanded || r.BenchEvents != 7 {
		t.Errorf("widget opened with args %q, options demo=%v expanded=%v bench=%d", r.Args, r.Demo, r.Expanded, r.BenchEvents)
	}
	if !strings.HasPrefix(r.APIBase, "http://127.0.0.1:") || len(r.Accounts) != 4 || r.Active != demoActive {
		t.Errorf("widget not on the seeded simulator: %+v", r)
	}
}

// The demo markers mean nothing outside the sandbox.
func TestDemoOptionsOnlyInTheSandbox(t *testing.T) {
	a := &app{deps: Deps{Environ: []string{demoEnv + "=1", benchEventsEnv + "=5"}}}
	if o := a.demoOptions(GUIOptions{}); o.Demo || o.BenchEvents != 0 {
		t.Fatalf("outside the sandbox: %+v", o)
	}
	a.deps.Environ = append(a.deps.Environ, "AIMONITOR_SANDBOX=1")
	if o := a.demoOptions(GUIOptions{Expanded: true}); !o.Demo || o.BenchEvents != 5 || !o.Expanded {
		t.Fatalf("inside the sandbox: %+v", o)
	}
}
