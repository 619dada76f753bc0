// Package claudecode reads and writes the two places Claude Code keeps its
// login: the live credential ("the live slot": ~/.claude/.credentials.json
// on Linux, a Keychain item on macOS) and the identity of that login
// (oauthAccount in ~/.claude.json). It writes the way Claude Code does —
// atomically, 0600, under Claude Code's own directory locks — and changes
// only what it must: a rewrite of .claude.json patches the oauthAccount
// member and keeps every other byte; a rewrite of the credential keeps
// every member it does not own.
//
// Token bytes pass through here as []byte and are never logged or put in
// an error.
package claudecode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aimonitor/aimonitor/backend/claudecode/claudeenv"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/paths"
)

// Env is what Claude Code takes from its environment to find its files
// (claudeenv, which needs no keyring).
type Env = claudeenv.Env

// EnvFrom builds an Env from an environment lookup (os.LookupEnv, or a
// service's recorded environment).
func EnvFrom(lookup func(string) (string, bool), goos string) (Env, error) {
	return claudeenv.EnvFrom(lookup, goos)
}

// Options configure New.
type Options struct {
	Env Env
	// Keyring holds the live slot on macOS. Ignored elsewhere.
	Keyring keyring.Keyring
	Clock   clock.Clock  // clock.Real{} when nil
	Log     *slog.Logger // discards when nil
	// LockWait bounds the wait for each of Claude Code's locks. Default
	// DefaultLockWait.
	LockWait time.Duration
	// ReadTries and ReadRetryDelay bound how long a read waits for a file
	// that is caught half-written. Defaults 5 and 100 ms.
	ReadTries      int
	ReadRetryDelay time.Duration
}

// DefaultLockWait is longer than the stale threshold of the short locks,
// so a lock left by a crashed Claude Code is cleared within one wait.
const DefaultLockWait = 20 * time.Second

// Slot is Claude Code's login on this machine: the live credential and the
// identity. It is safe for concurrent use; concurrent writers are kept apart
// by Claude Code's locks (callers that need more serialise themselves).
type Slot struct {
	env        Env
	configDir  string // absolute
	home       string
	keychain   keyring.Keyring
	kcService  string
	kcAccount  string
	clk        clock.Clock
	log        *slog.Logger
	lockWait   time.Duration
	readTries  int
	readDelay  time.Duration
	useKeyring bool
}

// New returns the slot for env. It touches no file.
func New(o Options) (*Slot, error) {
	if o.Env.Home == "" {
		return nil, errors.New("claudecode: HOME is not set, so aimonitor cannot find Claude Code's files")
	}
	if o.Env.GOOS == "" {
		o.Env.GOOS = runtime.GOOS
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.LockWait <= 0 {
		o.LockWait = DefaultLockWait
	}
	if o.ReadTries <= 0 {
		o.ReadTries = 5
	}
	if o.ReadRetryDelay <= 0 {
		o.ReadRetryDelay = 100 * time.Millisecond
	}
	s := &Slot{env: o.Env, home: o.Env.Home, clk: o.Clock, log: o.Log, lockWait: o.LockWait, readTries: o.ReadTries, readDelay: o.ReadRetryDelay}
	dir := o.Env.ConfigDir
	if dir == "" {
		dir = filepath.Join(o.Env.Home, ".claude")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("claudecode: CLAUDE_CONFIG_DIR: %w", err)
	}
	s.configDir = abs
	if o.Env.GOOS == "darwin" {
		if o.Keyring == nil {
			return nil, errors.New("claudecode: on macOS Claude Code's login lives in the Keychain, and no keyring was given")
		}
		s.useKeyring = true
		s.keychain = o.Keyring
		s.kcService = keyring.ClaudeCodeService(o.Env.ConfigDir)
		s.kcAccount = o.Env.KeychainAccount
		if s.kcAccount == "" {
			s.kcAccount = keyring.UserAccount()
		}
	}
	return s, nil
}

// ConfigDir is Claude Code's configuration directory (~/.claude).
func (s *Slot) ConfigDir() string { return s.configDir }

// CredentialsPath is the credential file, or "" when the live slot is a
// Keychain item.
func (s *Slot) CredentialsPath() string {
	if s.useKeyring {
		return ""
	}
	return filepath.Join(s.configDir, ".credentials.json")
}

// ConfigPath is the file holding oauthAccount (claudeenv.IdentityFile).
func (s *Slot) ConfigPath() string { return claudeenv.IdentityFile(s.env, s.configDir) }

// Describe names the live slot for messages.
func (s *Slot) Describe() string {
	if s.useKeyring {
		return fmt.Sprintf("the Keychain item %q", s.kcService)
	}
	return s.CredentialsPath()
}

// ErrNoLogin is returned when Claude Code is not logged in with a Claude
// subscription (no credential, or one without claudeAiOauth).
var ErrNoLogin = errors.New("Claude Code is not logged in with a Claude account (run `claude` and /login first)")

// ReadCredentials returns the live credential blob, or nil when there is
// none. The caller owns (and should zero) the result. A blob that is not
// valid JSON is re-read a few times, in case it was caught mid-write, and
// then reported as ErrMalformed.
func (s *Slot) ReadCredentials(ctx context.Context) ([]byte, error) {
	return s.readValid(ctx, s.Describe(), s.rawCredentials)
}

func (s *Slot) rawCredentials(ctx context.Context) ([]byte, error) {
	if s.useKeyring {
		b, err := s.keychain.Get(ctx, s.kcService, s.kcAccount)
		if errors.Is(err, keyring.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading Claude Code's login from the Keychain: %w", err)
		}
		return b, nil
	}
	return readFileIfExists(s.CredentialsPath())
}

// ReadConfig returns the bytes of .claude.json (nil when there is none),
// checked to be one JSON object.
func (s *Slot) ReadConfig(ctx context.Context) ([]byte, error) {
	path := s.ConfigPath()
	return s.readValid(ctx, path, func(context.Context) ([]byte, error) { return readFileIfExists(path) })
}

// ReadIdentity returns the oauthAccount of .claude.json, nil when there is
// none.
func (s *Slot) ReadIdentity(ctx context.Context) (*Identity, error) {
	data, err := s.ReadConfig(ctx)
	if err != nil || data == nil {
		return nil, err
	}
	id, err := identityOf(data)
	if err != nil {
		return nil, fmt.Errorf("Claude Code's %s: %w", s.ConfigPath(), err)
	}
	return id, nil
}

// readValid reads with read until the content is empty or one JSON object,
// retrying a bounded number of times. Empty content (a file truncated by a
// writer that is not atomic) that stays empty counts as absent.
func (s *Slot) readValid(ctx context.Context, what string, read func(context.Context) ([]byte, error)) ([]byte, error) {
	var lastErr error
	for try := 0; try < s.readTries; try++ {
		if try > 0 {
			t := s.clk.NewTimer(s.readDelay)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C():
			}
		}
		data, err := read(ctx)
		if err != nil {
			return nil, err
		}
		if data == nil {
			return nil, nil
		}
		if len(bytes.TrimSpace(data)) == 0 {
			lastErr = nil
			clear(data)
			continue
		}
		if _, err := scanObject(data); err != nil {
			clear(data)
			lastErr = err
			continue
		}
		return data, nil
	}
	if lastErr == nil {
		return nil, nil
	}
	return nil, fmt.Errorf("%s is %w (%v); aimonitor changed nothing — fix or move it, or log in again with Claude Code", what, ErrMalformed, lastErr)
}

func readFileIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return b, nil
}

// Lock paths, as Claude Code names them.
func (s *Slot) configLock() dirLock {
	return dirLock{path: s.ConfigPath() + ".lock", stale: configLockStale}
}

// storageLock is the directory proper-lockfile makes for Claude Code's
// lock on <config dir>/.storage-write (realpath false, no lockfilePath:
// the file name plus ".lock").
func (s *Slot) storageLock() dirLock {
	return dirLock{path: filepath.Join(s.configDir, ".storage-write.lock"), stale: storageLockStale}
}

func (s *Slot) refreshLocks() []dirLock {
	real, err := filepath.EvalSymlinks(s.configDir)
	if err != nil {
		real = s.configDir
	}
	return []dirLock{
		{path: filepath.Join(s.configDir, ".oauth_refresh.lock"), stale: refreshLockStale},
		{path: real + ".lock", stale: refreshLockStale},
	}
}

func (s *Slot) ensureConfigDir() error {
	if err := os.MkdirAll(s.configDir, 0o700); err != nil {
		return fmt.Errorf("creating Claude Code's directory %s: %w", s.configDir, err)
	}
	return nil
}

// LockRefresh takes Claude Code's token-refresh locks
// (<config dir>/.oauth_refresh.lock, then <config dir>.lock, the
// legacy ~/.claude.lock) so no Claude Code refreshes the live login while
// the caller replaces or refreshes it. Call the returned function to
// release them.
func (s *Slot) LockRefresh(ctx context.Context) (func(), error) {
	if err := s.ensureConfigDir(); err != nil {
		return nil, err
	}
	return acquireAll(ctx, s.refreshLocks(), s.lockWait, s.clk, s.log)
}

// UpdateCredentials replaces the live credential under Claude Code's
// storage lock: fn gets the current blob (nil when none; do not keep it)
// and returns the new one, or nil to remove the credential. A current blob
// that is malformed stops the update before fn runs.
func (s *Slot) UpdateCredentials(ctx context.Context, fn func(current []byte) ([]byte, error)) error {
	_, err := s.updateCredentials(ctx, fn)
	return err
}

// updateCredentials is UpdateCredentials that also returns the previous
// blob (owned by the caller) for a rollback.
func (s *Slot) updateCredentials(ctx context.Context, fn func(current []byte) ([]byte, error)) (previous []byte, err error) {
	if err := s.ensureConfigDir(); err != nil {
		return nil, err
	}
	release, err := acquireAll(ctx, []dirLock{s.storageLock()}, s.lockWait, s.clk, s.log)
	if err != nil {
		return nil, err
	}
	defer release()
	current, err := s.ReadCredentials(ctx)
	if err != nil {
		return nil, err
	}
	next, err := fn(current)
	if err != nil {
		clear(current)
		return nil, err
	}
	defer clear(next)
	if err := s.writeCredentials(ctx, current, next); err != nil {
		clear(current)
		return nil, err
	}
	return current, nil
}

func (s *Slot) writeCredentials(ctx context.Context, current, next []byte) error {
	if next != nil && bytes.Equal(next, current) {
		return nil // nothing to write
	}
	if s.useKeyring {
		if next == nil {
			err := s.keychain.Delete(ctx, s.kcService, s.kcAccount)
			if err != nil && !errors.Is(err, keyring.ErrNotFound) {
				return fmt.Errorf("removing Claude Code's login from the Keychain: %w", err)
			}
			return nil
		}
		if err := s.keychain.Set(ctx, s.kcService, s.kcAccount, s.kcService, next); err != nil {
			return fmt.Errorf("writing Claude Code's login to the Keychain: %w", err)
		}
		return nil
	}
	path := s.CredentialsPath()
	if next == nil {
		if err := os.Remove(resolveLink(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", path, err)
		}
		return nil
	}
	removeDeadTemps(resolveLink(path), s.log)
	if err := paths.WriteFileAtomic(resolveLink(path), next); err != nil {
		return fmt.Errorf("writing Claude Code's credentials: %w", err)
	}
	return nil
}

// SetIdentityRaw sets oauthAccount in .claude.json to raw (nil removes the
// member) under Claude Code's .claude.json.lock, keeping every other byte of
// the file. It returns the previous raw value (nil when there was none) for
// a rollback. A malformed .claude.json is left alone.
func (s *Slot) SetIdentityRaw(ctx context.Context, raw []byte) (prev []byte, err error) {
	release, err := s.lockConfig(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return s.setIdentityLocked(ctx, raw)
}

func (s *Slot) lockConfig(ctx context.Context) (func(), error) {
	path := s.ConfigPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	return acquireAll(ctx, []dirLock{s.configLock()}, s.lockWait, s.clk, s.log)
}

func (s *Slot) setIdentityLocked(ctx context.Context, raw []byte) (prev []byte, err error) {
	path := s.ConfigPath()
	data, err := s.ReadConfig(ctx)
	if err != nil {
		return nil, err
	}
	if data == nil {
		data = []byte("{}\n")
	}
	o, err := scanObject(data)
	if err != nil {
		return nil, fmt.Errorf("%s is %w (%v); aimonitor changed nothing", path, ErrMalformed, err)
	}
	if v := o.value(IdentityKey); v != nil {
		prev = append([]byte(nil), v...)
	}
	var next []byte
	if raw == nil {
		next, err = deleteMember(data, IdentityKey)
	} else {
		next, err = setMember(data, IdentityKey, raw)
	}
	if err != nil {
		return nil, fmt.Errorf("updating %s: %w", path, err)
	}
	if bytes.Equal(next, data) {
		return prev, nil
	}
	removeDeadTemps(resolveLink(path), s.log)
	if err := paths.WriteFileAtomic(resolveLink(path), next); err != nil {
		return nil, fmt.Errorf("writing Claude Code's %s: %w", path, err)
	}
	return prev, nil
}

// ReplaceLogin switches Claude Code to another login: the credential (fn
// as in UpdateCredentials) and then oauthAccount (identity, as in
// SetIdentityRaw). .claude.json.lock is held across both writes and
// .claude.json is checked first, so a busy or malformed .claude.json stops
// the switch before anything is written; if writing the identity fails
// anyway, the previous credential is put back. Callers should hold
// LockRefresh. It returns the previous oauthAccount.
func (s *Slot) ReplaceLogin(ctx context.Context, fn func(current []byte) ([]byte, error), identity []byte) (prevIdentity []byte, err error) {
	release, err := s.lockConfig(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if _, err := s.ReadConfig(ctx); err != nil {
		return nil, err
	}
	previous, err := s.updateCredentials(ctx, fn)
	if err != nil {
		return nil, err
	}
	defer clear(previous)
	prevIdentity, err = s.setIdentityLocked(ctx, identity)
	if err != nil {
		if _, rerr := s.updateCredentials(context.WithoutCancel(ctx), func([]byte) ([]byte, error) {
			if previous == nil {
				return nil, nil
			}
			return append([]byte(nil), previous...), nil
		}); rerr != nil {
			return nil, fmt.Errorf("%w; putting the previous credential back also failed: %w", err, rerr)
		}
		return nil, err
	}
	return prevIdentity, nil
}

// removeDeadTemps deletes the temp files paths.WriteFileAtomic leaves next
// to path when its process is killed before the rename (a credential temp
// file holds tokens). Call it holding the lock every aimonitor writer of
// path holds: any such file then belongs to a writer that died.
func removeDeadTemps(path string, log *slog.Logger) {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+".tmp-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), prefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
				log.Info("removed a temp file left by an interrupted write", "path", filepath.Join(dir, e.Name()))
			}
		}
	}
}

// resolveLink follows a symlinked file (dotfile managers link
// ~/.claude.json), so an atomic rename replaces the target and keeps the
// link.
func resolveLink(path string) string {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(path); err == nil {
			return target
		}
	}
	return path
}

// SameBlob reports whether two credential blobs hold the same login: the
// same claudeAiOauth bytes, or failing that (a re-serialised file) the same
// refresh token.
func SameBlob(a, b []byte) bool {
	oa, ob := OAuthBytes(a), OAuthBytes(b)
	if oa == nil || ob == nil {
		return false
	}
	if bytes.Equal(oa, ob) {
		return true
	}
	ca, err := ParseCredentials(a)
	if err != nil {
		return false
	}
	defer ca.Zero()
	cb, err := ParseCredentials(b)
	if err != nil {
		return false
	}
	defer cb.Zero()
	return len(ca.RefreshToken) > 0 && bytes.Equal(ca.RefreshToken, cb.RefreshToken)
}
