// Package service wires the pieces one aimonitor process needs — paths,
// config, logger, database — so the CLI, the daemon and the widget build
// them the same way. It knows nothing about Wails.
package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/autostart"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/programs"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// Options configure New. Zero values mean "this process's own".
type Options struct {
	Environ []string  // os.Environ() when nil
	Stderr  io.Writer // os.Stderr when nil
	GOOS    string    // runtime.GOOS when empty
	Debug   bool      // force debug logging (still redacted)
	// LenientConfig: settings that do not load fall back to their defaults
	// (see config.LoadLenient) instead of failing, and ConfigProblems lists
	// them. For the commands that repair settings: config get/set/list/path,
	// doctor and uninstall.
	LenientConfig bool
	// OneShot: a command that prints its result and exits. Its stderr gets
	// only warnings and errors, unless Debug; the log file keeps log.level.
	OneShot bool
	// KeyringPrompt asks for the file keyring's passphrase; the CLI sets it
	// when stdin is a terminal. Nil: never ask (the widget, the daemon).
	KeyringPrompt filekeyring.PassphraseFunc
}

// Service is one process's view of aimonitor's state.
type Service struct {
	Paths   paths.Paths
	Log     *slog.Logger
	environ []string
	goos    string

	mu       sync.Mutex
	cfg      *config.Loaded
	lenient  bool
	problems []config.Problem
	db       *store.Store
	closeLog func() error
	prompt   filekeyring.PassphraseFunc
	fileKR   *filekeyring.Store
	osKR     keyring.Keyring
}

// New resolves paths, loads the config and builds the logger. The database
// opens on first use so commands that do not need it never touch it.
func New(o Options) (*Service, error) {
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	p, err := paths.Resolve(paths.EnvIn(o.Environ), o.GOOS)
	if err != nil {
		return nil, err
	}
	cfg, probs, err := loadConfig(p.ConfigFile, o.Environ, o.LenientConfig)
	if err != nil {
		return nil, err
	}
	level, err := logging.ParseLevel(cfg.Log.Level)
	if err != nil {
		return nil, err
	}
	if o.Debug {
		level = slog.LevelDebug
	}
	lo := logging.Options{Level: level, Stderr: o.Stderr, Quiet: o.OneShot && !o.Debug}
	if cfg.Log.File {
		lo.File = p.LogFile
	}
	log, closeLog, err := logging.New(lo)
	if err != nil {
		return nil, err
	}
	return &Service{Paths: p, Log: log, environ: o.Environ, goos: o.GOOS, cfg: cfg, closeLog: closeLog, prompt: o.KeyringPrompt,
		lenient: o.LenientConfig, problems: probs}, nil
}

func loadConfig(file string, environ []string, lenient bool) (*config.Loaded, []config.Problem, error) {
	if lenient {
		cfg, probs := config.LoadLenient(file, environ)
		return cfg, probs, nil
	}
	cfg, err := config.Load(file, environ)
	return cfg, nil, err
}

// ConfigProblems lists the settings that did not load (only a service
// built with LenientConfig has any: the others fail instead).
func (s *Service) ConfigProblems() []config.Problem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.problems
}

// VerifiedConfigStamp is the warm.FileStamp of the configuration file
// when the file loads without errors and without the environment's
// overrides ("" when it does not, or changed while it was read). The token
// ledger records it in its snapshot: the launcher answers `aimonitor
// tokens` from the snapshot only while the file has that stamp, since the
// command line would refuse to run with a file that does not load.
func (s *Service) VerifiedConfigStamp() string {
	before := warm.FileStamp(s.Paths.ConfigFile)
	if before == "?" {
		return ""
	}
	if _, err := config.Load(s.Paths.ConfigFile, nil); err != nil {
		return ""
	}
	if warm.FileStamp(s.Paths.ConfigFile) != before {
		return ""
	}
	return before
}

// Environ is the environment this service was built from.
func (s *Service) Environ() []string { return s.environ }

// Config is the current effective configuration.
func (s *Service) Config() *config.Loaded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// SetConfig validates and saves one key, then reloads. Keys with an effect
// outside aimonitor (autostart) are applied here, so the CLI and the
// settings pane behave the same.
func (s *Service) SetConfig(key, value string) (*config.Loaded, error) {
	if key == "keyring.backend" {
		if err := s.checkBackendChange(value); err != nil {
			return nil, err
		}
	}
	if err := config.Set(s.Paths.ConfigFile, key, value); err != nil {
		return nil, err
	}
	cfg, err := s.ReloadConfig()
	if err != nil {
		return nil, err
	}
	if key == "autostart" || key == "autostart_run" {
		entry, err := s.Autostart()
		if err == nil {
			err = entry.Apply(cfg.Autostart, cfg.AutostartRun)
		}
		if err != nil {
			return cfg, fmt.Errorf("saved %s, but the login entry could not be updated: %w", key, err)
		}
	}
	return cfg, nil
}

// checkBackendChange refuses to point keyring.backend elsewhere while
// saved logins live in the current backend: they would seem lost. `keyring
// migrate` moves them and changes the setting itself.
func (s *Service) checkBackendChange(value string) error {
	old := s.KeyringBackend()
	next := value
	if next == config.KeyringAuto {
		if s.goos == "darwin" {
			next = config.KeyringKeychain
		} else {
			next = config.KeyringSecretService
		}
	}
	if next == old {
		return nil
	}
	if _, err := os.Stat(s.Paths.DBFile); err != nil {
		return nil // no database: nothing saved yet
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := s.Store(ctx)
	if err != nil {
		return err
	}
	n := 0
	err = db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, "SELECT count(*) FROM accounts", &sqlitex.ExecOptions{
			ResultFunc: func(st *sqlite.Stmt) error { n = st.ColumnInt(0); return nil }})
	})
	if err != nil {
		return fmt.Errorf("counting saved logins: %w", err)
	}
	if n > 0 {
		return &config.KeyError{Key: "keyring.backend", Msg: fmt.Sprintf("%d saved logins are kept in %s; to move them, run aimonitor keyring migrate --to %s (it changes this setting too)", n, old, next)}
	}
	return nil
}

// Autostart locates this user's start-at-login entry.
func (s *Service) Autostart() (autostart.Entry, error) {
	return autostart.ForEnv(s.goos, s.Getenv, programs.CommandLine(os.Executable, s.Getenv))
}

// Getenv reads a variable from this service's environment.
func (s *Service) Getenv(key string) string {
	v, _ := paths.EnvIn(s.environ)(key)
	return v
}

// ReloadConfig re-reads the file (after another process changed it).
func (s *Service) ReloadConfig() (*config.Loaded, error) {
	cfg, probs, err := loadConfig(s.Paths.ConfigFile, s.environ, s.lenient)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cfg, s.problems = cfg, probs
	s.mu.Unlock()
	return cfg, nil
}

// Store opens the database on first use.
func (s *Service) Store(ctx context.Context) (*store.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db != nil {
		return s.db, nil
	}
	db, err := store.Open(ctx, s.Paths.DBFile)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	s.db = db
	return db, nil
}

// Close releases the database and the log file.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.db != nil {
		err = s.db.Close()
		s.db = nil
	}
	if s.osKR != nil {
		// The Secret Service session a command kept for its next
		// operation: gone with the command, key wiped, no timer left.
		keyring.Release(s.osKR)
	}
	if s.closeLog != nil {
		if cerr := s.closeLog(); err == nil {
			err = cerr
		}
		s.closeLog = nil
	}
	return err
}
