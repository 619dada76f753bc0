// Package cli is aimonitor's whole command line: `aimonitor` alone opens the
// widget; subcommands manage accounts, usage, tokens, config and the daemon.
// Each command lives in its own file, cmd_<name>.go, as a method of app that
// returns its *cobra.Command; rootCommand mounts them all. Output goes
// through the helpers in output.go (stdout for results, stderr for hints,
// --json through printJSON). Errors are returned, never printed: Run prints
// them as one line on stderr and exits non-zero.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/service"
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

// Exit codes; exitCodesHelp and docs/cli.md describe them.
const (
	ExitOK             = 0
	ExitFailure        = 1
	ExitUsage          = 2
	ExitNothingFetched = 3
	ExitInterrupted    = 130
	ExitTerminated     = 143
)

// ExitError carries a specific exit code.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

type app struct {
	// lenient: the running command repairs settings (config get/set/list/
	// path, uninstall), so a bad setting must not stop it (see
	// repairService).
	lenient bool
	deps    Deps
	debug   bool
	// untilStopped: the running command is one of runsUntilStopped.
	untilStopped bool
	noColor      bool // --no-color
	// isTerminal replaces the terminal check of stdout (tests).
	isTerminal func(io.Writer) bool
	// started: cobra accepted the command line and the command runs; an
	// error before that is a usage error.
	started bool
	svc     *service.Service
	// ownStdio: Run was left the process's own stdout, so this is the
	// process itself (not a test) and it exits when the command returns.
	ownStdio bool

	// Tests substitute these (nil means the real thing).
	newService func(service.Options) (*service.Service, error)
	// clock is the wall clock of refresh and usage: it decides whether a
	// Retry-After or the spacing still holds.
	clock clock.Clock
	// daemonDeps, when set, adjusts the daemon's Deps before it runs.
	daemonDeps func(*daemon.Deps)

	// args are the command line as given, for the widget (launch.go).
	args []string
	// tokensBuild replaces warm.BuildID in the token ledger's snapshot
	// (tests: a test binary has no build identity).
	tokensBuild string
	// Tests substitute these (nil means os.Executable, syscall.Exec).
	executable     func() (string, error)
	replaceProcess func(path string, argv, env []string) error
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
	build := a.newService
	if build == nil {
		build = service.New
	}
	opts := service.Options{Environ: a.deps.Environ, Stderr: a.deps.Stderr, Debug: a.debug, OneShot: !a.untilStopped, LenientConfig: a.lenient}
	// One-shot commands on a terminal may ask for the file keyring's
	// passphrase; the daemon and the widget never ask.
	if f, ok := a.deps.Stdin.(*os.File); ok && !a.untilStopped && filekeyring.IsTerminal(f) {
		opts.KeyringPrompt = filekeyring.TerminalPrompt(f, a.deps.Stderr)
	}
	svc, err := build(opts)
	if err != nil {
		return nil, err
	}
	a.svc = svc
	return svc, nil
}

// repairService is the service for the commands that must work whatever
// the settings hold: bad values fall back to their defaults, and each is
// named on stderr with where it came from and the command that fixes it.
func (a *app) repairService() (*service.Service, error) {
	a.lenient = true
	svc, err := a.service()
	if err != nil {
		return nil, err
	}
	a.warnConfigProblems(svc)
	return svc, nil
}

func (a *app) warnConfigProblems(svc *service.Service) {
	for _, p := range svc.ConfigProblems() {
		a.eprintf("warning: %s\n", p)
	}
}

// Run executes args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, d Deps) int {
	ownStdio := d.Stdout == nil
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
	return (&app{deps: d, ownStdio: ownStdio}).run(ctx, args)
}

// run is Run once Deps are complete; tests call it on an app with
// substitutes set.
func (a *app) run(ctx context.Context, args []string) int {
	d := a.deps
	a.args = args
	if a.clock == nil {
		a.clock = clock.Real{}
	}
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
		return ExitOK
	}
	code := ExitFailure
	var ee *ExitError
	var ue *usageError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case ctx.Err() != nil:
		// Ctrl-C or SIGTERM (main cancels ctx): one line saying what was
		// left, without Go's "context canceled".
		code = ExitInterrupted
		if c := context.Cause(ctx); c != nil && strings.Contains(c.Error(), "terminated") {
			code = ExitTerminated
		}
		err = interrupted(err)
	case errors.As(err, &ue) || !a.started:
		// Cobra reports flag and argument mistakes before any command
		// starts.
		code = ExitUsage
	}
	// Redact as a last line of defence: an error should never hold a token,
	// but if one ever did, it must not reach the terminal.
	fmt.Fprintln(d.Stderr, "aimonitor: "+logging.Redact(err.Error()))
	return code
}

// interrupted words an error that ended because the user interrupted:
// what the command says it left in place, without "context canceled".
func interrupted(err error) error {
	msg := err.Error()
	for _, suffix := range []string{": " + context.Canceled.Error(), context.Canceled.Error()} {
		msg = strings.TrimSuffix(msg, suffix)
	}
	if msg = strings.TrimSpace(msg); msg == "" {
		return errors.New("interrupted")
	}
	return errors.New("interrupted: " + msg)
}

func (a *app) rootCommand() *cobra.Command {
	var expanded bool
	root := &cobra.Command{
		Use:   "aimonitor",
		Short: "Watch and switch the Claude subscriptions Claude Code uses",
		Long: `aimonitor shows the live usage of every Claude account you use with Claude Code,
switches Claude Code's login silently, and swaps automatically before a limit bites.

Run it without arguments to open the widget.`,
		Version:       buildinfo.Version,
		Args:          noArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runGUI(cmd.Context(), GUIOptions{Expanded: expanded})
		},
		// No subcommand sets its own PersistentPreRun, so this one runs
		// for every command, after cobra has checked flags and arguments
		// and before anything builds the service.
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			a.started = true
			a.untilStopped = runsUntilStopped[cmd.CommandPath()]
			a.debugf("aimonitor %s (%s/%s): %s", buildinfo.Version, runtime.GOOS, runtime.GOARCH, cmd.CommandPath())
		},
	}
	root.SetVersionTemplate(versionLine() + "\n")
	root.SetFlagErrorFunc(flagError)
	root.Long += "\n\n" + exitCodesHelp // in --help and the man page
	root.PersistentFlags().BoolVar(&a.debug, "debug", false, "log debug detail to stderr (tokens are never printed)")
	root.PersistentFlags().BoolVar(&a.noColor, "no-color", false, "no colour, even on a terminal (so does the NO_COLOR variable)")
	root.Flags().BoolVar(&expanded, "expanded", false, "open the full panel instead of the mini widget")
	commands := a.subcommands()
	// A command line that starts with a command's name only ever reaches
	// that command (none has aliases), so only it is built: building every
	// command's flags is a tenth of a short command's start. Anything else
	// (help, completion, flags first, a typo to suggest for) gets the tree.
	whole := true
	if len(a.args) > 0 {
		for _, c := range commands {
			if c.name == a.args[0] {
				root.AddCommand(c.make())
				whole = false
				break
			}
		}
	}
	if whole {
		for _, c := range commands {
			root.AddCommand(c.make())
		}
	}
	a.wireCompletion(root)
	for _, c := range root.Commands() {
		groupRejectsUnknown(c)
	}
	return root
}

// subcommand is one command of the root, by the name cobra knows it by.
type subcommand struct {
	name string
	make func() *cobra.Command
}

// subcommands are the root's commands, one per command file
// (cmd_<name>.go); cobra sorts them in help.
func (a *app) subcommands() []subcommand {
	return []subcommand{
		{"widget", a.widgetCommand}, {"demo", a.demoCommand}, {"sim", a.simCommand}, {"version", a.versionCommand},
		{"update", a.updateCommand}, {"add", a.addCommand}, {"relogin", a.reloginCommand}, {"switch", a.switchCommand},
		{"list", a.listCommand}, {"rename", a.renameCommand}, {"remove", a.removeCommand}, {"log", a.logCommand},
		{"refresh", a.refreshCommand}, {"usage", a.usageCommand}, {"daemon", a.daemonCommand}, {"tokens", a.tokensCommand},
		{"config", a.configCommand}, {"doctor", a.doctorCommand}, {"uninstall", a.uninstallCommand},
		{"keyring", a.keyringCommand}, {"service", a.serviceCommand}, {"statusline", a.statuslineCommand},
	}
}

// exitCodesHelp ends the root's description; docs/cli.md has the same
// table.
const exitCodesHelp = `Exit status:

    0    success
    1    the command failed (the error is the last line on stderr)
    2    wrong command line: unknown command or flag, bad or missing argument
    3    refresh fetched nothing: every account was asked too recently or told to wait
    130  interrupted by Ctrl-C (143: by SIGTERM); widget, daemon and sim exit 0 then
    doctor exits 1 when a check fails; docs/cli.md has the details.`
