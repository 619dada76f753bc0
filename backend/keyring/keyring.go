// Package keyring keeps secrets (OAuth credential blobs) in the operating
// system's keyring and nowhere else: the Secret Service over D-Bus on Linux
// (spoken directly with godbus, with DH transport encryption) and the
// Keychain on macOS. Everything outside this package passes opaque
// references (service, account) and holds secret bytes only briefly.
//
// Secrets go in and come out as []byte. Set never keeps or modifies the
// caller's slice; Get returns a fresh slice the caller owns and should zero
// when done. No secret byte ever appears in an error, a log record or a
// panic message.
package keyring

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"regexp"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Keyring stores secrets under a (service, account) pair. Implementations
// are safe for concurrent use and bound every call by a timeout.
type Keyring interface {
	// Get returns the secret stored for (service, account), or an error
	// wrapping ErrNotFound. The caller owns the returned slice.
	Get(ctx context.Context, service, account string) ([]byte, error)
	// Set stores secret for (service, account), replacing any previous
	// value. label is the human-readable name a keyring manager shows.
	Set(ctx context.Context, service, account, label string, secret []byte) error
	// Delete removes the secret for (service, account); an error wrapping
	// ErrNotFound means there was nothing to remove.
	Delete(ctx context.Context, service, account string) error
}

// Prepare lets k get ready for an operation that is coming: the Secret
// Service opens its connection and encrypted session in the background, so
// that work (round trips to the keyring daemon and a Diffie-Hellman
// exchange on both sides) overlaps whatever the caller does meanwhile, such
// as opening the database. The next operation uses that session, or waits
// for it to be ready. It never fails: an error is the next operation's to
// report. Keyrings with nothing to prepare ignore it.
func Prepare(ctx context.Context, k Keyring) {
	if p, ok := k.(interface{ prepare(context.Context) }); ok {
		p.prepare(ctx)
	}
}

// Release ends what k keeps open between operations, now rather than when
// it has been idle a while: the Secret Service's kept session is dropped
// (its key wiped, its connection closed, which ends the session in the
// keyring daemon too) and none is kept after this. Operations still work;
// each then opens and ends its own session. For a process that is done
// with the keyring (the end of a command).
func Release(k Keyring) {
	if r, ok := k.(interface{ release() }); ok {
		r.release()
	}
}

// The sentinel errors every implementation wraps; test them with errors.Is.
var (
	// ErrNotFound: no secret is stored under that service and account.
	ErrNotFound = errors.New("no such secret in the keyring")
	// ErrLocked: the keyring exists but is locked, and was not unlocked.
	ErrLocked = errors.New("the keyring is locked: unlock it (for example by logging in again or opening your keyring or password manager) and retry")
	// ErrUnavailable: no keyring service can be reached. Its text says
	// what this platform needs (unavailableHint).
	ErrUnavailable = errors.New("no keyring is available: " + unavailableHint)
)

// Default bounds; see Options.
const (
	DefaultCallTimeout   = 5 * time.Second
	DefaultPromptTimeout = 2 * time.Minute
)

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Logger receives operational notes (never secrets), such as the one-time
	// warning that the Secret Service refused transport encryption. Nil
	// discards them.
	Logger *slog.Logger
	// CallTimeout bounds each request to the keyring service, so a hung
	// service cannot hang the app. Zero means DefaultCallTimeout.
	CallTimeout time.Duration
	// PromptTimeout bounds how long to wait for the user to answer an unlock
	// prompt. Zero means DefaultPromptTimeout.
	PromptTimeout time.Duration
	// BusAddress overrides the D-Bus session bus address (Linux only). Empty
	// means $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus. A bus is
	// never launched.
	BusAddress string
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.PromptTimeout <= 0 {
		o.PromptTimeout = DefaultPromptTimeout
	}
	return o
}

// Open returns the keyring of this platform. It does no I/O: an unreachable
// keyring shows up as ErrUnavailable from the first call, so a keyring that
// starts later is still found. Platforms without a supported keyring (and
// macOS builds without cgo) fail here.
func Open(opts Options) (Keyring, error) {
	return openPlatform(opts.withDefaults())
}

// StashService is the service name under which aimonitor stashes the
// credentials of the Claude account with the given UUID.
func StashService(accountUUID string) string { return "aimonitor-" + accountUUID }

// ClaudeCodeService is the Keychain service name of Claude Code's live
// credential on macOS. claudeConfigDir is the raw value of CLAUDE_CONFIG_DIR
// as Claude Code sees it ("" when unset). Claude Code appends
// "-" + the first 8 hex digits of sha256 over the NFC-normalised UTF-8 value
// only when that variable is set and non-empty; it hashes the string as
// given (no ~ expansion, no cleaning), so "~/.claude-work" and
// "/Users/me/.claude-work" name different slots, and so must we.
func ClaudeCodeService(claudeConfigDir string) string {
	const base = "Claude Code-credentials"
	if claudeConfigDir == "" {
		return base
	}
	sum := sha256.Sum256([]byte(norm.NFC.String(claudeConfigDir)))
	return base + "-" + hex.EncodeToString(sum[:])[:8]
}

// claudeCodeAccountPattern is the set of user names Claude Code accepts as a
// Keychain account; any other name makes it use fallbackAccount instead.
// Compiled on first use, not at every start of the command line.
var claudeCodeAccountPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9._-]+$`) })

const fallbackAccount = "claude-code-user"

// UserAccount is the account name for keyring items: the OS user name, taken
// the way Claude Code takes it ($USER, else the user database) so that the
// macOS live slot and our stashes agree. A name Claude Code would reject
// (e.g. an e-mail address) becomes "claude-code-user", as it does there.
func UserAccount() string {
	return userAccount(os.Getenv, func() (string, error) {
		u, err := user.Current()
		if err != nil {
			return "", err
		}
		return u.Username, nil
	})
}

// AccountFor is the account name for keyring items of a process whose USER
// is user (the service's environment, which need not be ours), by the same
// rule as UserAccount; with no USER it is UserAccount().
func AccountFor(user string) string {
	if user == "" {
		return UserAccount()
	}
	return userAccount(func(string) string { return user }, nil)
}

func userAccount(getenv func(string) string, lookup func() (string, error)) string {
	name := getenv("USER")
	if name == "" {
		var err error
		if name, err = lookup(); err != nil {
			return fallbackAccount
		}
	}
	if !claudeCodeAccountPattern().MatchString(name) {
		return fallbackAccount
	}
	return name
}

// checkKey rejects empty names early: an empty attribute would match every
// item on some keyrings, which for Delete would be a disaster.
func checkKey(service, account string) error {
	if service == "" || account == "" {
		return fmt.Errorf("keyring: service and account must both be non-empty (service %q, account %q)", service, account)
	}
	return nil
}
