package statusline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
	"github.com/aimonitor/aimonitor/backend/tokens"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// Source says where to read from.
type Source struct {
	DBFile string
	// Claude is Claude Code's environment, to find who it is logged in as.
	Claude claudecode.Env
	// WithTokens sums today's tokens from the ledger (only when the format
	// shows them: it is the one read that grows with use).
	WithTokens bool
	// Identity reads the login from Claude Code's .claude.json
	// (claudecode.QuickIdentityFile when nil; the poller's Refresher keeps
	// the last answer while the file's stamp stays).
	Identity func(path string) (*claudecode.Identity, error)
	// Exiting: the process ends right after, so the connection is left for
	// the OS to drop (its transaction is over): freeing SQLite's memory
	// page by page costs more than the rest of a run.
	Exiting bool
}

// busyWait bounds a wait on a locked database; WAL readers are not blocked
// by writers, so this only matters mid-checkpoint.
const busyWait = 250 * time.Millisecond

// read reads what the line shows from the database and .claude.json.
func read(ctx context.Context, src Source, now time.Time) (*line.Stored, error) {
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
	return readOn(conn, src, now)
}

// readOn is read on an open connection outside any transaction (one of
// its own, or a pooled one of the poller's: Refresher).
func readOn(conn *sqlite.Conn, src Source, now time.Time) (*line.Stored, error) {
	// One read transaction, so the status row, the accounts and the sample
	// agree with each other.
	if err := exec(conn, "BEGIN"); err != nil {
		return nil, err
	}
	defer func() {
		// Even when interrupted: a pooled connection must not keep a read
		// transaction open (it would hold back every checkpoint).
		done := conn.SetInterrupt(nil)
		exec(conn, "ROLLBACK")
		conn.SetInterrupt(done)
	}()

	doc, err := readStatus(conn)
	if err != nil {
		return nil, unreadable(err)
	}
	accounts, err := readAccounts(conn)
	if err != nil {
		return nil, unreadable(err)
	}
	st := &line.Stored{Accounts: len(accounts)}
	if doc != nil {
		st.HasStatus, st.Heartbeat, st.AliveUntil = true, doc.Heartbeat, doc.AliveUntil()
		if p := doc.PendingSwap; p != nil {
			st.Pending = &line.Pending{From: p.From, Target: p.Target, FiresAt: p.FiresAt}
		}
	}
	if active := identify(src, accounts, doc, st); active != nil {
		a := &line.Account{ID: active.id, Label: active.label, NeedsRelogin: active.needsRelogin, CooldownUntil: active.cooldownUntil}
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
		st.Today = &line.Today{Tokens: t.TotalTokens(), CostUSD: t.CostUSD}
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
func identify(src Source, accounts []accountRow, doc *daemon.Document, snap *line.Stored) *accountRow {
	if src.Claude.Home != "" {
		// Read in small chunks: the file grows to megabytes of history.
		quick := src.Identity
		if quick == nil {
			quick = claudecode.QuickIdentityFile
		}
		if id, err := quick(claudecode.IdentityPath(src.Claude)); err == nil {
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
func fillUsage(conn *sqlite.Conn, a *line.Account, doc *daemon.Document) (*time.Time, error) {
	var predicted *time.Time
	if doc != nil {
		for _, s := range doc.Accounts {
			if s.ID != a.ID {
				continue
			}
			a.LastError = s.LastError
			if u := s.Usage; u != nil {
				a.FiveHour, a.SevenDay, a.FetchedAt = window(u.FiveHour), window(u.SevenDay), u.FetchedAt
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

func window(w *usage.ListWindow) *line.Window {
	if w == nil {
		return nil
	}
	return &line.Window{Utilization: w.Utilization, ResetsAt: w.ResetsAt}
}

func sampleWindow(stmt *sqlite.Stmt, pct, resets int) *line.Window {
	if stmt.ColumnType(pct) == sqlite.TypeNull {
		return nil
	}
	w := &line.Window{Utilization: stmt.ColumnFloat(pct)}
	if stmt.ColumnType(resets) != sqlite.TypeNull {
		t := time.UnixMilli(stmt.ColumnInt64(resets)).UTC()
		w.ResetsAt = &t
	}
	return w
}
