// Package autostart installs or removes the entry that starts aimonitor at
// login: an XDG autostart desktop file on Linux, a LaunchAgent on macOS. It
// starts either the widget or the headless daemon.
package autostart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/programs"
)

// Label is the LaunchAgent label and the desktop file's base name.
const (
	Label       = "dev.aimonitor.app"
	desktopName = "aimonitor.desktop"
)

// What starts at login.
const (
	RunWidget = "widget"
	RunDaemon = "daemon"
)

// Entry knows where the autostart entry lives for one user.
type Entry struct {
	GOOS       string // "linux", "darwin", …
	Home       string
	ConfigHome string // $XDG_CONFIG_HOME, or "" for ~/.config
	Exe        string // absolute path of the program to start
}

// ForEnv builds an Entry from an environment. Inside an AppImage the running
// binary lives on a temporary mount, so the AppImage file itself ($APPIMAGE)
// is what must start at login (programs.AppImage says when that is so).
func ForEnv(goos string, getenv func(string) string, executable func() (string, error)) (Entry, error) {
	e := Entry{GOOS: goos, Home: getenv("HOME"), ConfigHome: getenv("XDG_CONFIG_HOME")}
	if e.Home == "" {
		return e, errors.New("autostart: HOME is not set")
	}
	exe, err := executable()
	if err != nil {
		return e, fmt.Errorf("autostart: locating the aimonitor program: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	if image, ok := programs.AppImage(exe, getenv); ok {
		exe = image
	}
	e.Exe = exe
	return e, nil
}

// Path is the file Enable writes.
func (e Entry) Path() (string, error) {
	switch e.GOOS {
	case "darwin":
		return filepath.Join(e.Home, "Library", "LaunchAgents", Label+".plist"), nil
	case "linux", "freebsd", "openbsd", "netbsd":
		base := e.ConfigHome
		if !filepath.IsAbs(base) {
			base = filepath.Join(e.Home, ".config")
		}
		return filepath.Join(base, "autostart", desktopName), nil
	}
	return "", fmt.Errorf("autostart: not supported on %s", e.GOOS)
}

// Enable writes (or replaces) the entry so `run` (widget or daemon) starts at login.
func (e Entry) Enable(run string) error {
	if run != RunWidget && run != RunDaemon {
		return fmt.Errorf("autostart: unknown target %q (use widget or daemon)", run)
	}
	if !filepath.IsAbs(e.Exe) {
		return fmt.Errorf("autostart: program path %q is not absolute", e.Exe)
	}
	p, err := e.Path()
	if err != nil {
		return err
	}
	var data []byte
	if e.GOOS == "darwin" {
		data = LaunchAgent{Label: Label, Args: []string{e.Exe, run}, KeepAlive: run == RunDaemon}.Plist()
	} else {
		data = desktopEntry(e.Exe, run)
	}
	// The autostart directory is shared with other programs: create it
	// normally (0700 if new) and never chmod it; our file is 0600.
	if err := os.MkdirAll(filepath.Dir(p), paths.DirMode); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if err := paths.WriteFileAtomic(p, data); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// Disable removes the entry; a missing entry is not an error.
func (e Entry) Disable() error {
	p, err := e.Path()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// Installed reports whether the entry exists and what it starts.
func (e Entry) Installed() (bool, string, error) {
	p, err := e.Path()
	if err != nil {
		return false, "", err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("autostart: %w", err)
	}
	run := RunWidget
	if bytes.Contains(data, []byte(" daemon")) || bytes.Contains(data, []byte("<string>daemon</string>")) {
		run = RunDaemon
	}
	return true, run, nil
}

// Apply makes the installed state match the wanted one.
func (e Entry) Apply(enabled bool, run string) error {
	if enabled {
		return e.Enable(run)
	}
	return e.Disable()
}

// desktopEntry follows the XDG Desktop Entry and Autostart specifications.
func desktopEntry(exe, run string) []byte {
	var b strings.Builder
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=aimonitor\n")
	b.WriteString("Comment=Usage and login switching for your Claude subscriptions\n")
	fmt.Fprintf(&b, "Exec=%s %s\n", quoteExec(exe), run)
	b.WriteString("Icon=aimonitor\n")
	b.WriteString("Terminal=false\n")
	b.WriteString("X-GNOME-Autostart-enabled=true\n")
	return []byte(b.String())
}

// quoteExec quotes an Exec argument: inside double quotes, the characters
// " ` $ \ are escaped with a backslash; then, as in every desktop-file value,
// backslashes are doubled, and a literal % is written %%.
func quoteExec(arg string) string {
	if arg != "" && !strings.ContainsAny(arg, " \t\n\"'\\><~|&;$*?#()`%=") {
		return arg
	}
	var q strings.Builder
	q.WriteByte('"')
	for _, r := range arg {
		switch r {
		case '"', '`', '$', '\\':
			q.WriteByte('\\')
		}
		q.WriteRune(r)
	}
	q.WriteByte('"')
	s := strings.ReplaceAll(q.String(), `\`, `\\`)
	return strings.ReplaceAll(s, "%", "%%")
}

// LaunchAgent is a launchd agent definition (launchd.plist(5)). The
// autostart entry and `aimonitor service install` both write one.
type LaunchAgent struct {
	Label string
	Args  []string // ProgramArguments: the program, then its arguments
	// Env becomes EnvironmentVariables ("KEY=VALUE" pairs), in order.
	Env []string
	// KeepAlive restarts the program when it exits unsuccessfully.
	KeepAlive bool
}

// Plist renders the agent as an XML property list, started at load.
func (a LaunchAgent) Plist() []byte {
	esc := func(s string) string {
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n<dict>\n")
	fmt.Fprintf(&b, "  <key>Label</key>\n  <string>%s</string>\n", esc(a.Label))
	b.WriteString("  <key>ProgramArguments</key>\n  <array>")
	for _, arg := range a.Args {
		fmt.Fprintf(&b, "<string>%s</string>", esc(arg))
	}
	b.WriteString("</array>\n")
	if len(a.Env) > 0 {
		b.WriteString("  <key>EnvironmentVariables</key>\n  <dict>\n")
		for _, kv := range a.Env {
			k, v, _ := strings.Cut(kv, "=")
			fmt.Fprintf(&b, "    <key>%s</key><string>%s</string>\n", esc(k), esc(v))
		}
		b.WriteString("  </dict>\n")
	}
	b.WriteString("  <key>RunAtLoad</key>\n  <true/>\n")
	b.WriteString("  <key>ProcessType</key>\n  <string>Interactive</string>\n")
	if a.KeepAlive {
		b.WriteString("  <key>KeepAlive</key>\n  <dict><key>SuccessfulExit</key><false/></dict>\n")
	}
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes()
}
