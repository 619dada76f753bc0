// Package paths decides where aimonitor keeps its config, database and logs,
// and creates those places with private modes (0700 dirs, 0600 files) from
// the first byte, so nothing is ever briefly world-readable.
package paths

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

const (
	AppName    = "aimonitor"
	DirMode    = 0o700
	FileMode   = 0o600
	configName = "config.yaml"
	dbName     = "aimonitor.db"
	logName    = "aimonitor.log"
)

// Paths are the locations aimonitor uses. All are absolute.
type Paths struct {
	ConfigFile string // ~/.config/aimonitor/config.yaml
	DataDir    string // holds aimonitor.db
	DBFile     string
	LogDir     string
	LogFile    string // used only when file logging is enabled
}

// Env looks up an environment variable; os.LookupEnv in production, a map in tests.
type Env func(key string) (string, bool)

// EnvIn looks variables up in environ ("KEY=value" entries, as os.Environ
// gives them); the last definition of a key wins, as in a process's
// environment.
func EnvIn(environ []string) Env {
	return func(key string) (string, bool) {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
				return v, true
			}
		}
		return "", false
	}
}

// Resolve computes the paths for goos from the environment, honouring the
// XDG base directory variables on Linux and the AIMONITOR_CONFIG /
// AIMONITOR_DATA_DIR overrides everywhere.
func Resolve(env Env, goos string) (Paths, error) {
	get := func(k string) string {
		v, _ := env(k)
		return v
	}
	home := get("HOME")
	if home == "" {
		return Paths{}, errors.New("paths: HOME is not set, so aimonitor cannot tell where to keep its files")
	}
	xdg := func(key, fallback string) string {
		if v := get(key); filepath.IsAbs(v) {
			return v
		}
		return filepath.Join(home, fallback)
	}

	var p Paths
	configDir := filepath.Join(xdg("XDG_CONFIG_HOME", ".config"), AppName)
	switch goos {
	case "darwin":
		p.DataDir = filepath.Join(home, "Library", "Application Support", AppName)
		p.LogDir = filepath.Join(home, "Library", "Logs", AppName)
	default:
		p.DataDir = filepath.Join(xdg("XDG_DATA_HOME", ".local/share"), AppName)
		p.LogDir = filepath.Join(xdg("XDG_STATE_HOME", ".local/state"), AppName)
	}
	p.ConfigFile = filepath.Join(configDir, configName)
	if v := get("AIMONITOR_CONFIG"); v != "" {
		abs, err := filepath.Abs(v)
		if err != nil {
			return Paths{}, fmt.Errorf("paths: AIMONITOR_CONFIG: %w", err)
		}
		p.ConfigFile = abs
	}
	if v := get("AIMONITOR_DATA_DIR"); v != "" {
		abs, err := filepath.Abs(v)
		if err != nil {
			return Paths{}, fmt.Errorf("paths: AIMONITOR_DATA_DIR: %w", err)
		}
		p.DataDir = abs
	}
	p.DBFile = filepath.Join(p.DataDir, dbName)
	p.LogFile = filepath.Join(p.LogDir, logName)
	return p, nil
}

// Default resolves the paths for this process.
func Default() (Paths, error) { return Resolve(os.LookupEnv, runtime.GOOS) }

// EnsureDir creates dir and any missing parents with mode 0700. An existing
// directory is tightened to 0700 only if it is ours (named aimonitor), so we
// never chmod a user's ~/.config.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if filepath.Base(dir) == AppName {
		if err := os.Chmod(dir, DirMode); err != nil {
			return fmt.Errorf("securing %s: %w", dir, err)
		}
	}
	return nil
}

// CreatePrivate creates path with mode 0600 if it does not exist yet (O_EXCL,
// so the mode is right from the first byte) and tightens it to 0600 if it does.
func CreatePrivate(path string) error {
	if err := EnsureDir(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, FileMode)
	switch {
	case err == nil:
		return f.Close()
	case errors.Is(err, fs.ErrExist):
		return os.Chmod(path, FileMode)
	default:
		return fmt.Errorf("creating %s: %w", path, err)
	}
}

// WriteFileAtomic replaces path with data: a 0600 temp file in the same
// directory, fsync, rename, fsync of the directory. Readers see the old file
// or the new one, never a half-written one.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := EnsureDir(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after a successful rename
	if err := tmp.Chmod(FileMode); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
