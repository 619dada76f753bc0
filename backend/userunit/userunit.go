// Package userunit installs aimonitor's daemon as a per-user service that
// starts without a desktop: a systemd user unit on Linux
// (~/.config/systemd/user/aimonitor.service), a LaunchAgent on macOS. The
// unit runs `aimonitor daemon`, restarts it when it fails, and names in its
// environment the keyring backend and where the file keyring's passphrase
// comes from. It complements backend/autostart, which starts the widget or
// the daemon with a desktop login, and shares its program lookup and plist
// rendering.
package userunit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aimonitor/aimonitor/backend/autostart"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/programs"
)

// Names of the unit.
const (
	SystemdName  = "aimonitor.service"
	LaunchdLabel = "dev.aimonitor.daemon"
)

// Runner runs a command (systemctl, loginctl, launchctl) and returns its
// combined output. Tests substitute it.
type Runner func(ctx context.Context, name string, args ...string) (string, error)

// ExecRunner runs the real command, without aimonitor's passphrases in its
// environment.
func ExecRunner(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = programs.ForeignEnv(os.Environ())
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// Unit is the daemon's service definition for one user.
type Unit struct {
	GOOS       string
	Home       string
	ConfigHome string // $XDG_CONFIG_HOME, or "" for ~/.config
	Exe        string // absolute path of aimonitor
	// Env are KEY=VALUE pairs the daemon gets (keyring backend, passphrase
	// file, non-default XDG directories). Never a secret.
	Env  []string
	User string // for the loginctl hint
	UID  int    // for launchctl's gui/<uid> domain
	Run  Runner
}

// ForEnv locates aimonitor and the unit for the environment (see
// autostart.ForEnv: an AppImage's own file, symlinks resolved).
func ForEnv(goos string, getenv func(string) string, executable func() (string, error)) (Unit, error) {
	e, err := autostart.ForEnv(goos, getenv, executable)
	if err != nil {
		return Unit{}, fmt.Errorf("service: %w", err)
	}
	return Unit{GOOS: goos, Home: e.Home, ConfigHome: e.ConfigHome, Exe: e.Exe, User: getenv("USER"), UID: os.Getuid(), Run: ExecRunner}, nil
}

// Path is the file Install writes.
func (u Unit) Path() (string, error) {
	switch u.GOOS {
	case "darwin":
		return filepath.Join(u.Home, "Library", "LaunchAgents", LaunchdLabel+".plist"), nil
	case "linux":
		base := u.ConfigHome
		if !filepath.IsAbs(base) {
			base = filepath.Join(u.Home, ".config")
		}
		return filepath.Join(base, "systemd", "user", SystemdName), nil
	}
	return "", fmt.Errorf("service: a user service is supported on Linux (systemd) and macOS (launchd), not %s", u.GOOS)
}

// Render is the unit file's content.
func (u Unit) Render() ([]byte, error) {
	if !filepath.IsAbs(u.Exe) {
		return nil, fmt.Errorf("service: program path %q is not absolute", u.Exe)
	}
	for _, kv := range u.Env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsAny(kv, "\n\r\x00") {
			return nil, fmt.Errorf("service: bad environment entry %q", k)
		}
	}
	if u.GOOS == "darwin" {
		return autostart.LaunchAgent{Label: LaunchdLabel, Args: []string{u.Exe, "daemon"}, Env: u.Env, KeepAlive: true}.Plist(), nil
	}
	var b strings.Builder
	b.WriteString("# Written by `aimonitor service install`; `aimonitor service uninstall` removes it.\n")
	b.WriteString("[Unit]\n")
	b.WriteString("Description=aimonitor daemon: Claude usage checks and automatic account swaps\n")
	b.WriteString("\n[Service]\n")
	b.WriteString("Type=exec\n")
	fmt.Fprintf(&b, "ExecStart=%s daemon\n", quoteExecArg(u.Exe))
	for _, kv := range u.Env {
		fmt.Fprintf(&b, "Environment=%s\n", quoteValue(kv))
	}
	b.WriteString("Restart=on-failure\n")
	b.WriteString("RestartSec=30\n")
	b.WriteString("UMask=0077\n")
	b.WriteString("NoNewPrivileges=yes\n")
	b.WriteString("\n[Install]\n")
	b.WriteString("WantedBy=default.target\n")
	return []byte(b.String()), nil
}

// quoteExecArg quotes the program of ExecStart= (systemd.service(5),
// "Command lines"): specifiers (%) escaped, double quotes around anything
// with spaces, quotes or backslashes. systemd expands $VARIABLES only in the
// arguments, not in the program path (systemd-analyze verify confirms), so
// a $ stays as it is.
func quoteExecArg(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}

// quoteValue quotes an Environment= assignment (specifiers escaped; no $
// expansion there).
func quoteValue(kv string) string {
	kv = strings.ReplaceAll(kv, "%", "%%")
	if !strings.ContainsAny(kv, " \t\"'\\") {
		return kv
	}
	kv = strings.ReplaceAll(kv, `\`, `\\`)
	kv = strings.ReplaceAll(kv, `"`, `\"`)
	return `"` + kv + `"`
}

// Report says what Install did and what is left to the user.
type Report struct {
	Path    string
	Enabled bool     // the service manager took it and started it
	Notes   []string // what did not work, and hints (each a sentence)
}

// Install writes (or replaces) the unit, then enables and starts it with
// the service manager when that can be reached.
func (u Unit) Install(ctx context.Context) (Report, error) {
	var r Report
	p, err := u.Path()
	if err != nil {
		return r, err
	}
	data, err := u.Render()
	if err != nil {
		return r, err
	}
	// systemd/user and LaunchAgents are shared with other programs: create
	// them if missing (0700), never chmod them; our file is 0600.
	if err := os.MkdirAll(filepath.Dir(p), paths.DirMode); err != nil {
		return r, fmt.Errorf("service: %w", err)
	}
	if err := paths.WriteFileAtomic(p, data); err != nil {
		return r, fmt.Errorf("service: %w", err)
	}
	r.Path = p
	if u.GOOS == "darwin" {
		domain := fmt.Sprintf("gui/%d", u.UID)
		_, _ = u.run(ctx, "launchctl", "bootout", domain+"/"+LaunchdLabel)
		if out, err := u.run(ctx, "launchctl", "bootstrap", domain, p); err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("launchctl could not load it (%s); it starts at your next login, or run: launchctl bootstrap %s %s", brief(out, err), domain, p))
		} else {
			r.Enabled = true
		}
		return r, nil
	}
	if out, err := u.run(ctx, "systemctl", "--user", "daemon-reload"); err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("systemctl --user cannot reach your user's systemd here (%s); in a login session run: systemctl --user daemon-reload && systemctl --user enable --now %s", brief(out, err), SystemdName))
		return r, nil
	}
	if out, err := u.run(ctx, "systemctl", "--user", "enable", "--now", SystemdName); err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("systemctl --user enable --now %s failed (%s); see journalctl --user -u %s", SystemdName, brief(out, err), SystemdName))
		return r, nil
	}
	r.Enabled = true
	if out, err := u.run(ctx, "loginctl", "show-user", u.userOrSelf(), "--property=Linger", "--value"); err != nil || strings.TrimSpace(out) != "yes" {
		r.Notes = append(r.Notes, fmt.Sprintf("it runs while you are logged in; to keep it running after you log out (and start it at boot), run: loginctl enable-linger %s", u.userOrSelf()))
	}
	return r, nil
}

// Uninstall stops and removes the unit. It reports whether there was one.
func (u Unit) Uninstall(ctx context.Context) (bool, error) {
	p, err := u.Path()
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if u.GOOS == "darwin" {
		_, _ = u.run(ctx, "launchctl", "bootout", fmt.Sprintf("gui/%d/%s", u.UID, LaunchdLabel))
	} else {
		_, _ = u.run(ctx, "systemctl", "--user", "disable", "--now", SystemdName)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return true, fmt.Errorf("service: %w", err)
	}
	if u.GOOS != "darwin" {
		_, _ = u.run(ctx, "systemctl", "--user", "daemon-reload")
	}
	return true, nil
}

// Status is what `service status` shows.
type Status struct {
	Path      string `json:"path"`
	Installed bool   `json:"installed"`
	// Current: the file is what Install would write now (same program,
	// same environment).
	Current bool `json:"current"`
	// Active and Enabled are the service manager's words ("active",
	// "inactive", "enabled", …), or "unknown" when it cannot be asked.
	Active  string   `json:"active"`
	Enabled string   `json:"enabled"`
	Env     []string `json:"environment"`
}

// Status reads the unit file and asks the service manager about it.
func (u Unit) Status(ctx context.Context) (Status, error) {
	p, err := u.Path()
	if err != nil {
		return Status{}, err
	}
	st := Status{Path: p, Active: "unknown", Enabled: "unknown", Env: u.Env}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		st.Active, st.Enabled = "", ""
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("service: %w", err)
	}
	st.Installed = true
	if want, err := u.Render(); err == nil {
		st.Current = bytes.Equal(want, data)
	}
	if u.GOOS == "darwin" {
		if _, err := u.run(ctx, "launchctl", "print", fmt.Sprintf("gui/%d/%s", u.UID, LaunchdLabel)); err == nil {
			st.Active, st.Enabled = "loaded", "enabled"
		} else {
			st.Active = "not loaded"
		}
		return st, nil
	}
	// is-active / is-enabled print their answer and exit non-zero for
	// "inactive" or "disabled": the words count, not the exit code.
	if out, _ := u.run(ctx, "systemctl", "--user", "is-active", SystemdName); validWord(out) {
		st.Active = out
	}
	if out, _ := u.run(ctx, "systemctl", "--user", "is-enabled", SystemdName); validWord(out) {
		st.Enabled = out
	}
	return st, nil
}

func validWord(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && !strings.ContainsAny(s, " \n:")
}

func (u Unit) run(ctx context.Context, name string, args ...string) (string, error) {
	run := u.Run
	if run == nil {
		run = ExecRunner
	}
	out, err := run(ctx, name, args...)
	return strings.TrimSpace(out), err
}

func (u Unit) userOrSelf() string {
	if u.User != "" {
		return u.User
	}
	return "$USER"
}

// brief is the first line of a command's output, else its error.
func brief(out string, err error) string {
	if line, _, _ := strings.Cut(strings.TrimSpace(out), "\n"); line != "" {
		return line
	}
	return err.Error()
}
