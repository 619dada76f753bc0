// Package statusline is `aimonitor statusline`: the one line Claude Code
// shows under its prompt (the account it uses, that account's limits, a
// pending swap), and the --install/--uninstall of that command in Claude
// Code's settings.json. The line is built from what the poller and the
// token ingester already stored: it sends no request, reads no transcript,
// opens the database read-only (or not at all, when its cache says nothing
// changed: cache.go) and never fails (an error becomes a short line),
// because Claude Code runs it on every update of its prompt.
package statusline

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/paths"
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
func Line(ctx context.Context, o Options) string {
	if o.StdinWait <= 0 {
		o.StdinWait = 500 * time.Millisecond
	}
	if o.Deadline <= 0 {
		o.Deadline = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Deadline)
	defer cancel()
	sess := ReadSession(o.Stdin, o.StdinWait)
	env := lookupIn(o.Environ)
	p, err := paths.Resolve(env, o.GOOS)
	if err != nil {
		return short(err)
	}
	st := Style{Format: config.DefaultStatusLineFormat, Color: true, WarnPct: 80, CritPct: 95}
	badConfig := false
	if cfg, err := config.Load(p.ConfigFile, o.Environ); err == nil {
		st = Style{Format: cfg.StatusLine.Format, Color: cfg.StatusLine.Color, WarnPct: cfg.Notify.WarnPct, CritPct: cfg.Notify.CritPct}
	} else {
		badConfig = true
	}
	if v, ok := env("NO_COLOR"); (ok && v != "") || o.NoColor {
		st.Color = false
	}
	claude, _ := claudecode.EnvFrom(env, o.GOOS)
	snap, err := Load(ctx, Source{DBFile: p.DBFile, Claude: claude, WithTokens: wantsTokens(st.Format), Exiting: o.Exiting,
		CacheFile: filepath.Join(filepath.Dir(p.DBFile), CacheName)}, o.Now)
	if err != nil {
		return short(err)
	}
	line := Render(snap, sess, st)
	if badConfig {
		line += " (config.yaml has an error: aimonitor config list)"
	}
	return line
}

func wantsTokens(format string) bool {
	return strings.Contains(format, "{tokens}") || strings.Contains(format, "{cost}")
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

func lookupIn(environ []string) paths.Env {
	return func(key string) (string, bool) {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
				return v, true
			}
		}
		return "", false
	}
}
