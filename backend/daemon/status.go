package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// Settings keys of the status row. The document is rewritten when its
// content changes and at least every heartbeat; the revision row is tiny, so
// readers can check it often and decode the document only when it moved.
const (
	StatusKey         = "status"
	StatusRevisionKey = "status_rev"
	// StatusVersion is the document's schema version.
	StatusVersion = 1
)

// Owner says which process polls.
type Owner struct {
	PID   int       `json:"pid"`
	Mode  string    `json:"mode"` // "daemon" or "widget"
	Since time.Time `json:"since"`
}

// AccountStatus is one account in the status document.
type AccountStatus struct {
	ID            int64      `json:"id"`
	Label         string     `json:"label"`
	Email         string     `json:"email"`
	Active        bool       `json:"active"`
	NeedsRelogin  bool       `json:"needs_relogin"`
	ReloginReason string     `json:"relogin_reason,omitempty"`
	CooldownUntil *time.Time `json:"cooldown_until,omitempty"`
	// Usage is the same object `list --json` shows, null when never fetched.
	Usage *usage.ListUsage `json:"usage"`
	// Predictions per window: burn rate and exhaustion time.
	Predictions map[string]usage.WindowPrediction `json:"predictions,omitempty"`
	// NextRequestAt is when the usage endpoint may be asked again for
	// this account (spacing, backoff or Retry-After).
	NextRequestAt *time.Time `json:"next_request_at,omitempty"`
	// LastError is the last polling failure, cleared by a success.
	LastError string `json:"last_error,omitempty"`
}

// PendingSwap is an armed automatic swap.
type PendingSwap struct {
	// Key identifies this swap (for Daemon.CancelPending).
	Key      string    `json:"key"`
	From     string    `json:"from"`
	Target   string    `json:"target"`
	TargetID int64     `json:"target_id"`
	FiresAt  time.Time `json:"fires_at"`
	Reason   string    `json:"reason"`
}

// Decision is the most recent auto-swap decision worth showing.
type Decision struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Reason string    `json:"reason"`
}

// Document is the status row: everything the widget and `aimonitor usage`
// show, published by the one process that polls.
type Document struct {
	Version  int    `json:"version"`
	Revision string `json:"revision"` // digest of everything but the heartbeat
	// Heartbeat is when the owner last wrote the document; an old one
	// means nobody is polling.
	Heartbeat       time.Time       `json:"heartbeat"`
	Owner           Owner           `json:"owner"`
	AutoSwap        bool            `json:"auto_swap"`
	Accounts        []AccountStatus `json:"accounts"`
	PendingSwap     *PendingSwap    `json:"pending_swap"`
	LastDecision    *Decision       `json:"last_decision,omitempty"`
	NextPoll        *time.Time      `json:"next_poll"`
	NextPollReason  string          `json:"next_poll_reason,omitempty"`
	LastError       string          `json:"last_error,omitempty"`
	LastErrorAt     *time.Time      `json:"last_error_at,omitempty"`
	HeartbeatPeriod time.Duration   `json:"heartbeat_period_ns"`
}

// Alive reports whether the owner wrote the document recently (within three
// heartbeats).
func (d *Document) Alive(now time.Time) bool {
	until := d.AliveUntil()
	return !until.IsZero() && !now.After(until)
}

// AliveUntil is the last instant at which Alive holds; zero when it never
// does. (The status line's cache keeps it, to judge liveness later without
// this package.)
func (d *Document) AliveUntil() time.Time {
	if d == nil || d.Heartbeat.IsZero() {
		return time.Time{}
	}
	period := d.HeartbeatPeriod
	if period <= 0 {
		period = DefaultHeartbeat
	}
	return d.Heartbeat.Add(3 * period)
}

// digest fingerprints the content, heartbeat excluded.
func digest(d Document) (string, error) {
	d.Heartbeat, d.Revision = time.Time{}, ""
	data, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12]), nil
}

// Publisher writes the status row.
type Publisher struct {
	db     *store.Store
	clock  clock.Clock
	period time.Duration

	last      string
	lastWrite time.Time

	after func(ctx context.Context, now time.Time) error
	log   *slog.Logger
}

// NewPublisher returns a Publisher that rewrites an unchanged document once
// per period (the heartbeat).
func NewPublisher(db *store.Store, clk clock.Clock, period time.Duration) *Publisher {
	return &Publisher{db: db, clock: clk, period: period}
}

// AfterWrite makes Publish call fn after each write has committed (outside
// the write transaction); fn's error is logged on log at debug level and
// does not fail Publish. A nil fn calls nothing.
func (p *Publisher) AfterWrite(fn func(ctx context.Context, now time.Time) error, log *slog.Logger) {
	if log == nil {
		log = logging.Discard()
	}
	p.after, p.log = fn, log
}

// Publish writes doc if its content changed or a heartbeat is due. It
// returns the document as written (revision and heartbeat filled in; nil
// when nothing was written) and whether the content changed.
func (p *Publisher) Publish(ctx context.Context, doc Document) (*Document, bool, error) {
	now := p.clock.Now()
	rev, err := digest(doc)
	if err != nil {
		return nil, false, fmt.Errorf("status: %w", err)
	}
	changed := rev != p.last
	if !changed && now.Sub(p.lastWrite) < p.period {
		return nil, false, nil
	}
	doc.Version, doc.Revision, doc.Heartbeat, doc.HeartbeatPeriod = StatusVersion, rev, now, p.period
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, false, fmt.Errorf("status: %w", err)
	}
	err = p.db.Write(ctx, func(conn *sqlite.Conn) error {
		if err := store.PutSetting(conn, StatusKey, string(data), now); err != nil {
			return err
		}
		return store.PutSetting(conn, StatusRevisionKey, rev, now)
	})
	if err != nil {
		return nil, false, fmt.Errorf("status: publishing: %w", err)
	}
	p.last, p.lastWrite = rev, now
	if p.after != nil {
		if err := p.after(ctx, now); err != nil {
			p.log.Debug("status: after publishing", "err", err)
		}
	}
	return &doc, changed, nil
}

// Reader reads the status row another process publishes.
type Reader struct {
	db      *store.Store
	lastRev string
	doc     *Document
}

// NewReader returns a Reader on db.
func NewReader(db *store.Store) *Reader { return &Reader{db: db} }

// Read returns the current document, nil when none was ever published.
func (r *Reader) Read(ctx context.Context) (*Document, error) {
	var raw string
	var found bool
	err := r.db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, "SELECT value FROM settings WHERE key = ?", &sqlitex.ExecOptions{
			Args:       []any{StatusKey},
			ResultFunc: func(st *sqlite.Stmt) error { raw, found = st.ColumnText(0), true; return nil }})
	})
	if err != nil || !found {
		return nil, err
	}
	var d Document
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, fmt.Errorf("status: the status row is unreadable: %w", err)
	}
	return &d, nil
}

// Poll checks the revision row (one tiny read) and decodes the document
// only when it changed. It returns the latest document and whether its
// content changed since the previous Poll; the heartbeat is kept current
// either way, so the document's Alive tells whether the owner still runs.
func (r *Reader) Poll(ctx context.Context) (*Document, bool, error) {
	var rev string
	var beat int64
	err := r.db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, `SELECT (SELECT value FROM settings WHERE key = ?), (SELECT updated_at FROM settings WHERE key = ?)`,
			&sqlitex.ExecOptions{Args: []any{StatusRevisionKey, StatusKey}, ResultFunc: func(st *sqlite.Stmt) error {
				rev, beat = st.ColumnText(0), st.ColumnInt64(1)
				return nil
			}})
	})
	if err != nil {
		return r.doc, false, fmt.Errorf("status: %w", err)
	}
	if rev == r.lastRev && r.doc != nil {
		d := *r.doc
		if beat > 0 {
			d.Heartbeat = time.UnixMilli(beat).UTC()
		}
		r.doc = &d
		return r.doc, false, nil
	}
	doc, err := r.Read(ctx)
	if err != nil || doc == nil {
		return r.doc, false, err
	}
	changed := doc.Revision != r.lastRev
	r.lastRev, r.doc = doc.Revision, doc
	return doc, changed, nil
}
