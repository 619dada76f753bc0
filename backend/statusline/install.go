package statusline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/programs"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
)

// SettingsKey is the member of Claude Code's settings.json that names the
// status line command.
const SettingsKey = "statusLine"

// replacedKey is where --install --force keeps the statusLine it replaced.
const replacedKey = "statusline.replaced"

// Installer edits Claude Code's settings.json.
type Installer struct {
	// Settings is Claude Code's settings.json (claudecode.SettingsPath).
	Settings string
	// Config is aimonitor's config.yaml, which keeps a replaced statusLine.
	Config string
	// Environ is passed to config.Load (AIMONITOR_* overrides).
	Environ []string
	// Binary is the absolute path of this aimonitor binary.
	Binary string
	// Cache is the status line's cache, removed by Uninstall: while it
	// exists, the poller refreshes it after each write (Refresher).
	Cache string
}

// NewInstaller edits the settings.json of the Claude Code that environ
// points at (HOME, CLAUDE_CONFIG_DIR), naming this running binary.
func NewInstaller(environ []string, goos string) (*Installer, error) {
	env := paths.EnvIn(environ)
	p, err := paths.Resolve(env, goos)
	if err != nil {
		return nil, err
	}
	claude, err := claudecode.EnvFrom(env, goos)
	if err != nil {
		return nil, err
	}
	// The command line, also when the widget's settings pane installs: it
	// starts in milliseconds, and Claude Code runs it at every refresh.
	bin, err := programs.CommandLine(os.Executable, func(k string) string { v, _ := env(k); return v })()
	if err != nil {
		return nil, fmt.Errorf("finding this program's path: %w", err)
	}
	return &Installer{Settings: claudecode.SettingsPath(claude), Config: p.ConfigFile, Environ: environ, Binary: bin,
		Cache: filepath.Join(filepath.Dir(p.DBFile), line.CacheName)}, nil
}

// State is what settings.json says about the status line.
type State struct {
	Settings  string `json:"settings"`
	Installed bool   `json:"installed"` // statusLine runs aimonitor statusline
	// Command is the statusLine command, ours or another's ("" when none).
	Command string `json:"command"`
	// Foreign: statusLine runs another command (install needs --force).
	Foreign bool `json:"foreign"`
	// Replaced is the command --uninstall would put back.
	Replaced string `json:"replaced,omitempty"`
}

// ErrForeign is wrapped when settings.json already names another command.
var ErrForeign = errors.New("Claude Code's status line already runs another command")

// Command is the statusLine command for binary: quoted for the shell
// Claude Code runs it with.
func Command(binary string) string {
	return shellQuote(binary) + " statusline"
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@%,=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ours reports whether a statusLine command runs some aimonitor's
// statusline (this binary or another copy of it).
func ours(command string) bool {
	command = strings.TrimSpace(command)
	prog, rest := command, ""
	if strings.HasPrefix(command, "'") {
		if end := strings.Index(command[1:], "'"); end >= 0 {
			prog, rest = command[1:end+1], command[end+2:]
		}
	} else if i := strings.IndexAny(command, " \t"); i >= 0 {
		prog, rest = command[:i], command[i:]
	}
	return strings.HasPrefix(filepath.Base(prog), "aimonitor") && slices.Contains(strings.Fields(rest), "statusline")
}

// ours is true for this binary's command and for any aimonitor's.
func (in *Installer) ours(command string) bool {
	return strings.TrimSpace(command) == Command(in.Binary) || ours(command)
}

type statusLineValue struct {
	Type    string `json:"type"`
	Command string `json:"command"`
}

// read returns settings.json's bytes (nil when absent) and its statusLine
// value (nil when absent); a file that is not one JSON object is an error.
func (in *Installer) read() (data, current []byte, mode fs.FileMode, err error) {
	data, err = os.ReadFile(in.Settings)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, 0o600, nil
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("reading %s: %w", in.Settings, err)
	}
	fi, err := os.Stat(in.Settings)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("reading %s: %w", in.Settings, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return data, nil, fi.Mode().Perm(), nil
	}
	current, err = claudecode.JSONMember(data, SettingsKey)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s is not a valid JSON object (%v); fix it first — nothing was changed", in.Settings, err)
	}
	return data, current, fi.Mode().Perm(), nil
}

func commandOf(raw []byte) string {
	var v statusLineValue
	if json.Unmarshal(raw, &v) != nil || v.Command == "" {
		if t := bytes.TrimSpace(raw); len(t) > 0 && string(t) != "null" {
			return string(t) // not a command object: show it as it is
		}
		return ""
	}
	return v.Command
}

func (in *Installer) replaced() string {
	cfg, err := config.Load(in.Config, in.Environ)
	if err != nil {
		return ""
	}
	return cfg.StatusLine.Replaced
}

// State reads settings.json.
func (in *Installer) State() (State, error) {
	st := State{Settings: in.Settings}
	_, cur, _, err := in.read()
	if err != nil {
		return st, err
	}
	st.Command = commandOf(cur)
	st.Installed = st.Command != "" && in.ours(st.Command)
	st.Foreign = st.Command != "" && !st.Installed
	if r := in.replaced(); r != "" {
		st.Replaced = commandOf([]byte(r))
	}
	return st, nil
}

// Install makes settings.json's statusLine run this binary's statusline.
// Every other byte of the file is kept. A file that is not valid JSON is
// refused, and so is a statusLine that runs another command unless force
// is set: then the old value is kept in config.yaml for Uninstall.
func (in *Installer) Install(force bool) (State, error) {
	if !filepath.IsAbs(in.Binary) {
		return State{}, fmt.Errorf("the path of aimonitor (%q) is not absolute", in.Binary)
	}
	data, cur, mode, err := in.read()
	if err != nil {
		return State{}, err
	}
	if old := commandOf(cur); old != "" && !in.ours(old) {
		if !force {
			return State{}, fmt.Errorf("%w (%s in %s); --force replaces it and keeps it, so --uninstall puts it back — nothing was changed", ErrForeign, old, in.Settings)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, cur); err != nil {
			return State{}, fmt.Errorf("keeping the old statusLine: %w", err)
		}
		if err := config.Set(in.Config, replacedKey, compact.String()); err != nil {
			return State{}, fmt.Errorf("keeping the old statusLine in %s (nothing was changed): %w", in.Config, err)
		}
	}
	value, _ := json.Marshal(statusLineValue{Type: "command", Command: Command(in.Binary)})
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}\n")
	}
	next, err := claudecode.SetJSONMember(data, SettingsKey, value)
	if err != nil {
		return State{}, fmt.Errorf("editing %s: %w", in.Settings, err)
	}
	if err := writeAtomic(in.Settings, next, mode); err != nil {
		return State{}, err
	}
	return in.State()
}

// Uninstall removes our statusLine from settings.json, or puts back the
// one Install --force replaced. A statusLine that runs another command is
// left alone (an error says so).
func (in *Installer) Uninstall() (State, error) {
	data, cur, mode, err := in.read()
	if err != nil {
		return State{}, err
	}
	old := commandOf(cur)
	switch {
	case old == "":
		return in.State()
	case !in.ours(old):
		return State{}, fmt.Errorf("%w (%s in %s), not aimonitor; it was left as it is", ErrForeign, old, in.Settings)
	}
	var next []byte
	if r := in.replaced(); r != "" && json.Valid([]byte(r)) {
		next, err = claudecode.SetJSONMember(data, SettingsKey, []byte(r))
	} else {
		next, err = claudecode.DeleteJSONMember(data, SettingsKey)
		var compact bytes.Buffer
		if err == nil && json.Compact(&compact, next) == nil && compact.String() == "{}" {
			next = []byte("{}\n") // no blank line left where the member was
		}
	}
	if err != nil {
		return State{}, fmt.Errorf("editing %s: %w", in.Settings, err)
	}
	if err := writeAtomic(in.Settings, next, mode); err != nil {
		return State{}, err
	}
	if in.Cache != "" {
		os.Remove(in.Cache) // nothing runs the line now; a failure only leaves the poller refreshing it
	}
	if in.replaced() != "" {
		if err := config.Set(in.Config, replacedKey, ""); err != nil {
			return State{}, fmt.Errorf("the old statusLine is back, but %s still keeps a copy: %w", in.Config, err)
		}
	}
	return in.State()
}

// writeAtomic replaces path (the file a symlink points to, so dotfile
// managers keep their link) through a temp file in the same directory,
// keeping the file's mode.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".aimonitor-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after the rename
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(mode)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}
