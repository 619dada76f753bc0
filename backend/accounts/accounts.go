// Package accounts is aimonitor's account manager: the Claude logins it
// knows (rows in SQLite, each login's credential blob in the OS keyring,
// "the stash"), and the operations on them — adopt Claude Code's current
// login, capture a new one, switch Claude Code silently to another one,
// find which one is live, rename, remove — plus the token access the usage
// poller needs. Every operation that changes a login takes one
// cross-process lock, and Claude Code's own locks around its files.
//
// Tokens exist only in the keyring, in Claude Code's live slot and briefly
// in memory; never in the database, a log line or an error.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/gofrs/flock"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/store"
)

// Account is one Claude login aimonitor knows. It holds no secret.
type Account struct {
	ID            int64      `json:"id"`
	Label         string     `json:"label"`
	AccountUUID   string     `json:"account_uuid"`
	Email         string     `json:"email"`
	DisplayName   string     `json:"display_name"`
	OrgUUID       string     `json:"organization_uuid"`
	OrgName       string     `json:"organization"`
	OrgType       string     `json:"organization_type"`
	Subscription  string     `json:"subscription"`
	RateTier      string     `json:"rate_limit_tier"`
	KeyringRef    string     `json:"keyring_ref"`
	CreatedAt     time.Time  `json:"created_at"`
	LastUsedAt    *time.Time `json:"last_used_at,omitempty"`
	NeedsRelogin  bool       `json:"needs_relogin"`
	ReloginReason string     `json:"relogin_reason,omitempty"`
	CooldownUntil *time.Time `json:"cooldown_until,omitempty"`
}

// Deps is everything a Manager needs. Store, Keyring, ClaudeCode,
// Anthropic and LockFile are required.
type Deps struct {
	Store      *store.Store
	Keyring    keyring.Keyring
	ClaudeCode *claudecode.Slot
	Anthropic  *anthropic.Client
	Clock      clock.Clock  // clock.Real{} when nil
	Log        *slog.Logger // discards when nil
	// LockFile serialises account changes across processes (a flock).
	// Put it in the data directory.
	LockFile string
	// PendingDir keeps renewed logins the keyring refused, sealed, until it
	// takes them (see pending.go); "pending" next to LockFile when empty.
	PendingDir string
	// KeyringAccount is the keyring account of every stash;
	// keyring.UserAccount() when empty.
	KeyringAccount string
	// LockWait bounds the wait for another aimonitor process's account
	// change. Default 30 s.
	LockWait time.Duration
	// RefreshMargin: an access token expiring within it is refreshed before
	// use. Default 5 min.
	RefreshMargin time.Duration
	// CapturePoll is how often CaptureNewLogin looks at the live slot.
	// Default 1 s.
	CapturePoll time.Duration
}

// Manager performs account operations. It is safe for concurrent use.
type Manager struct {
	db         *store.Store
	kr         keyring.Keyring
	slot       *claudecode.Slot
	api        *anthropic.Client
	clk        clock.Clock
	log        *slog.Logger
	lockFile   string
	pendingDir string
	krAcct     string
	lockWait   time.Duration
	margin     time.Duration
	poll       time.Duration
	// sem serialises this process's own account changes; the flock does
	// the same across processes.
	sem chan struct{}
}

// New checks deps and returns a Manager.
func New(d Deps) (*Manager, error) {
	switch {
	case d.Store == nil:
		return nil, errors.New("accounts: a store is required")
	case d.Keyring == nil:
		return nil, errors.New("accounts: a keyring is required")
	case d.ClaudeCode == nil:
		return nil, errors.New("accounts: Claude Code's slot is required")
	case d.Anthropic == nil:
		return nil, errors.New("accounts: an Anthropic client is required")
	case d.LockFile == "":
		return nil, errors.New("accounts: a lock file is required")
	}
	m := &Manager{
		db: d.Store, kr: d.Keyring, slot: d.ClaudeCode, api: d.Anthropic,
		clk: d.Clock, log: d.Log, lockFile: d.LockFile, pendingDir: d.PendingDir, krAcct: d.KeyringAccount,
		lockWait: d.LockWait, margin: d.RefreshMargin, poll: d.CapturePoll,
		sem: make(chan struct{}, 1),
	}
	if m.clk == nil {
		m.clk = clock.Real{}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.krAcct == "" {
		m.krAcct = keyring.UserAccount()
	}
	if m.pendingDir == "" {
		m.pendingDir = filepath.Join(filepath.Dir(m.lockFile), "pending")
	}
	if m.lockWait <= 0 {
		m.lockWait = 30 * time.Second
	}
	if m.margin <= 0 {
		m.margin = 5 * time.Minute
	}
	if m.poll <= 0 {
		m.poll = time.Second
	}
	return m, nil
}

// Errors callers may test with errors.Is.
var (
	ErrNotFound  = errors.New("no such account")
	ErrDuplicate = errors.New("this login is already saved")
	ErrBusy      = errors.New("another aimonitor process is changing accounts; try again in a moment")
	ErrLabel     = errors.New("invalid label")
	// ErrUnknownLive: Claude Code is logged in with a login aimonitor has
	// not saved, and switching away would lose it.
	ErrUnknownLive = errors.New("Claude Code's current login is not saved in aimonitor")
	// ErrNeedsRelogin: the saved login is dead (expired or revoked).
	ErrNeedsRelogin = errors.New("the saved login has expired or was revoked")
	// ErrCaptureTimeout: no new login appeared in time.
	ErrCaptureTimeout = errors.New("no new login appeared in time")
)

// lock takes this process's semaphore and the cross-process flock, waiting
// at most LockWait.
func (m *Manager) lock(ctx context.Context) (func(), error) {
	return m.lockWithin(ctx, m.lockWait)
}

// lockWithin is lock with its own bound on the wait.
func (m *Manager) lockWithin(parent context.Context, wait time.Duration) (func(), error) {
	ctx, cancel := context.WithTimeout(parent, wait)
	defer cancel()
	select {
	case m.sem <- struct{}{}:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ErrBusy
		}
		return nil, ctx.Err()
	}
	if err := os.MkdirAll(filepath.Dir(m.lockFile), 0o700); err != nil {
		<-m.sem
		return nil, fmt.Errorf("creating %s: %w", filepath.Dir(m.lockFile), err)
	}
	fl := flock.New(m.lockFile)
	ok, err := fl.TryLockContext(ctx, 50*time.Millisecond)
	if !ok || err != nil {
		<-m.sem
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("taking the account lock %s: %w", m.lockFile, err)
	}
	// A switch left unfinished by a process that died holding this lock is
	// settled before anything else reads or changes a login, and renewed
	// logins the keyring refused before are saved now if it takes them.
	m.settleInterrupted(parent)
	m.settlePending(parent)
	return func() {
		_ = fl.Unlock()
		<-m.sem
	}, nil
}

// CheckLabel validates a label: 1–64 printable characters, not starting
// with "-" (it would read as a command-line flag).
func CheckLabel(label string) (string, error) {
	l := strings.TrimSpace(label)
	switch {
	case l == "":
		return "", fmt.Errorf("%w: a label is required (e.g. --label work)", ErrLabel)
	case len([]rune(l)) > 64:
		return "", fmt.Errorf("%w: %q is longer than 64 characters", ErrLabel, l)
	case strings.HasPrefix(l, "-"):
		return "", fmt.Errorf("%w: %q must not start with '-'", ErrLabel, l)
	}
	for _, r := range l {
		if !unicode.IsPrint(r) {
			return "", fmt.Errorf("%w: %q contains a control character", ErrLabel, l)
		}
	}
	return l, nil
}

const accountColumns = `id, label, account_uuid, email, display_name, org_uuid, org_name, org_type,
	subscription, rate_tier, keyring_ref, created_at, last_used_at, needs_relogin, relogin_reason, cooldown_until`

func scanAccount(stmt *sqlite.Stmt) Account {
	a := Account{
		ID: stmt.ColumnInt64(0), Label: stmt.ColumnText(1), AccountUUID: stmt.ColumnText(2),
		Email: stmt.ColumnText(3), DisplayName: stmt.ColumnText(4), OrgUUID: stmt.ColumnText(5),
		OrgName: stmt.ColumnText(6), OrgType: stmt.ColumnText(7), Subscription: stmt.ColumnText(8),
		RateTier: stmt.ColumnText(9), KeyringRef: stmt.ColumnText(10),
		CreatedAt:     time.UnixMilli(stmt.ColumnInt64(11)),
		NeedsRelogin:  stmt.ColumnInt64(13) != 0,
		ReloginReason: stmt.ColumnText(14),
	}
	if stmt.ColumnType(12) != sqlite.TypeNull {
		t := time.UnixMilli(stmt.ColumnInt64(12))
		a.LastUsedAt = &t
	}
	if stmt.ColumnType(15) != sqlite.TypeNull {
		t := time.UnixMilli(stmt.ColumnInt64(15))
		a.CooldownUntil = &t
	}
	return a
}

func (m *Manager) query(ctx context.Context, where string, args ...any) ([]Account, error) {
	var out []Account
	err := m.db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, "SELECT "+accountColumns+" FROM accounts "+where, &sqlitex.ExecOptions{
			Args: args,
			ResultFunc: func(stmt *sqlite.Stmt) error {
				out = append(out, scanAccount(stmt))
				return nil
			},
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading accounts: %w", err)
	}
	return out, nil
}

// List returns every account, oldest first.
func (m *Manager) List(ctx context.Context) ([]Account, error) {
	return m.query(ctx, "ORDER BY id")
}

// Get returns the account with the given id.
func (m *Manager) Get(ctx context.Context, id int64) (*Account, error) {
	rows, err := m.query(ctx, "WHERE id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w (id %d)", ErrNotFound, id)
	}
	return &rows[0], nil
}

// ByLabel returns the account with the given label (case-insensitive).
func (m *Manager) ByLabel(ctx context.Context, label string) (*Account, error) {
	rows, err := m.query(ctx, "WHERE label = ?", strings.TrimSpace(label))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w labelled %q (see `aimonitor list`)", ErrNotFound, strings.TrimSpace(label))
	}
	return &rows[0], nil
}

// Rename changes an account's label.
func (m *Manager) Rename(ctx context.Context, oldLabel, newLabel string) (*Account, error) {
	nl, err := CheckLabel(newLabel)
	if err != nil {
		return nil, err
	}
	a, err := m.ByLabel(ctx, oldLabel)
	if err != nil {
		return nil, err
	}
	err = m.db.Write(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, "UPDATE accounts SET label = ? WHERE id = ?", &sqlitex.ExecOptions{Args: []any{nl, a.ID}})
	})
	if sqlite.ErrCode(err) == sqlite.ResultConstraintUnique {
		return nil, fmt.Errorf("%w: the label %q is already taken", ErrLabel, nl)
	}
	if err != nil {
		return nil, fmt.Errorf("renaming %q: %w", a.Label, err)
	}
	a.Label = nl
	return a, nil
}

// Remove forgets an account. With purge its saved login is deleted from
// the keyring too. Claude Code's live login is never touched: removing the
// active account leaves Claude Code logged in as it is.
func (m *Manager) Remove(ctx context.Context, label string, purge bool) (*Account, error) {
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	a, err := m.ByLabel(ctx, label)
	if err != nil {
		return nil, err
	}
	if purge {
		err := m.kr.Delete(ctx, a.KeyringRef, m.krAcct)
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return nil, fmt.Errorf("deleting the saved login of %q from the keyring (nothing was removed): %w", a.Label, err)
		}
	}
	err = m.db.Write(ctx, func(conn *sqlite.Conn) error {
		if err := sqlitex.Execute(conn, "DELETE FROM accounts WHERE id = ?", &sqlitex.ExecOptions{Args: []any{a.ID}}); err != nil {
			return err
		}
		return sqlitex.Execute(conn, "DELETE FROM settings WHERE key = ?", &sqlitex.ExecOptions{Args: []any{identityKey(a.ID)}})
	})
	if err != nil {
		return nil, fmt.Errorf("removing %q: %w", a.Label, err)
	}
	return a, nil
}

// SetNeedsRelogin marks an account's saved login as dead, with a reason
// for the user.
func (m *Manager) SetNeedsRelogin(ctx context.Context, id int64, reason string) error {
	return m.exec(ctx, "UPDATE accounts SET needs_relogin = 1, relogin_reason = ? WHERE id = ?", reason, id)
}

// ClearNeedsRelogin clears the mark after the login worked again.
func (m *Manager) ClearNeedsRelogin(ctx context.Context, id int64) error {
	return m.exec(ctx, "UPDATE accounts SET needs_relogin = 0, relogin_reason = '' WHERE id = ? AND needs_relogin != 0", id)
}

// SetCooldown records that the usage endpoint asked to wait until then
// (zero time clears it).
func (m *Manager) SetCooldown(ctx context.Context, id int64, until time.Time) error {
	var v any
	if !until.IsZero() {
		v = until.UnixMilli()
	}
	return m.exec(ctx, "UPDATE accounts SET cooldown_until = ? WHERE id = ?", v, id)
}

func (m *Manager) exec(ctx context.Context, q string, args ...any) error {
	err := m.db.Write(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, q, &sqlitex.ExecOptions{Args: args})
	})
	if err != nil {
		return fmt.Errorf("updating the account: %w", err)
	}
	return nil
}

// identityKey is the settings key holding an account's oauthAccount
// (identity only: no secret), put back into .claude.json on a switch.
func identityKey(id int64) string { return fmt.Sprintf("accounts.identity.%d", id) }

const lastActiveKey = "accounts.last_active"

func (m *Manager) storedIdentity(ctx context.Context, a *Account) ([]byte, error) {
	v, ok, err := m.db.GetSetting(ctx, identityKey(a.ID))
	if err != nil {
		return nil, err
	}
	if ok && v != "" {
		return []byte(v), nil
	}
	// Fall back to what the row knows; Claude Code fills in the rest.
	return claudecode.NewIdentity(a.AccountUUID, a.Email, a.OrgUUID, a.OrgName, a.DisplayName, "").Raw, nil
}

// stashLabel is what a keyring manager shows for an account's stash.
func stashLabel(email, org string) string {
	return fmt.Sprintf("aimonitor: Claude login of %s (%s)", email, org)
}

// LogEntry is one row of the switch audit.
type LogEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	FromLabel string    `json:"from"`
	ToLabel   string    `json:"to"`
	Trigger   string    `json:"trigger"`
	Reason    string    `json:"reason"`
	OK        bool      `json:"ok"`
	Error     string    `json:"error,omitempty"`
}

// Log returns the switch audit, newest first (limit <= 0: 100).
func (m *Manager) Log(ctx context.Context, limit int) ([]LogEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []LogEntry
	err := m.db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, `SELECT id, ts, from_label, to_label, trigger, reason, ok, error
			FROM switch_log ORDER BY ts DESC, id DESC LIMIT ?`, &sqlitex.ExecOptions{
			Args: []any{limit},
			ResultFunc: func(stmt *sqlite.Stmt) error {
				out = append(out, LogEntry{
					ID: stmt.ColumnInt64(0), At: time.UnixMilli(stmt.ColumnInt64(1)),
					FromLabel: stmt.ColumnText(2), ToLabel: stmt.ColumnText(3), Trigger: stmt.ColumnText(4),
					Reason: stmt.ColumnText(5), OK: stmt.ColumnInt64(6) != 0, Error: stmt.ColumnText(7),
				})
				return nil
			},
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading the switch log: %w", err)
	}
	return out, nil
}

// Triggers of a switch, as recorded in the audit.
const (
	TriggerManual   = "manual"
	TriggerAuto     = "auto"
	TriggerExternal = "external"
	TriggerRestore  = "restore"
)

func validTrigger(t string) bool {
	switch t {
	case TriggerManual, TriggerAuto, TriggerExternal, TriggerRestore:
		return true
	}
	return false
}

func (m *Manager) audit(ctx context.Context, from, to *Account, fromLabel, toLabel, trigger, reason string, failure error) {
	err := m.db.Write(context.WithoutCancel(ctx), func(conn *sqlite.Conn) error {
		return m.auditRow(conn, from, to, fromLabel, toLabel, trigger, reason, failure)
	})
	if err != nil {
		m.log.Warn("could not record the switch in the audit log", "err", err)
	}
}

// auditRow writes audit's row on a connection inside the caller's
// transaction.
func (m *Manager) auditRow(conn *sqlite.Conn, from, to *Account, fromLabel, toLabel, trigger, reason string, failure error) error {
	var fromID, toID any
	if from != nil {
		fromID, fromLabel = from.ID, from.Label
	}
	if to != nil {
		toID, toLabel = to.ID, to.Label
	}
	ok, msg := 1, ""
	if failure != nil {
		ok, msg = 0, failure.Error()
	}
	// The audit is stored and shown: whatever a message quotes (a file's
	// contents, an answer) passes the same redactor as the logs.
	fromLabel, toLabel, reason, msg = logging.Redact(fromLabel), logging.Redact(toLabel), logging.Redact(reason), logging.Redact(msg)
	return sqlitex.Execute(conn, `INSERT INTO switch_log(ts, from_id, to_id, from_label, to_label, trigger, reason, ok, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, &sqlitex.ExecOptions{
		Args: []any{m.clk.Now().UnixMilli(), fromID, toID, fromLabel, toLabel, trigger, reason, ok, msg},
	})
}
