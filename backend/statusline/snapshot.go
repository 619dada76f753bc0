package statusline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/tokens"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// Snapshot is everything the line shows, read from what the poller and the
// token ingester already stored. Building it sends no request, reads no
// transcript and writes nothing.
type Snapshot struct {
	Now time.Time
	// NoDatabase: aimonitor has never run here (no database file).
	NoDatabase bool
	// Accounts is how many accounts are saved.
	Accounts int
	// Account is the saved account Claude Code is logged in with; nil when
	// it uses a login aimonitor has not saved (LiveEmail) or none at all.
	Account   *Account
	LiveEmail string
	LoggedOut bool
	// Polled: a poller (daemon or widget) wrote the status row within its
	// last three heartbeats.
	Polled    bool
	Heartbeat time.Time
	// Pending is the armed automatic swap, if a live poller armed one.
	Pending *daemon.PendingSwap
	// Today is the day's token totals, when asked for.
	Today *tokens.Totals
}

// Account is the active account as the line shows it.
type Account struct {
	ID            int64
	Label         string
	NeedsRelogin  bool
	CooldownUntil *time.Time
	FiveHour      *usage.ListWindow
	SevenDay      *usage.ListWindow
	// FetchedAt is when the numbers were fetched; zero when never.
	FetchedAt time.Time
	// RunsOutAt is the predicted exhaustion of a window, set only when it
	// comes before that window resets.
	RunsOutAt *time.Time
	LastError string
}

// Source says where to read from.
type Source struct {
	DBFile string
	// Claude is Claude Code's environment, to find who it is logged in as.
	Claude claudecode.Env
	// WithTokens sums today's tokens from the ledger (only when the format
	// shows them: it is the one read that grows with use).
	WithTokens bool
	// Exiting: the process ends right after, so the connection is left for
	// the OS to drop (its transaction is over): freeing SQLite's memory
	// page by page costs more than the rest of a run.
	Exiting bool
	// CacheFile, when set, keeps what was read between runs (cache.go): a
	// run that finds the database, .claude.json and the day unchanged
	// reads it instead of opening the database.
	CacheFile string
}

// busyWait bounds a wait on a locked database; WAL readers are not blocked
// by writers, so this only matters mid-checkpoint.
const busyWait = 250 * time.Millisecond

// Load reads a Snapshot as of now.
func Load(ctx context.Context, src Source, now time.Time) (*Snapshot, error) {
	if _, err := os.Stat(src.DBFile); errors.Is(err, fs.ErrNotExist) {
		return &Snapshot{Now: now, NoDatabase: true}, nil
	}
	var key string
	if src.CacheFile != "" {
		key = cacheKey(src, now)
		if st := readCache(src.CacheFile, key, now); st != nil {
			return st.snapshot(now), nil
		}
	}
	st, err := read(ctx, src, now)
	if err != nil {
		return nil, err
	}
	if src.CacheFile != "" {
		writeCache(src.CacheFile, key, st, now)
	}
	return st.snapshot(now), nil
}

// stored is what a Snapshot is made of that does not depend on the clock:
// what the database and .claude.json held. The status line cache keeps it.
type stored struct {
	Accounts  int
	LoggedOut bool
	LiveEmail string
	// From the status row, when there is a readable one (HasStatus): its
	// heartbeat and period, and the swap it announces. (Flat, not the whole
	// Document: decoding its types would cost a cached run more than the
	// rest of the cache.)
	HasStatus       bool
	Heartbeat       time.Time
	HeartbeatPeriod time.Duration
	Pending         *daemon.PendingSwap
	// Account is the active account without RunsOutAt; Predicted is the
	// poller's prediction when the numbers are the status row's.
	Account   *Account
	Predicted *time.Time
	Today     *tokens.Totals
}

// snapshot is the Snapshot of st as of now.
func (st *stored) snapshot(now time.Time) *Snapshot {
	snap := &Snapshot{Now: now, Accounts: st.Accounts, LoggedOut: st.LoggedOut, LiveEmail: st.LiveEmail, Today: st.Today}
	if st.HasStatus {
		snap.Heartbeat = st.Heartbeat
		doc := daemon.Document{Heartbeat: st.Heartbeat, HeartbeatPeriod: st.HeartbeatPeriod}
		if doc.Alive(now) {
			snap.Polled, snap.Pending = true, st.Pending
		}
	}
	if st.Account != nil {
		a := *st.Account
		if st.Predicted != nil {
			a.RunsOutAt = runsOut(&usage.ListUsage{FiveHour: a.FiveHour, SevenDay: a.SevenDay, PredictedExhaustedAt: st.Predicted}, now)
		}
		snap.Account = &a
	}
	if snap.Pending != nil && snap.Account != nil && snap.Pending.From != snap.Account.Label {
		snap.Pending = nil // armed for an account Claude Code no longer uses
	}
	return snap
}

// read reads what the line shows from the database and .claude.json.
func read(ctx context.Context, src Source, now time.Time) (*stored, error) {
	// Read-only, one connection, no migrations: the status line must not
	// change the database and must cost next to nothing.
	conn, err := sqlite.OpenConn(src.DBFile, sqlite.OpenReadOnly)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	if !src.Exiting {
		defer conn.Close()
	}
	conn.SetInterrupt(ctx.Done())
	conn.SetBusyTimeout(busyWait)
	// Read pages through a mapping of the file rather than into buffers of
	// SQLite's allocator, each of which costs an mmap and a munmap.
	if err := exec(conn, "PRAGMA mmap_size = 1073741824"); err != nil {
		return nil, err
	}
	// One read transaction, so the status row, the accounts and the sample
	// agree with each other.
	if err := exec(conn, "BEGIN"); err != nil {
		return nil, err
	}
	defer exec(conn, "ROLLBACK")

	doc, err := readStatus(conn)
	if err != nil {
		return nil, unreadable(err)
	}
	accounts, err := readAccounts(conn)
	if err != nil {
		return nil, unreadable(err)
	}
	st := &stored{Accounts: len(accounts)}
	if doc != nil {
		st.HasStatus, st.Heartbeat, st.HeartbeatPeriod, st.Pending = true, doc.Heartbeat, doc.HeartbeatPeriod, doc.PendingSwap
	}
	if active := identify(src.Claude, accounts, doc, st); active != nil {
		a := &Account{ID: active.id, Label: active.label, NeedsRelogin: active.needsRelogin, CooldownUntil: active.cooldownUntil}
		predicted, err := fillUsage(conn, a, doc)
		if err != nil {
			return nil, err
		}
		st.Account, st.Predicted = a, predicted
	}
	if src.WithTokens {
		t, err := tokens.DayTotals(conn, now)
		if err != nil {
			return nil, fmt.Errorf("reading today's tokens: %w", err)
		}
		st.Today = &t
	}
	return st, nil
}

// unreadable words a failed first read: usually not aimonitor's database,
// or one from an aimonitor too old to have the tables.
func unreadable(err error) error {
	if code := sqlite.ErrCode(err); code != sqlite.ResultOK && code != sqlite.ResultError {
		return fmt.Errorf("the database is unreadable (%s)", code.Message())
	}
	return fmt.Errorf("the database is unreadable: %w", err)
}

func exec(conn *sqlite.Conn, sql string) error {
	stmt, _, err := conn.PrepareTransient(sql)
	if err != nil {
		return fmt.Errorf("reading the database: %w", err)
	}
	defer stmt.Finalize()
	if _, err := stmt.Step(); err != nil {
		return fmt.Errorf("reading the database: %w", err)
	}
	return nil
}

func readStatus(conn *sqlite.Conn) (*daemon.Document, error) {
	stmt, err := conn.Prepare(`SELECT value FROM settings WHERE key = ?`)
	if err != nil {
		return nil, fmt.Errorf("reading the status row: %w", err)
	}
	defer stmt.Reset()
	stmt.BindText(1, daemon.StatusKey)
	row, err := stmt.Step()
	if err != nil {
		return nil, fmt.Errorf("reading the status row: %w", err)
	}
	if !row {
		return nil, nil
	}
	var doc daemon.Document
	if err := json.Unmarshal([]byte(stmt.ColumnText(0)), &doc); err != nil {
		// A row from a newer or broken writer: carry on with the tables.
		return nil, nil
	}
	return &doc, nil
}

type accountRow struct {
	id            int64
	label, email  string
	accountUUID   string
	orgUUID       string
	needsRelogin  bool
	cooldownUntil *time.Time
}

func readAccounts(conn *sqlite.Conn) ([]accountRow, error) {
	stmt, err := conn.Prepare(`SELECT id, label, email, account_uuid, org_uuid, needs_relogin, cooldown_until FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading the accounts: %w", err)
	}
	defer stmt.Reset()
	var out []accountRow
	for {
		row, err := stmt.Step()
		if err != nil {
			return nil, fmt.Errorf("reading the accounts: %w", err)
		}
		if !row {
			return out, nil
		}
		a := accountRow{id: stmt.ColumnInt64(0), label: stmt.ColumnText(1), email: stmt.ColumnText(2),
			accountUUID: stmt.ColumnText(3), orgUUID: stmt.ColumnText(4), needsRelogin: stmt.ColumnInt64(5) != 0}
		if stmt.ColumnType(6) != sqlite.TypeNull {
			t := time.UnixMilli(stmt.ColumnInt64(6)).UTC()
			a.cooldownUntil = &t
		}
		out = append(out, a)
	}
}

// identify finds the account Claude Code uses: the login named in its own
// .claude.json (which a switch rewrites at once), else what the status row
// last saw.
func identify(env claudecode.Env, accounts []accountRow, doc *daemon.Document, snap *stored) *accountRow {
	if env.Home != "" {
		// Read in small chunks: the file grows to megabytes of history.
		if id, err := claudecode.QuickIdentityFile(claudecode.IdentityPath(env)); err == nil {
			{
				if id == nil {
					snap.LoggedOut = true
					return nil
				}
				for i := range accounts {
					a := &accounts[i]
					if a.accountUUID != "" && a.accountUUID == id.AccountUUID && a.orgUUID == id.OrganizationUUID {
						return a
					}
				}
				for i := range accounts {
					a := &accounts[i]
					if a.email != "" && a.email == id.EmailAddress && a.orgUUID == id.OrganizationUUID {
						return a
					}
				}
				snap.LiveEmail = id.EmailAddress
				if snap.LiveEmail == "" {
					snap.LiveEmail = "an unsaved login"
				}
				return nil
			}
		}
	}
	if doc != nil {
		for _, s := range doc.Accounts {
			if s.Active {
				for i := range accounts {
					if accounts[i].id == s.ID {
						return &accounts[i]
					}
				}
			}
		}
	}
	return nil
}

// fillUsage takes the account's numbers from the status row, or from its
// newest stored sample when that is newer (a CLI refresh while no poller
// runs). It returns the poller's prediction of when a window runs out when
// the numbers are the status row's.
func fillUsage(conn *sqlite.Conn, a *Account, doc *daemon.Document) (*time.Time, error) {
	var predicted *time.Time
	if doc != nil {
		for _, s := range doc.Accounts {
			if s.ID != a.ID {
				continue
			}
			a.LastError = s.LastError
			if u := s.Usage; u != nil {
				a.FiveHour, a.SevenDay, a.FetchedAt = u.FiveHour, u.SevenDay, u.FetchedAt
				predicted = u.PredictedExhaustedAt
			}
		}
	}
	stmt, err := conn.Prepare(`SELECT ts, five_hour, five_hour_resets, seven_day, seven_day_resets
		FROM usage_samples WHERE account_id = ? ORDER BY ts DESC LIMIT 1`)
	if err != nil {
		return nil, fmt.Errorf("reading the usage history: %w", err)
	}
	defer stmt.Reset()
	stmt.BindInt64(1, a.ID)
	row, err := stmt.Step()
	if err != nil {
		return nil, fmt.Errorf("reading the usage history: %w", err)
	}
	if !row {
		return predicted, nil
	}
	ts := time.UnixMilli(stmt.ColumnInt64(0)).UTC()
	if !ts.After(a.FetchedAt) {
		return predicted, nil
	}
	a.FetchedAt = ts
	a.FiveHour = sampleWindow(stmt, 1, 2)
	a.SevenDay = sampleWindow(stmt, 3, 4)
	return nil, nil
}

func sampleWindow(stmt *sqlite.Stmt, pct, resets int) *usage.ListWindow {
	if stmt.ColumnType(pct) == sqlite.TypeNull {
		return nil
	}
	w := &usage.ListWindow{Utilization: stmt.ColumnFloat(pct)}
	if stmt.ColumnType(resets) != sqlite.TypeNull {
		t := time.UnixMilli(stmt.ColumnInt64(resets)).UTC()
		w.ResetsAt = &t
	}
	return w
}

// runsOut is the predicted exhaustion when it is still ahead and before
// the window it belongs to resets (the poller's prediction already
// requires that; a stale one may have been overtaken by the reset).
func runsOut(u *usage.ListUsage, now time.Time) *time.Time {
	p := u.PredictedExhaustedAt
	if p == nil || !p.After(now) {
		return nil
	}
	for _, w := range []*usage.ListWindow{u.FiveHour, u.SevenDay} {
		if w != nil && w.ResetsAt != nil && !w.ResetsAt.After(now) {
			return nil
		}
	}
	return p
}
