// Package cli is aimonitor's command line: `aimonitor` alone opens the
// widget; subcommands manage accounts, config and the daemon. Every listing
// command takes --json. Errors are one line on stderr and a non-zero exit.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/accounts/accountscli"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/tokens/tokenscli"
	"github.com/aimonitor/aimonitor/backend/usage/usagecli"
)

// GUIOptions tell the GUI runner how to open.
type GUIOptions struct {
	Expanded bool // open as the panel instead of the mini widget
	Demo     bool // running inside the demo sandbox
	// BenchEvents (demo only) makes the window emit that many synthetic
	// status events, for the memory benchmark in bench/widget.
	BenchEvents int
}

// GUIRunner opens the desktop window and blocks until it closes. main
// provides it, which keeps Wails out of this package.
type GUIRunner func(ctx context.Context, svc *service.Service, opts GUIOptions) error

// Deps are the process's I/O and the GUI hook; tests substitute them.
type Deps struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string
	RunGUI  GUIRunner
}

// ExitError carries a specific exit code.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

type app struct {
	deps  Deps
	debug bool
	// untilStopped: the running command is one of runsUntilStopped.
	untilStopped bool
	svc          *service.Service
}

// runsUntilStopped are the commands that keep running (the window, the
// daemon). Their INFO records are the account of what they did, so stderr
// gets log.level. Every other command is one-shot: it prints its result or
// one error line, and its INFO records go only to the log file (log.file),
// or to stderr with --debug.
var runsUntilStopped = map[string]bool{
	"aimonitor": true, "aimonitor widget": true, "aimonitor demo": true, "aimonitor daemon": true,
}

// service builds the per-process service on first use.
func (a *app) service() (*service.Service, error) {
	if a.svc != nil {
		return a.svc, nil
	}
	svc, err := service.New(service.Options{Environ: a.deps.Environ, Stderr: a.deps.Stderr, Debug: a.debug, OneShot: !a.untilStopped})
	if err != nil {
		return nil, err
	}
	a.svc = svc
	return svc, nil
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.deps.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.deps.Stdout, format, args...)
}

// Run executes args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, d Deps) int {
	if d.Stdin == nil {
		d.Stdin = os.Stdin
	}
	if d.Stdout == nil {
		d.Stdout = os.Stdout
	}
	if d.Stderr == nil {
		d.Stderr = os.Stderr
	}
	if d.Environ == nil {
		d.Environ = os.Environ()
	}
	a := &app{deps: d}
	defer func() {
		if a.svc != nil {
			a.svc.Close()
		}
	}()
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(d.Stdin)
	root.SetOut(d.Stdout)
	root.SetErr(d.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	// Redact as a last line of defence: an error should never hold a token,
	// but if one ever did, it must not reach the terminal.
	fmt.Fprintln(d.Stderr, "aimonitor: "+logging.Redact(err.Error()))
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}

func (a *app) rootCommand() *cobra.Command {
	var expanded bool
	root := &cobra.Command{
		Use:   "aimonitor",
		Short: "Watch and switch the Claude subscriptions Claude Code uses",
		Long: `aimonitor shows the live usage of every Claude account you use with Claude Code,
switches Claude Code's login silently, and swaps automatically before a limit bites.

Run it without arguments to open the widget.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runGUI(cmd.Context(), GUIOptions{Expanded: expanded})
		},
		// No subcommand sets its own PersistentPreRun, so this one runs
		// for every command, before anything builds the service.
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			a.untilStopped = runsUntilStopped[cmd.CommandPath()]
		},
	}
	root.PersistentFlags().BoolVar(&a.debug, "debug", false, "log debug detail to stderr (tokens are never printed)")
	root.Flags().BoolVar(&expanded, "expanded", false, "open the full panel instead of the mini widget")
	root.AddCommand(a.versionCommand(), a.configCommand(), a.widgetCommand(), a.demoCommand(), a.simCommand(), a.updateCommand())
	root.AddCommand(accountscli.CommandsWith(a.service, a.deps.Stdout, a.deps.Stderr, a.deps.Stdin,
		accountscli.Hooks{Usage: usagecli.ListUsage})...)
	root.AddCommand(usagecli.Commands(a.service, a.deps.Stdout)...)
	root.AddCommand(tokenscli.Command(a.service, a.deps.Stdout))
	a.addMaintenanceCommands(root) // config export/import, doctor, uninstall (backup.go, doctor.go, uninstall.go)
	return root
}

func (a *app) runGUI(ctx context.Context, opts GUIOptions) error {
	if a.deps.RunGUI == nil {
		return errors.New("this build has no desktop window; use the subcommands (see aimonitor --help)")
	}
	svc, err := a.service()
	if err != nil {
		return err
	}
	return a.deps.RunGUI(ctx, svc, opts)
}

func (a *app) widgetCommand() *cobra.Command {
	var expanded bool
	cmd := &cobra.Command{
		Use:   "widget",
		Short: "Open the desktop widget (the same as running aimonitor alone)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runGUI(cmd.Context(), GUIOptions{Expanded: expanded})
		},
	}
	cmd.Flags().BoolVar(&expanded, "expanded", false, "open the full panel instead of the mini widget")
	return cmd
}

func lookup(environ []string, key string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if len(environ[i]) > len(key) && environ[i][:len(key)] == key && environ[i][len(key)] == '=' {
			return environ[i][len(key)+1:]
		}
	}
	return ""
}
