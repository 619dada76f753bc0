// Package doctor checks an aimonitor installation and says, line by line,
// what is fine, what is odd and what is broken, with the fix in words:
// the config file (parses, private modes), the database (opens, schema
// current, private modes), the keyring (reachable, unlocked, every saved
// login present), Claude Code's login (readable, whose it is, which saved
// account it is), the poller (who holds it, when it last wrote), the
// network overrides in effect, and the start-at-login entry.
//
// It only looks: the database is opened read-only, the keyring is probed
// with a throw-away item, and no setting, account or file of Claude Code's
// is changed.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/service"
)

// Status grades one check.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Areas of the checks.
const (
	AreaConfig     = "config"
	AreaDatabase   = "database"
	AreaKeyring    = "keyring"
	AreaClaudeCode = "claude_code"
	AreaPoller     = "poller"
	AreaNetwork    = "network"
	AreaAutostart  = "autostart"
)

// Check is one line of the report.
type Check struct {
	Area   string `json:"area"`
	Status Status `json:"status"`
	// Detail says what was found.
	Detail string `json:"detail"`
	// Fix says what to do about it (empty when nothing needs doing).
	Fix string `json:"fix,omitempty"`
}

// Report is every check, in the order they ran.
type Report struct {
	Checks []Check `json:"checks"`
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool { return r.Count(Fail) > 0 }

// Count is the number of checks with status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Of returns the checks of one area.
func (r *Report) Of(area string) []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Area == area {
			out = append(out, c)
		}
	}
	return out
}

func (r *Report) add(area string, s Status, detail, fix string) {
	r.Checks = append(r.Checks, Check{Area: area, Status: s, Detail: detail, Fix: fix})
}

// Options configure Run.
type Options struct {
	Environ []string  // os.Environ() when nil
	GOOS    string    // runtime.GOOS when empty
	Stderr  io.Writer // where the service logs; io.Discard when nil
	Now     func() time.Time
}

// Run checks the installation the environment describes.
func Run(ctx context.Context, o Options) *Report {
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Report{}
	p, err := paths.Resolve(lookup(o.Environ), o.GOOS)
	if err != nil {
		r.add(AreaConfig, Fail, err.Error(), "set HOME to your home directory")
		return r
	}
	cfgOK := checkConfig(r, p, o.Environ)
	svc, err := newService(o, cfgOK)
	if err != nil {
		r.add(AreaConfig, Fail, "aimonitor cannot start: "+err.Error(), "fix the problem named above")
		return r
	}
	defer svc.Close()

	d := &run{r: r, o: o, p: p, svc: svc, krAcct: keyring.AccountFor(svc.Getenv("USER"))}
	d.db = checkDatabase(ctx, r, p)
	d.checkKeyring(ctx)
	d.checkClaudeCode(ctx)
	d.checkClaudeVersion(ctx)
	d.checkPoller()
	d.checkNetwork()
	if cfgOK {
		d.checkAutostart()
	} else {
		r.add(AreaAutostart, Warn, "not checked: the configuration does not load", "fix the configuration first")
	}
	return r
}

// newService builds the service the other checks use. When the config
// does not load, it is built on the defaults instead (without the
// AIMONITOR_* overrides, which may be what is broken), so everything else
// can still be checked.
func newService(o Options, cfgOK bool) (*service.Service, error) {
	env := o.Environ
	if !cfgOK {
		env = nil
		for _, kv := range o.Environ {
			k, _, _ := strings.Cut(kv, "=")
			if !strings.HasPrefix(k, config.EnvPrefix) || k == "AIMONITOR_DATA_DIR" {
				env = append(env, kv)
			}
		}
		env = append(env, "AIMONITOR_CONFIG="+filepath.Join(os.TempDir(), "aimonitor-doctor-no-config", "config.yaml"))
	}
	return service.New(service.Options{Environ: env, Stderr: o.Stderr, GOOS: o.GOOS})
}

type run struct {
	r      *Report
	o      Options
	p      paths.Paths
	svc    *service.Service
	db     *dbState
	krAcct string
	// stashes of the saved accounts, read by checkKeyring for
	// checkClaudeCode; cleared at the end of checkClaudeCode.
	stashes map[int64][]byte
}

// checkConfig reports on the config file and its directory; it returns
// whether the configuration (file and environment) loads.
func checkConfig(r *Report, p paths.Paths, environ []string) bool {
	file := p.ConfigFile
	fi, err := os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.add(AreaConfig, OK, fmt.Sprintf("no config file at %s: the defaults are in use", file), "")
	case err != nil:
		r.add(AreaConfig, Fail, fmt.Sprintf("cannot read %s: %v", file, err), "make the file readable by you (chmod 600 "+shellQuote(file)+")")
	default:
		checkMode(r, AreaConfig, "the config file", file, fi.Mode(), false)
	}
	if dir := filepath.Dir(file); filepath.Base(dir) == paths.AppName {
		if fi, err := os.Stat(dir); err == nil {
			checkMode(r, AreaConfig, "the config directory", dir, fi.Mode(), true)
		}
	}
	l, probs := config.LoadLenient(file, environ)
	if len(probs) > 0 {
		// One line per bad setting: its value, where it comes from, the fix.
		for _, pr := range probs {
			what := pr.Source + ": " + pr.Msg
			if pr.Key != "" {
				what = fmt.Sprintf("%s = %s (from %s): %s", pr.Key, pr.Value, pr.Source, pr.Msg)
			}
			r.add(AreaConfig, Fail, what, pr.Fix)
		}
		return false
	}
	var inFile, inEnv int
	for _, f := range l.Fields() {
		switch f.Source {
		case config.FromFile:
			inFile++
		case config.FromEnv:
			inEnv++
		}
	}
	detail := fmt.Sprintf("the configuration loads: %d settings from the file", inFile)
	if inEnv > 0 {
		detail += fmt.Sprintf(", %d from AIMONITOR_* variables", inEnv)
	}
	r.add(AreaConfig, OK, detail, "")
	return true
}

// checkMode adds a check for one of aimonitor's private files or
// directories: nobody but the user may read it.
func checkMode(r *Report, area, what, path string, mode fs.FileMode, dir bool) {
	perm := mode.Perm()
	want, chmod := fs.FileMode(0o600), "chmod 600 "
	if dir {
		want, chmod = 0o700, "chmod 700 "
	}
	switch {
	case perm&0o077 != 0:
		r.add(area, Fail, fmt.Sprintf("%s %s can be read by other users (mode %04o)", what, path, perm),
			chmod+shellQuote(path))
	case perm&want != want:
		r.add(area, Warn, fmt.Sprintf("%s %s is not writable by you (mode %04o), so aimonitor cannot update it", what, path, perm),
			chmod+shellQuote(path))
	default:
		r.add(area, OK, fmt.Sprintf("%s %s is private (mode %04o)", what, path, perm), "")
	}
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func lookup(environ []string) paths.Env {
	return func(key string) (string, bool) {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
				return v, true
			}
		}
		return "", false
	}
}
