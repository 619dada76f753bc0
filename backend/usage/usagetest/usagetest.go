// Package usagetest is a test harness for the polling stack: the Anthropic
// simulator on loopback with a fake clock, a real anthropic.Client reaching
// it through the egress allowlist, a real SQLite store, and Accounts, an
// in-memory stand-in for the accounts Manager that keeps its flags in the
// accounts table exactly where the Manager does (so several "processes" on
// one database see each other's state). Only tests import it.
package usagetest

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/egress"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// T0 is where every fake clock starts: a Monday morning.
var T0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Env is one simulated world.
type Env struct {
	Clock    *clock.Fake
	Sim      *sim.Server
	URL      string
	Client   *anthropic.Client
	DBFile   string
	Store    *store.Store
	Accounts *Accounts
}

// New starts the simulator (rate limit off unless simOpts say otherwise)
// and opens a store in a temporary directory.
func New(t testing.TB, simOpts ...sim.Option) *Env {
	t.Helper()
	clk := clock.NewFake(T0)
	s := sim.New(clk, append([]sim.Option{sim.WithRateLimit(0, time.Minute)}, simOpts...)...)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	client := NewClient(t, clk, srv.URL)
	file := filepath.Join(t.TempDir(), "aimonitor.db")
	db := OpenStore(t, file)
	e := &Env{Clock: clk, Sim: s, URL: srv.URL, Client: client, DBFile: file, Store: db}
	e.Accounts = NewAccounts(db, client, clk)
	return e
}

// NewClient is an anthropic.Client for the simulator at base, through the
// egress allowlist as the app builds it.
func NewClient(t testing.TB, clk clock.Clock, base string) *anthropic.Client {
	t.Helper()
	policy, err := egress.PolicyFromOverrides(base, base+sim.TokenPath, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := anthropic.New(egress.NewClient(policy), clk, anthropic.WithBaseURL(base), anthropic.WithTokenURL(base+sim.TokenPath), anthropic.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// OpenStore opens (another handle on) the database file, closed at cleanup.
func OpenStore(t testing.TB, file string) *store.Store {
	t.Helper()
	db, err := store.Open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Add creates an account in the simulator and in the database and returns
// its id and the simulator's account uuid.
func (e *Env) Add(t testing.TB, label string, windows map[string]sim.WindowSpec) (int64, string) {
	t.Helper()
	creds, err := e.Sim.AddAccount(sim.AccountSpec{Email: label + "@example.com", Windows: windows})
	if err != nil {
		t.Fatal(err)
	}
	id := e.Accounts.Add(t, label, creds)
	return id, creds.Identity.AccountUUID
}

// Requests counts usage requests the simulator received for account uuid
// ("" for all).
func (e *Env) Requests(uuid string) int {
	n := 0
	for _, r := range e.Sim.Log().Requests {
		if r.Endpoint == sim.EndpointUsage && (uuid == "" || r.Account == uuid) {
			n++
		}
	}
	return n
}

// SwitchRecord is one call of Accounts.Switch.
type SwitchRecord struct {
	Label, Trigger, Reason string
	At                     time.Time
}

// Accounts stands in for the accounts Manager. Tokens live in memory (the
// real one keeps them in the keyring); needs_relogin, cooldown_until and
// last_used_at live in the accounts table; the active account is shared by
// every handle made with Sibling, like the live credential file is.
type Accounts struct {
	db     *store.Store
	client *anthropic.Client
	clock  clock.Clock
	shared *shared
}

type shared struct {
	mu       sync.Mutex
	tokens   map[int64]*tokens
	labels   map[int64]string
	active   int64
	switches []SwitchRecord
	// FailSwitch makes Switch fail with this error.
	failSwitch error
	refreshes  int
}

type tokens struct{ access, refresh []byte }

// NewAccounts returns an empty stand-in.
func NewAccounts(db *store.Store, client *anthropic.Client, clk clock.Clock) *Accounts {
	return &Accounts{db: db, client: client, clock: clk, shared: &shared{tokens: map[int64]*tokens{}, labels: map[int64]string{}}}
}

// Sibling is the same accounts seen by another process: its own database
// handle and client, the same tokens and active account.
func (a *Accounts) Sibling(db *store.Store, client *anthropic.Client) *Accounts {
	return &Accounts{db: db, client: client, clock: a.clock, shared: a.shared}
}

// Add inserts an account row for creds; the first one added is active.
func (a *Accounts) Add(t testing.TB, label string, creds sim.Credentials) int64 {
	t.Helper()
	var id int64
	err := a.db.Write(context.Background(), func(conn *sqlite.Conn) error {
		err := sqlitex.Execute(conn, `INSERT INTO accounts(label, account_uuid, email, org_uuid, org_name, subscription, keyring_ref, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, &sqlitex.ExecOptions{Args: []any{
			label, creds.Identity.AccountUUID, creds.Identity.Email, creds.Identity.OrganizationUUID,
			creds.Identity.OrganizationName, creds.SubscriptionType, "aimonitor-" + creds.Identity.AccountUUID, a.clock.Now().UnixMilli(),
		}})
		id = conn.LastInsertRowID()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a.shared.mu.Lock()
	defer a.shared.mu.Unlock()
	a.shared.tokens[id] = &tokens{access: []byte(creds.AccessToken), refresh: []byte(creds.RefreshToken)}
	a.shared.labels[id] = label
	if a.shared.active == 0 {
		a.shared.active = id
	}
	return id
}

// SetLogin replaces an account's tokens (a new login).
func (a *Accounts) SetLogin(id int64, creds sim.Credentials) {
	a.shared.mu.Lock()
	defer a.shared.mu.Unlock()
	a.shared.tokens[id] = &tokens{access: []byte(creds.AccessToken), refresh: []byte(creds.RefreshToken)}
}

// List returns every account, flags read from the database.
func (a *Accounts) List(ctx context.Context) ([]usage.Account, error) {
	a.shared.mu.Lock()
	active := a.shared.active
	a.shared.mu.Unlock()
	var out []usage.Account
	err := a.db.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, `SELECT id, label, email, needs_relogin, relogin_reason, cooldown_until, last_used_at FROM accounts ORDER BY id`,
			&sqlitex.ExecOptions{ResultFunc: func(st *sqlite.Stmt) error {
				acct := usage.Account{ID: st.ColumnInt64(0), Label: st.ColumnText(1), Email: st.ColumnText(2),
					NeedsRelogin: st.ColumnInt(3) != 0, ReloginReason: st.ColumnText(4)}
				acct.Active = acct.ID == active
				if st.ColumnType(5) != sqlite.TypeNull {
					t := time.UnixMilli(st.ColumnInt64(5)).UTC()
					acct.CooldownUntil = &t
				}
				if st.ColumnType(6) != sqlite.TypeNull {
					t := time.UnixMilli(st.ColumnInt64(6)).UTC()
					acct.LastUsedAt = &t
				}
				out = append(out, acct)
				return nil
			}})
	})
	return out, err
}

// Active is the active account's id.
func (a *Accounts) Active() int64 {
	a.shared.mu.Lock()
	defer a.shared.mu.Unlock()
	return a.shared.active
}

// AccessToken returns a copy of the stored access token (no proactive
// refresh: tests expire tokens in the simulator to reach the 401 path).
func (a *Accounts) AccessToken(_ context.Context, id int64) ([]byte, error) {
	a.shared.mu.Lock()
	defer a.shared.mu.Unlock()
	tk, ok := a.shared.tokens[id]
	if !ok {
		return nil, errors.New("no such account")
	}
	return slices.Clone(tk.access), nil
}

// ForceRefresh exchanges the refresh token at the simulator.
func (a *Accounts) ForceRefresh(ctx context.Context, id int64) ([]byte, error) {
	a.shared.mu.Lock()
	defer a.shared.mu.Unlock()
	a.shared.refreshes++
	tk, ok := a.shared.tokens[id]
	if !ok {
		return nil, errors.New("no such account")
	}
	got, err := a.client.Refresh(ctx, tk.refresh)
	if err != nil {
		return nil, err
	}
	tk.access, tk.refresh = slices.Clone(got.AccessToken), slices.Clone(got.RefreshToken)
	got.Zero()
	return slices.Clone(tk.access), nil
}

// Refreshes counts ForceRefresh calls.
func (a *Accounts) Refreshes() int {
	a.shared.mu.Lock()
	defer a.shared.mu.Unlock()
	return a.shared.refreshes
}

// SetNeedsRelogin flags the account in the database.
func (a *Accounts) SetNeedsRelogin(ctx context.Context, id int64, reason string) error {
	return a.exec(ctx, "UPDATE accounts SET needs_relogin = 1, relogin_reason = ? WHERE id = ?", reason, id)
}

// ClearNeedsRelogin clears the flag.
func (a *Accounts) ClearNeedsRelogin(ctx context.Context, id int64) error {
	return a.exec(ctx, "UPDATE accounts SET needs_relogin = 0, relogin_reason = '' WHERE id = ?", id)
}

func (a *Accounts) exec(ctx context.Context, query string, args ...any) error {
	return a.db.Write(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, query, &sqlitex.ExecOptions{Args: args})
	})
}

// FailSwitches makes every later Switch fail with err (nil: succeed again).
func (a *Accounts) FailSwitches(err error) {
	a.shared.mu.Lock()
	defer a.shared.mu.Unlock()
	a.shared.failSwitch = err
}

// Switch makes label active, stamps last_used_at and writes switch_log as
// the Manager does.
func (a *Accounts) Switch(ctx context.Context, label, trigger, reason string) error {
	a.shared.mu.Lock()
	var to int64
	for id, l := range a.shared.labels {
		if l == label {
			to = id
		}
	}
	from := a.shared.active
	fail := a.shared.failSwitch
	a.shared.mu.Unlock()
	if to == 0 {
		return fmt.Errorf("no account named %q", label)
	}
	now := a.clock.Now()
	ok, errText := 1, ""
	if fail != nil {
		ok, errText = 0, fail.Error()
	}
	err := a.db.Write(ctx, func(conn *sqlite.Conn) error {
		if err := sqlitex.Execute(conn, `INSERT INTO switch_log(ts, from_id, to_id, from_label, to_label, trigger, reason, ok, error)
			VALUES (?, ?, ?, (SELECT label FROM accounts WHERE id = ?), ?, ?, ?, ?, ?)`,
			&sqlitex.ExecOptions{Args: []any{now.UnixMilli(), from, to, from, label, trigger, reason, ok, errText}}); err != nil {
			return err
		}
		if fail != nil {
			return nil
		}
		return sqlitex.Execute(conn, "UPDATE accounts SET last_used_at = ? WHERE id = ?", &sqlitex.ExecOptions{Args: []any{now.UnixMilli(), to}})
	})
	if err != nil {
		return err
	}
	if fail != nil {
		return fail
	}
	a.shared.mu.Lock()
	a.shared.active = to
	a.shared.switches = append(a.shared.switches, SwitchRecord{Label: label, Trigger: trigger, Reason: reason, At: now})
	a.shared.mu.Unlock()
	return nil
}

// Switches returns every successful Switch so far.
func (a *Accounts) Switches() []SwitchRecord {
	a.shared.mu.Lock()
	defer a.shared.mu.Unlock()
	return slices.Clone(a.shared.switches)
}
