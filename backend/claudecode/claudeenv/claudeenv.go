// Package claudeenv says where Claude Code keeps its files for a given
// environment (HOME, CLAUDE_CONFIG_DIR). It is the part of claudecode that
// needs no keyring, so the status line's launcher fast path can name the
// files it checks without linking D-Bus.
package claudeenv

import (
	"errors"
	"os"
	"path/filepath"
)

// Env is what Claude Code takes from its environment to find its files.
type Env struct {
	Home string // $HOME; required
	// ConfigDir is CLAUDE_CONFIG_DIR exactly as set, "" when unset. It
	// decides where the files are and, on macOS, the Keychain item's name.
	ConfigDir string
	GOOS      string // runtime.GOOS when empty
	// KeychainAccount is the Keychain account of the macOS live slot;
	// keyring.UserAccount() when empty.
	KeychainAccount string
}

// EnvFrom builds an Env from an environment lookup (os.LookupEnv, or a
// service's recorded environment).
func EnvFrom(lookup func(string) (string, bool), goos string) (Env, error) {
	home, _ := lookup("HOME")
	if home == "" {
		return Env{}, errors.New("HOME is not set, so aimonitor cannot find Claude Code's files")
	}
	dir, _ := lookup("CLAUDE_CONFIG_DIR")
	return Env{Home: home, ConfigDir: dir, GOOS: goos}, nil
}

// ConfigDir is Claude Code's configuration directory: CLAUDE_CONFIG_DIR,
// else ~/.claude, made absolute (left as it is when that fails).
func ConfigDir(env Env) string {
	dir := env.ConfigDir
	if dir == "" {
		dir = filepath.Join(env.Home, ".claude")
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return dir
}

// SettingsPath is Claude Code's user settings file (statusLine, hooks,
// permissions…): $CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/settings.json.
func SettingsPath(env Env) string { return filepath.Join(ConfigDir(env), "settings.json") }

// IdentityPath is the file holding oauthAccount for env.
func IdentityPath(env Env) string { return IdentityFile(env, ConfigDir(env)) }

// IdentityFile is the file holding oauthAccount when Claude Code's
// configuration directory is configDir: ~/.claude.json, or
// $CLAUDE_CONFIG_DIR/.claude.json; a legacy <config dir>/.config.json wins
// when it exists, as it does for Claude Code.
func IdentityFile(env Env, configDir string) string {
	legacy := filepath.Join(configDir, ".config.json")
	if _, err := os.Stat(legacy); err == nil {
		return legacy
	}
	base := env.Home
	if env.ConfigDir != "" {
		base = configDir
	}
	return filepath.Join(base, ".claude.json")
}
