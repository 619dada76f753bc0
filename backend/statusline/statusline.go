// Package statusline is `aimonitor statusline`: the one line Claude Code
// shows under its prompt (the account it uses, that account's limits, a
// pending swap), and the --install/--uninstall of that command in Claude
// Code's settings.json. The line is built from what the poller and the
// token ingester already stored: it sends no request, reads no transcript,
// opens the database read-only (or not at all, when its cache says nothing
// changed: backend/statusline/line, which the launcher's fast path renders
// a cache hit with) and never fails (an error becomes a short line),
// because Claude Code runs it on every update of its prompt.
package statusline

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
)

// Options are the process's inputs; tests substitute them.
type Options struct {
	Stdin   io.Reader
	Environ []string
	GOOS    string
	Now     time.Time
	// NoColor turns colours off (--no-color); NO_COLOR in Environ does too.
	NoColor bool
	// StdinWait bounds the wait for Claude Code's session object.
	StdinWait time.Duration
	// Deadline bounds the whole run.
	Deadline time.Duration
	// Exiting: the process ends after printing (the CLI); see Source.Exiting.
	Exiting bool
}

// Line returns the status line (without a newline). It never fails.
//
// A cache hit renders what the last run kept (line.ReadCache), exactly as
// the launcher's fast path does; a miss loads the configuration, reads the
// database and keeps both in the cache for the next runs.
func Line(ctx context.Context, o Options) string {
	if o.StdinWait <= 0 {
		o.StdinWait = line.StdinWait
	}
	if o.Deadline <= 0 {
		o.Deadline = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Deadline)
	defer cancel()
	input := line.ReadInput(o.Stdin, o.StdinWait)
	env := paths.EnvIn(o.Environ)
	noColor := line.NoColor(env, o.NoColor)
	in, err := line.Locate(env, o.GOOS)
	if err != nil {
		return short(err)
	}
	if e := line.ReadCache(in, o.Now); e != nil {
		return e.Line(o.Now, input, noColor)
	}
	stamps := line.StampsOf(in) // before reading what they stamp
	e := &line.Entry{ConfigEnv: config.EnvVars()}
	e.Style, e.BadConfig = loadStyle(in.ConfigFile, o.Environ)
	if _, err := os.Stat(in.DBFile); errors.Is(err, fs.ErrNotExist) {
		st := e.Style
		st.Color = st.Color && !noColor
		return line.Compose(&line.Snapshot{Now: o.Now, NoDatabase: true}, input, st, e.BadConfig)
	}
	e.Stored, err = read(ctx, Source{DBFile: in.DBFile, Claude: in.Claude, WithTokens: e.Style.WantsTokens(), Exiting: o.Exiting}, o.Now)
	if err != nil {
		return short(err)
	}
	line.WriteCache(in, stamps, e, o.Now)
	return e.Line(o.Now, input, noColor)
}

// loadStyle is how the configuration at file (with environ's overrides)
// says to show the line, and whether it did not load (the style is then
// the defaults').
func loadStyle(file string, environ []string) (line.Style, bool) {
	cfg := config.Default()
	bad := false
	if l, err := config.Load(file, environ); err == nil {
		cfg = l.Config
	} else {
		bad = true
	}
	return line.Style{Format: cfg.StatusLine.Format, Color: cfg.StatusLine.Color, WarnPct: cfg.Notify.WarnPct, CritPct: cfg.Notify.CritPct}, bad
}

// short turns an error into a line Claude Code can show: one line, short,
// never a stack, never a secret.
func short(err error) string {
	msg := logging.Redact(err.Error())
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	const max = 100
	if r := []rune(msg); len(r) > max {
		msg = string(r[:max-1]) + "…"
	}
	return "aimonitor: " + msg
}
