// Package uninstall removes what aimonitor put on a machine: the
// start-at-login entry, the data directory (database), the config file and
// the logs, aimonitor's statusLine in Claude Code's settings.json (putting
// back a command it replaced) — and, when purging, every saved login in the
// keyring. It never touches Claude Code's own login (~/.claude, ~/.claude.json, the macOS
// Keychain item "Claude Code-credentials"): whatever Claude Code is logged
// in as stays logged in.
//
// NewPlan works out what would go, so the caller can show it and ask
// before Run removes anything.
package uninstall

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gofrs/flock"

	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/statusline"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// Login is a saved login in the keyring.
type Login struct {
	Label string `json:"label"`
	Email string `json:"email"`
	// Item is the keyring item's service name ("aimonitor-<account id>").
	Item string `json:"item"`
}

// Plan is what an uninstall removes.
type Plan struct {
	// Autostart is the start-at-login entry, "" when there is none.
	Autostart string `json:"autostart,omitempty"`
	// Paths are the files and directories removed, with what they hold.
	Paths []Target `json:"paths"`
	// Logins are the saved logins in the keyring (the OS keyring, or the
	// file keyring in the data directory, which is then kept): deleted
	// when Purge, left behind otherwise.
	Logins []Login `json:"logins"`
	Purge  bool    `json:"purge"`
	// StatusLine is Claude Code's settings.json when its statusLine runs
	// aimonitor ("" otherwise): Run takes it out, or puts back the command
	// `statusline --install --force` replaced.
	StatusLine string `json:"status_line,omitempty"`

	statusLine *statusline.Installer
	svc        *service.Service
	protected  []string
}

// Target is one path to remove.
type Target struct {
	Path string `json:"path"`
	What string `json:"what"`
	// All: the whole directory goes (it is aimonitor's own); otherwise
	// only the named file.
	All bool `json:"all"`
}

// ErrRunning is returned while an aimonitor process polls: its database
// would be removed from under it.
var ErrRunning = errors.New("aimonitor is running (the widget or `aimonitor daemon`); quit it first (a daemon run as a service: aimonitor service uninstall), then uninstall")

// NewPlan works out what uninstalling removes. It changes nothing.
func NewPlan(ctx context.Context, svc *service.Service, purge bool) (*Plan, error) {
	p := &Plan{Purge: purge, svc: svc, Logins: []Login{}}
	if running(svc.Paths.DataDir) {
		return nil, ErrRunning
	}
	kr, _ := svc.Keyring()
	if slot, err := svc.ClaudeCode(kr); err == nil {
		p.protected = append(p.protected, slot.ConfigDir(), slot.ConfigPath())
		if c := slot.CredentialsPath(); c != "" {
			p.protected = append(p.protected, c)
		}
	}
	if home := svc.Getenv("HOME"); home != "" {
		p.protected = append(p.protected, home, filepath.Join(home, ".claude"), filepath.Join(home, ".claude.json"))
	}

	if in, err := statusline.NewInstaller(svc.Environ(), runtime.GOOS); err == nil {
		if st, err := in.State(); err == nil && st.Installed {
			p.StatusLine, p.statusLine = st.Settings, in
		}
	}
	if entry, err := svc.Autostart(); err == nil {
		if installed, _, err := entry.Installed(); err == nil && installed {
			p.Autostart, _ = entry.Path()
		}
	}
	pp := svc.Paths
	if _, err := os.Stat(pp.DBFile); err == nil {
		m, err := svc.Accounts(ctx)
		if err != nil {
			return nil, err
		}
		list, err := m.List(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			p.Logins = append(p.Logins, Login{Label: a.Label, Email: a.Email, Item: a.KeyringRef})
		}
	}
	add := func(path, what string, dir bool) error {
		if _, err := os.Lstat(path); err != nil {
			return nil
		}
		t := Target{Path: path, What: what, All: dir && filepath.Base(path) == paths.AppName}
		if err := p.checkSafe(t.Path); err != nil {
			return err
		}
		p.Paths = append(p.Paths, t)
		return nil
	}
	// A data or config location that is not aimonitor's own directory
	// (AIMONITOR_DATA_DIR=~/somewhere) loses only aimonitor's files.
	keyringDir := filepath.Join(pp.DataDir, "keyring")
	_, statErr := os.Stat(filepath.Join(keyringDir, filekeyring.StoreFile))
	keepFileKeyring := !purge && statErr == nil
	switch {
	case filepath.Base(pp.DataDir) == paths.AppName && keepFileKeyring:
		// The file keyring holds the saved logins: like the OS keyring's
		// items, they stay unless purging. Everything else in the data
		// directory goes.
		entries, err := os.ReadDir(pp.DataDir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Name() == "keyring" {
				continue
			}
			if err := add(filepath.Join(pp.DataDir, e.Name()), "aimonitor's data (the database: accounts, usage history, switch log)", false); err != nil {
				return nil, err
			}
			if e.IsDir() {
				p.Paths[len(p.Paths)-1].All = true
			}
		}
	case filepath.Base(pp.DataDir) == paths.AppName:
		if err := add(pp.DataDir, "the database: accounts, usage history, switch log", true); err != nil {
			return nil, err
		}
	default:
		for _, f := range []string{pp.DBFile, pp.DBFile + "-wal", pp.DBFile + "-shm",
			filepath.Join(pp.DataDir, "accounts.lock"), filepath.Join(pp.DataDir, daemon.LockName),
			filepath.Join(pp.DataDir, warm.SnapshotName), filepath.Join(pp.DataDir, line.CacheName)} {
			if err := add(f, "aimonitor's data file", false); err != nil {
				return nil, err
			}
		}
	}
	if dir := filepath.Dir(pp.ConfigFile); filepath.Base(dir) == paths.AppName {
		if err := add(dir, "the settings", true); err != nil {
			return nil, err
		}
	} else if err := add(pp.ConfigFile, "the settings", false); err != nil {
		return nil, err
	}
	if filepath.Base(pp.LogDir) == paths.AppName {
		if err := add(pp.LogDir, "the logs", true); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkSafe refuses a path that is, or contains, Claude Code's login or
// the home directory.
func (p *Plan) checkSafe(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	for _, prot := range p.protected {
		pa, err := filepath.Abs(prot)
		if err != nil {
			continue
		}
		if pa == abs || strings.HasPrefix(pa, abs+string(filepath.Separator)) || abs == string(filepath.Separator) {
			return fmt.Errorf("refusing to remove %s: it holds %s, which aimonitor must never touch; check AIMONITOR_DATA_DIR and AIMONITOR_CONFIG", abs, pa)
		}
	}
	return nil
}

// Result is what Run did.
type Result struct {
	Autostart string `json:"autostart,omitempty"`
	// StatusLine is the settings.json aimonitor's statusLine left;
	// StatusLineRestored the command put back there, if any.
	StatusLine         string   `json:"status_line,omitempty"`
	StatusLineRestored string   `json:"status_line_restored,omitempty"`
	Removed            []string `json:"removed"`
	// Purged are the labels whose saved login was deleted.
	Purged []string `json:"purged"`
	// LeftInKeyring are the saved logins kept (no purge): the keyring
	// items named "aimonitor: Claude login of …".
	LeftInKeyring []Login `json:"left_in_keyring"`
}

// Run removes what the plan lists. With Purge, the saved logins go first:
// if the keyring refuses, nothing else has been removed and the command
// can be run again. The service's database is closed before its files go.
func (p *Plan) Run(ctx context.Context) (*Result, error) {
	res := &Result{Removed: []string{}, Purged: []string{}, LeftInKeyring: []Login{}}
	if running(p.svc.Paths.DataDir) {
		return res, ErrRunning
	}
	if p.Purge && len(p.Logins) > 0 {
		m, err := p.svc.Accounts(ctx)
		if err != nil {
			return res, err
		}
		for _, l := range p.Logins {
			if !strings.HasPrefix(l.Item, "aimonitor-") {
				return res, fmt.Errorf("refusing to delete the keyring item %q: it is not one of aimonitor's", l.Item)
			}
			if _, err := m.Remove(ctx, l.Label, true); err != nil {
				return res, fmt.Errorf("deleting the saved login of %q (nothing else was removed): %w", l.Label, err)
			}
			res.Purged = append(res.Purged, l.Label)
		}
	} else {
		res.LeftInKeyring = append(res.LeftInKeyring, p.Logins...)
	}
	if p.Autostart != "" {
		entry, err := p.svc.Autostart()
		if err == nil {
			err = entry.Disable()
		}
		if err != nil {
			return res, fmt.Errorf("removing the start-at-login entry: %w", err)
		}
		res.Autostart = p.Autostart
	}
	// Before the config goes: it keeps the statusLine to put back.
	if p.statusLine != nil {
		st, err := p.statusLine.Uninstall()
		if err != nil {
			return res, fmt.Errorf("taking aimonitor out of Claude Code's status line: %w", err)
		}
		res.StatusLine, res.StatusLineRestored = st.Settings, st.Command
	}
	if err := p.svc.Close(); err != nil {
		return res, fmt.Errorf("closing the database: %w", err)
	}
	for _, t := range p.Paths {
		if err := p.checkSafe(t.Path); err != nil {
			return res, err
		}
		var err error
		if t.All {
			err = os.RemoveAll(t.Path)
		} else {
			err = os.Remove(t.Path)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("removing %s: %w", t.Path, err)
		}
		res.Removed = append(res.Removed, t.Path)
	}
	return res, nil
}

// running reports whether a process holds the poller lock.
func running(dataDir string) bool {
	lockFile := filepath.Join(dataDir, daemon.LockName)
	if _, err := os.Stat(lockFile); err != nil {
		return false
	}
	fl := flock.New(lockFile)
	ok, err := fl.TryLock()
	if err == nil && ok {
		_ = fl.Unlock()
		return false
	}
	return err == nil
}
