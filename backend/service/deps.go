package service

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/dbusconn"
	"github.com/aimonitor/aimonitor/backend/egress"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/programs"
	"github.com/aimonitor/aimonitor/backend/userunit"
)

// These accessors build the parts that talk to the outside world from the
// service's own environment (never the process's, so tests and the demo
// sandbox get exactly what they set). Each call builds a fresh value: call
// it once per command, or once at start-up in the daemon and the widget,
// and keep the result.

// Keyring opens the keyring saved logins live in: the one keyring.backend
// names (auto: the OS keyring). It never launches a bus.
func (s *Service) Keyring() (keyring.Keyring, error) {
	return s.KeyringFor(s.KeyringBackend())
}

// KeyringBackend is the backend keyring.backend selects, with auto resolved
// for this system: secret-service (Linux), keychain (macOS) or file. auto
// never resolves to file.
func (s *Service) KeyringBackend() string {
	b := s.Config().Keyring.Backend
	if b == "" || b == config.KeyringAuto {
		if s.goos == "darwin" {
			return config.KeyringKeychain
		}
		return config.KeyringSecretService
	}
	return b
}

// KeyringFor opens one backend by name (see KeyringBackend).
func (s *Service) KeyringFor(backend string) (keyring.Keyring, error) {
	switch backend {
	case config.KeyringFile:
		return s.FileKeyring(), nil
	case config.KeyringSecretService:
		if s.goos != "linux" {
			return nil, fmt.Errorf("keyring.backend is secret-service, which exists only on Linux: use %s or file: %w", config.KeyringKeychain, keyring.ErrUnavailable)
		}
	case config.KeyringKeychain:
		if s.goos != "darwin" {
			return nil, fmt.Errorf("keyring.backend is keychain, which exists only on macOS: use %s or file", config.KeyringSecretService)
		}
	default:
		return nil, fmt.Errorf("unknown keyring backend %q (use auto, secret-service, keychain or file)", backend)
	}
	return s.osKeyring()
}

// osKeyring is the platform keyring, whatever keyring.backend says: on macOS
// Claude Code's own login lives there. One per service, so the operations
// of one command share its session (and keyring.Prepare's).
func (s *Service) osKeyring() (keyring.Keyring, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.osKR == nil {
		kr, err := keyring.Open(keyring.Options{Logger: s.Log, BusAddress: s.busAddress()})
		if err != nil {
			return nil, err
		}
		s.osKR = kr
	}
	return s.osKR, nil
}

// FileKeyring is the encrypted file keyring in the data directory, one per
// service so its key is derived once. Its passphrase comes from the
// environment, the kernel keyring (`aimonitor keyring unlock`) or, for the
// CLI on a terminal, a prompt.
func (s *Service) FileKeyring() *filekeyring.Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fileKR == nil {
		s.fileKR = filekeyring.Open(filekeyring.Options{
			Dir:        filepath.Join(s.Paths.DataDir, "keyring"),
			Passphrase: filekeyring.PassphraseSource(s.Getenv, s.prompt),
			Cache:      filekeyring.NewKernelKeyring(),
			Log:        s.Log,
		})
	}
	return s.fileKR
}

// HasPrompt reports whether this process can ask for a passphrase.
func (s *Service) HasPrompt() bool { return s.prompt != nil }

// busAddress is the session bus of s.environ, which need not be ours.
func (s *Service) busAddress() string {
	return dbusconn.SessionAddress(func(k string) string { v, _ := paths.EnvIn(s.environ)(k); return v }, os.Getuid())
}

// HTTPClient is the egress-checked client for the configured endpoints. An
// override that the allowlist refuses is an error here, before any request.
func (s *Service) HTTPClient() (*http.Client, error) {
	ep := s.Config().Endpoints
	p, err := egress.PolicyFromOverrides(ep.APIBase, ep.TokenURL, ep.ReleasesURL)
	if err != nil {
		return nil, err
	}
	return egress.NewClient(p), nil
}

// Anthropic is the OAuth client for the configured endpoints.
func (s *Service) Anthropic() (*anthropic.Client, error) {
	hc, err := s.HTTPClient()
	if err != nil {
		return nil, err
	}
	var opts []anthropic.Option
	ep := s.Config().Endpoints
	if ep.APIBase != "" {
		opts = append(opts, anthropic.WithBaseURL(ep.APIBase))
	}
	if ep.TokenURL != "" {
		opts = append(opts, anthropic.WithTokenURL(ep.TokenURL))
	}
	return anthropic.New(hc, clock.Real{}, opts...)
}

// ClaudeCode is Claude Code's live slot as this service's environment
// (HOME, CLAUDE_CONFIG_DIR) places it. kr is needed on macOS only.
func (s *Service) ClaudeCode(kr keyring.Keyring) (*claudecode.Slot, error) {
	env, err := claudecode.EnvFrom(paths.EnvIn(s.environ), s.goos)
	if err != nil {
		return nil, err
	}
	if user, ok := paths.EnvIn(s.environ)("USER"); ok && user != "" && env.GOOS == "darwin" {
		env.KeychainAccount = keyring.AccountFor(user)
	}
	return claudecode.New(claudecode.Options{Env: env, Keyring: kr, Log: s.Log})
}

// Accounts is the account manager, wired to this service's database,
// keyring, Claude Code files and endpoints.
func (s *Service) Accounts(ctx context.Context) (*accounts.Manager, error) {
	db, err := s.Store(ctx)
	if err != nil {
		return nil, err
	}
	kr, err := s.Keyring()
	if err != nil {
		return nil, err
	}
	liveKR := kr
	if s.goos == "darwin" && s.KeyringBackend() != config.KeyringKeychain {
		// Claude Code's own login is in the Keychain whatever keeps ours.
		if liveKR, err = s.osKeyring(); err != nil {
			return nil, err
		}
	}
	slot, err := s.ClaudeCode(liveKR)
	if err != nil {
		return nil, err
	}
	api, err := s.Anthropic()
	if err != nil {
		return nil, err
	}
	user, _ := paths.EnvIn(s.environ)("USER")
	return accounts.New(accounts.Deps{
		Store:          db,
		Keyring:        kr,
		ClaudeCode:     slot,
		Anthropic:      api,
		Clock:          clock.Real{},
		Log:            s.Log,
		LockFile:       s.accountsLockFile(),
		PendingDir:     filepath.Join(s.Paths.DataDir, "pending"),
		KeyringAccount: keyring.AccountFor(user),
	})
}

// accountsLockFile is where every process that shares the saved logins
// meets. They live in the keyring, so the lock cannot depend on the data
// directory (XDG_DATA_HOME, AIMONITOR_DATA_DIR): it is in the user's runtime
// directory (XDG_RUNTIME_DIR, where the session bus and its keyring live)
// when there is one. Without it (macOS, Linux without a login manager) it is
// in the data directory, so processes there must share the data directory
// to exclude each other (docs/architecture.md).
func (s *Service) accountsLockFile() string {
	if run, _ := paths.EnvIn(s.environ)("XDG_RUNTIME_DIR"); filepath.IsAbs(run) && s.goos != "darwin" {
		return filepath.Join(run, "aimonitor", "accounts.lock")
	}
	return filepath.Join(s.Paths.DataDir, "accounts.lock")
}

// SetKeyringBackend changes keyring.backend without the check SetConfig
// makes: `keyring migrate` calls it once the logins are in the new backend.
func (s *Service) SetKeyringBackend(backend string) error {
	if err := config.Set(s.Paths.ConfigFile, "keyring.backend", backend); err != nil {
		return err
	}
	_, err := s.ReloadConfig()
	return err
}

// unitEnvKeys are the variables a service unit carries over from the
// environment it is installed from, so the daemon finds the same files.
var unitEnvKeys = []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "AIMONITOR_CONFIG", "AIMONITOR_DATA_DIR", "CLAUDE_CONFIG_DIR"}

// DaemonUnit describes the user service that runs `aimonitor daemon` with
// this service's keyring backend and, for the file keyring, the passphrase
// file (passphraseFile, else AIMONITOR_KEYRING_PASSPHRASE_FILE; without
// either the daemon relies on `aimonitor keyring unlock`). The passphrase
// itself is never written into the unit.
func (s *Service) DaemonUnit(passphraseFile string) (userunit.Unit, error) {
	u, err := userunit.ForEnv(s.goos, s.Getenv, programs.CommandLine(os.Executable, s.Getenv))
	if err != nil {
		return u, err
	}
	backend := s.KeyringBackend()
	u.Env = append(u.Env, "AIMONITOR_KEYRING_BACKEND="+backend)
	if backend == config.KeyringFile {
		if passphraseFile == "" {
			passphraseFile = s.Getenv(filekeyring.PassphraseFileEnv)
		}
		if passphraseFile != "" {
			abs, err := filepath.Abs(passphraseFile)
			if err != nil {
				return u, err
			}
			if _, err := os.Stat(abs); err != nil {
				return u, fmt.Errorf("the passphrase file: %w", err)
			}
			u.Env = append(u.Env, filekeyring.PassphraseFileEnv+"="+abs)
		}
	}
	for _, k := range unitEnvKeys {
		if v := s.Getenv(k); v != "" && filepath.IsAbs(v) {
			u.Env = append(u.Env, k+"="+v)
		}
	}
	return u, nil
}
