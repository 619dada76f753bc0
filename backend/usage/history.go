package usage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/store"
)

// Retention is how long samples are kept: a little over a month, so a whole
// 7-day window and a billing month of history are always there.
const Retention = 35 * 24 * time.Hour

// pruneEvery spaces the DELETEs that enforce Retention (and LogRetention:
// the audits are pruned in the same pass, see retention.go).
const pruneEvery = time.Hour

// History reads and writes usage samples and the shared polling state.
// It is safe for concurrent use, also by several processes on one file.
type History struct {
	db *store.Store

	mu         sync.Mutex
	lastPruned time.Time
}

// NewHistory returns a History on db (migrated by store.Open).
func NewHistory(db *store.Store) *History { return &History{db: db} }

// Store is the database the history lives in.
func (h *History) Store() *store.Store { return h.db }

func msOf(t time.Time) int64 { return t.UnixMilli() }

func timeOf(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullableMs(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func nullableUtil(w *anthropic.Window) any {
	if w == nil {
		return nil
	}
	return w.Utilization
}

func nullableResets(w *anthropic.Window) any {
	if w == nil {
		return nil
	}
	return nullableMs(w.ResetsAt)
}

// Insert stores a sample (replacing one of the same account and millisecond)
// and, at most once an hour, drops samples older than Retention and audit
// rows past LogRetention.
func (h *History) Insert(ctx context.Context, s Sample) error {
	return h.db.Write(ctx, func(conn *sqlite.Conn) error {
		if err := insertSample(conn, s); err != nil {
			return err
		}
		return h.maybePrune(conn, s.FetchedAt)
	})
}

func insertSample(conn *sqlite.Conn, s Sample) error {
	if s.Usage == nil {
		return errors.New("usage: a sample without usage cannot be stored")
	}
	data, err := json.Marshal(s.Usage)
	if err != nil {
		return fmt.Errorf("usage: encoding a sample: %w", err)
	}
	err = sqlitex.Execute(conn, `INSERT OR REPLACE INTO usage_samples
		(account_id, ts, five_hour, five_hour_resets, seven_day, seven_day_resets, data)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, &sqlitex.ExecOptions{Args: []any{
		s.AccountID, msOf(s.FetchedAt),
		nullableUtil(s.Usage.FiveHour), nullableResets(s.Usage.FiveHour),
		nullableUtil(s.Usage.SevenDay), nullableResets(s.Usage.SevenDay),
		string(data),
	}})
	if err != nil {
		return fmt.Errorf("usage: storing a sample: %w", err)
	}
	return nil
}

func (h *History) maybePrune(conn *sqlite.Conn, now time.Time) error {
	h.mu.Lock()
	due := now.Sub(h.lastPruned) >= pruneEvery
	if due {
		h.lastPruned = now
	}
	h.mu.Unlock()
	if !due {
		return nil
	}
	// Samples and audits go in the sample's transaction: a pass that fails
	// part-way is rolled back whole, so it deletes nothing at all.
	if _, err := prune(conn, now.Add(-Retention)); err != nil {
		return err
	}
	_, err := pruneLogs(conn, now)
	return err
}

func prune(conn *sqlite.Conn, before time.Time) (int, error) {
	err := sqlitex.Execute(conn, "DELETE FROM usage_samples WHERE ts < ?", &sqlitex.ExecOptions{Args: []any{msOf(before)}})
	if err != nil {
		return 0, fmt.Errorf("usage: pruning history: %w", err)
	}
	return conn.Changes(), nil
}

// Prune drops every sample older than before and reports how many went.
func (h *History) Prune(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := h.db.Write(ctx, func(conn *sqlite.Conn) error {
		var err error
		n, err = prune(conn, before)
		return err
	})
	return n, err
}

func scanSample(stmt *sqlite.Stmt) (Sample, error) {
	s := Sample{AccountID: stmt.GetInt64("account_id"), FetchedAt: timeOf(stmt.GetInt64("ts")), Usage: &anthropic.Usage{}}
	if err := json.Unmarshal([]byte(stmt.GetText("data")), s.Usage); err != nil {
		return Sample{}, fmt.Errorf("usage: a stored sample is unreadable: %w", err)
	}
	return s, nil
}

// latestSQL finds the newest sample of every account with a recursive
// skip-scan over the (account_id, ts) primary key: one index seek per
// account instead of the full scan a GROUP BY does (the benchmark in
// history_test.go measures the difference).
const latestSQL = `
WITH RECURSIVE ids(id) AS (
  SELECT (SELECT account_id FROM usage_samples ORDER BY account_id LIMIT 1)
  UNION ALL
  SELECT (SELECT account_id FROM usage_samples WHERE account_id > ids.id ORDER BY account_id LIMIT 1)
  FROM ids WHERE ids.id IS NOT NULL
)
SELECT s.account_id, s.ts, s.data FROM ids
JOIN usage_samples s ON s.account_id = ids.id
 AND s.ts = (SELECT ts FROM usage_samples WHERE account_id = ids.id ORDER BY ts DESC LIMIT 1)`

// Latest returns the newest sample of every account that has one.
func (h *History) Latest(ctx context.Context) (map[int64]Sample, error) {
	out := map[int64]Sample{}
	err := h.db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, latestSQL, &sqlitex.ExecOptions{ResultFunc: func(stmt *sqlite.Stmt) error {
			s, err := scanSample(stmt)
			if err != nil {
				return err
			}
			out[s.AccountID] = s
			return nil
		}})
	})
	if err != nil {
		return nil, fmt.Errorf("usage: reading the latest samples: %w", err)
	}
	return out, nil
}

// LatestFor returns the newest sample of one account.
func (h *History) LatestFor(ctx context.Context, accountID int64) (Sample, bool, error) {
	var s Sample
	var found bool
	err := h.db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, `SELECT account_id, ts, data FROM usage_samples WHERE account_id = ? ORDER BY ts DESC LIMIT 1`,
			&sqlitex.ExecOptions{Args: []any{accountID}, ResultFunc: func(stmt *sqlite.Stmt) error {
				var err error
				s, err = scanSample(stmt)
				found = err == nil
				return err
			}})
	})
	if err != nil {
		return Sample{}, false, fmt.Errorf("usage: reading the latest sample: %w", err)
	}
	return s, found, nil
}

// Since returns the samples of one account fetched at or after since,
// oldest first.
func (h *History) Since(ctx context.Context, accountID int64, since time.Time) ([]Sample, error) {
	var out []Sample
	err := h.db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, `SELECT account_id, ts, data FROM usage_samples WHERE account_id = ? AND ts >= ? ORDER BY ts`,
			&sqlitex.ExecOptions{Args: []any{accountID, msOf(since)}, ResultFunc: func(stmt *sqlite.Stmt) error {
				s, err := scanSample(stmt)
				if err != nil {
					return err
				}
				out = append(out, s)
				return nil
			}})
	})
	if err != nil {
		return nil, fmt.Errorf("usage: reading history: %w", err)
	}
	return out, nil
}

// PollState is the shared polling state of one account.
type PollState struct {
	AccountID int64 `json:"account_id"`
	// NotBefore is when the next request may go out: the later of our own
	// spacing/backoff and the account's Retry-After cooldown.
	NotBefore   time.Time  `json:"not_before"`
	Failures    int        `json:"failures"`
	LastAttempt *time.Time `json:"last_attempt,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	ErrorKind   string     `json:"error_kind,omitempty"`
}

// pollStateSQL joins our spacing with the cooldown the accounts table holds.
const pollStateSQL = `SELECT a.id AS account_id,
  max(coalesce(p.not_before, 0), coalesce(a.cooldown_until, 0)) AS not_before,
  coalesce(p.failures, 0) AS failures, p.last_attempt AS last_attempt,
  coalesce(p.last_error, '') AS last_error, coalesce(p.error_kind, '') AS error_kind
FROM accounts a LEFT JOIN usage_poll p ON p.account_id = a.id`

func scanPollState(stmt *sqlite.Stmt) PollState {
	ps := PollState{
		AccountID: stmt.GetInt64("account_id"),
		Failures:  int(stmt.GetInt64("failures")),
		LastError: stmt.GetText("last_error"),
		ErrorKind: stmt.GetText("error_kind"),
	}
	if nb := stmt.GetInt64("not_before"); nb > 0 {
		ps.NotBefore = timeOf(nb)
	}
	if stmt.ColumnType(stmt.ColumnIndex("last_attempt")) != sqlite.TypeNull {
		t := timeOf(stmt.GetInt64("last_attempt"))
		ps.LastAttempt = &t
	}
	return ps
}

// PollStates returns the polling state of every account in the accounts table.
func (h *History) PollStates(ctx context.Context) (map[int64]PollState, error) {
	out := map[int64]PollState{}
	err := h.db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, pollStateSQL, &sqlitex.ExecOptions{ResultFunc: func(stmt *sqlite.Stmt) error {
			ps := scanPollState(stmt)
			out[ps.AccountID] = ps
			return nil
		}})
	})
	if err != nil {
		return nil, fmt.Errorf("usage: reading the polling state: %w", err)
	}
	return out, nil
}

func pollStateOf(conn *sqlite.Conn, accountID int64) (PollState, bool, error) {
	var ps PollState
	var found bool
	err := sqlitex.Execute(conn, pollStateSQL+" WHERE a.id = ?", &sqlitex.ExecOptions{Args: []any{accountID}, ResultFunc: func(stmt *sqlite.Stmt) error {
		ps, found = scanPollState(stmt), true
		return nil
	}})
	return ps, found, err
}

// ErrUnknownAccount is returned for an account id the database does not have.
var ErrUnknownAccount = errors.New("no such account")

// claim reserves the right to send one request for accountID now. In one
// IMMEDIATE transaction it checks the shared gate and, if open, pushes it
// to now+hold, so a second process arriving meanwhile waits instead of
// sending a twin request. It returns the gate's time when closed.
func (h *History) claim(ctx context.Context, accountID int64, now time.Time, hold time.Duration) (ok bool, notBefore time.Time, err error) {
	err = h.db.Write(ctx, func(conn *sqlite.Conn) error {
		ps, found, err := pollStateOf(conn, accountID)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("usage: account %d: %w", accountID, ErrUnknownAccount)
		}
		if ps.NotBefore.After(now) {
			notBefore = ps.NotBefore
			return nil
		}
		ok = true
		return upsertPoll(conn, accountID, msOf(now.Add(hold)), ps.Failures, now, ps.LastError, ps.ErrorKind)
	})
	if err != nil {
		return false, time.Time{}, fmt.Errorf("usage: %w", err)
	}
	return ok, notBefore, nil
}

func upsertPoll(conn *sqlite.Conn, accountID, notBefore int64, failures int, attempt time.Time, lastError, kind string) error {
	return sqlitex.Execute(conn, `INSERT INTO usage_poll(account_id, not_before, failures, last_attempt, last_error, error_kind)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(account_id) DO UPDATE SET not_before = excluded.not_before, failures = excluded.failures,
		  last_attempt = excluded.last_attempt, last_error = excluded.last_error, error_kind = excluded.error_kind`,
		&sqlitex.ExecOptions{Args: []any{accountID, notBefore, failures, msOf(attempt), lastError, kind}})
}

// recordSuccess stores the sample, reopens the gate after spacing and
// forgets earlier failures.
func (h *History) recordSuccess(ctx context.Context, s Sample, spacing time.Duration) error {
	return h.db.Write(ctx, func(conn *sqlite.Conn) error {
		if err := insertSample(conn, s); err != nil {
			return err
		}
		if err := upsertPoll(conn, s.AccountID, msOf(s.FetchedAt.Add(spacing)), 0, s.FetchedAt, "", ""); err != nil {
			return fmt.Errorf("usage: recording a poll: %w", err)
		}
		return h.maybePrune(conn, s.FetchedAt)
	})
}

// failure is what recordFailure persists.
type failure struct {
	accountID int64
	at        time.Time
	// notBefore gives the reopening time from the updated failure count.
	notBefore func(failures int) time.Time
	kind      string
	message   string
	// count adds one to the consecutive-failure counter (backoff).
	count bool
	// cooldown also sets accounts.cooldown_until (a Retry-After), where
	// every part of the app sees that this account cannot be asked now.
	cooldown bool
}

func (h *History) recordFailure(ctx context.Context, f failure) (notBefore time.Time, err error) {
	err = h.db.Write(ctx, func(conn *sqlite.Conn) error {
		ps, _, err := pollStateOf(conn, f.accountID)
		if err != nil {
			return err
		}
		failures := ps.Failures
		if f.count {
			failures++
		}
		notBefore = f.notBefore(failures)
		if err := upsertPoll(conn, f.accountID, msOf(notBefore), failures, f.at, f.message, f.kind); err != nil {
			return err
		}
		if f.cooldown {
			return sqlitex.Execute(conn, "UPDATE accounts SET cooldown_until = ? WHERE id = ?",
				&sqlitex.ExecOptions{Args: []any{msOf(notBefore), f.accountID}})
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("usage: recording a failed poll: %w", err)
	}
	return notBefore, nil
}
