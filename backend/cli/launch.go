package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aimonitor/aimonitor/backend/display"
	"github.com/aimonitor/aimonitor/backend/programs"
)

// The command line and the widget are two binaries (cmd/aimonitor and the
// Wails app in the module's root). The command line links no window
// toolkit; when asked for the window (no command, `widget`, `demo`) it
// starts the widget binary installed in its own directory — build/bin, the
// .deb's /usr/bin, the AppImage's usr/bin, the .app's Contents/MacOS — with
// the same arguments and environment. The widget binary is a complete
// aimonitor whose Deps.RunGUI opens the window; it never comes here.

// WidgetName is the file name of the widget binary beside aimonitor.
const WidgetName = programs.WidgetName

// The environment `aimonitor demo` gives the widget it starts: the widget
// shows its demo tag, and (for bench/widget) emits synthetic events. Only
// honoured inside the sandbox, as the demo itself is.
const (
	demoEnv        = "AIMONITOR_DEMO"
	benchEventsEnv = "AIMONITOR_DEMO_BENCH_EVENTS"
)

// WidgetAlternatives names what works without the widget, for the
// one-line refusals here and in the widget binary.
const WidgetAlternatives = "the command line works without it (see `aimonitor --help`), and `aimonitor daemon` polls and auto-swaps in the background"

// findWidget returns the widget binary to start, or an error saying why
// there is none or no display to show it on. It starts nothing.
func (a *app) findWidget() (string, error) {
	executable := a.executable
	if executable == nil {
		executable = os.Executable
	}
	self, err := executable()
	if err != nil {
		return "", fmt.Errorf("cannot open the widget: cannot tell where aimonitor is installed (%v); %s", err, WidgetAlternatives)
	}
	// A symlink on PATH (~/bin/aimonitor → the .app or an unpacked
	// tarball) still finds the widget next to the real file.
	if real, err := filepath.EvalSymlinks(self); err == nil {
		self = real
	}
	path, ok := programs.Beside(self, WidgetName)
	if !ok {
		return "", fmt.Errorf("cannot open the widget: it is not installed (no %s beside %s); %s", filepath.Base(path), self, WidgetAlternatives)
	}
	check := display.Checker{Getenv: func(k string) string { return lookup(a.deps.Environ, k) }}
	if err := check.Check(); err != nil {
		return "", fmt.Errorf("cannot open the widget: %v; %s", err, WidgetAlternatives)
	}
	return path, nil
}

// launchWidget replaces this process with the widget binary, passing the
// command line's own arguments and environment: `aimonitor --expanded`
// becomes `aimonitor-widget --expanded`. The process (and its PID) stays,
// so signals and a desktop's launch feedback reach the window.
func (a *app) launchWidget() error {
	path, err := a.findWidget()
	if err != nil {
		return err
	}
	replace := a.replaceProcess
	if replace == nil {
		replace = replaceProcess
	}
	argv := append([]string{path}, a.args...)
	if err := replace(path, argv, a.deps.Environ); err != nil {
		return fmt.Errorf("starting the widget %s: %w", path, err)
	}
	return nil
}

// runDemoWidget starts the widget for `aimonitor demo` and waits for it:
// this process keeps serving the simulator the widget talks to. The widget
// starts as plain `aimonitor` would start it (no arguments), with the
// simulator's addresses and the demo's settings in its environment.
func (a *app) runDemoWidget(ctx context.Context, benchEvents int) error {
	path, err := a.findWidget()
	if err != nil {
		return err
	}
	// The widget opens the same database; this process is done with it.
	if a.svc != nil {
		a.svc.Close()
		a.svc = nil
	}
	env := append(append([]string{}, a.deps.Environ...), demoEnv+"=1")
	if benchEvents > 0 {
		env = append(env, benchEventsEnv+"="+strconv.Itoa(benchEvents))
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.deps.Stdin, a.deps.Stdout, a.deps.Stderr
	// Stopping the demo asks the window to close, as a desktop would.
	cmd.Cancel = func() error { return cmd.Process.Signal(stopSignal) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &ExitError{Code: max(exit.ExitCode(), 1), Err: fmt.Errorf("the widget exited with status %d", exit.ExitCode())}
	}
	if err != nil {
		return fmt.Errorf("starting the widget %s: %w", path, err)
	}
	return nil
}

// demoOptions completes opts for a widget that `aimonitor demo` started.
func (a *app) demoOptions(opts GUIOptions) GUIOptions {
	if lookup(a.deps.Environ, "AIMONITOR_SANDBOX") != "1" || lookup(a.deps.Environ, demoEnv) != "1" {
		return opts
	}
	opts.Demo = true
	if n, err := strconv.Atoi(lookup(a.deps.Environ, benchEventsEnv)); err == nil && n > 0 {
		opts.BenchEvents = n
	}
	return opts
}
