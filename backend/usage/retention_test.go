package usage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/tokens"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/backend/usage/usagetest"
)

const day = 24 * time.Hour

// auditRow is one row of switch_log (label, ok) or autoswap_log (label only).
type auditRow struct {
	at    time.Time
	label string
	ok    bool
}

func addSwitches(t testing.TB, db *store.Store, rows ...auditRow) {
	t.Helper()
	err := db.Write(context.Background(), func(conn *sqlite.Conn) error {
		for _, r := range rows {
			ok, errText := 1, ""
			if !r.ok {
				ok, errText = 0, "the login is gone"
			}
			if err := sqlitex.Execute(conn, `INSERT INTO switch_log(ts, to_label, trigger, reason, ok, error) VALUES (?, ?, 'auto', 'test', ?, ?)`,
				&sqlitex.ExecOptions{Args: []any{r.at.UnixMilli(), r.label, ok, errText}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func addDecisions(t testing.TB, db *store.Store, rows ...auditRow) {
	t.Helper()
	err := db.Write(context.Background(), func(conn *sqlite.Conn) error {
		for _, r := range rows {
			if err := sqlitex.Execute(conn, `INSERT INTO autoswap_log(ts, action, to_label, reason) VALUES (?, 'no_candidate', ?, 'test')`,
				&sqlitex.ExecOptions{Args: []any{r.at.UnixMilli(), r.label}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// spread returns n rows one minute apart, the first at from.
func spread(from time.Time, n int, ok bool) []auditRow {
	out := make([]auditRow, n)
	for i := range out {
		out[i] = auditRow{at: from.Add(time.Duration(i) * time.Minute), label: fmt.Sprint("a", i%3), ok: ok}
	}
	return out
}

// ids returns the ids of table's rows, newest first (the Activity view's
// order), optionally only the first limit.
func ids(t testing.TB, db *store.Store, table string, limit int) []int64 {
	t.Helper()
	var out []int64
	q := fmt.Sprintf("SELECT id FROM %s ORDER BY ts DESC, id DESC", table)
	if limit > 0 {
		q += fmt.Sprint(" LIMIT ", limit)
	}
	err := db.Read(context.Background(), func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, q, &sqlitex.ExecOptions{ResultFunc: func(st *sqlite.Stmt) error {
			out = append(out, st.ColumnInt64(0))
			return nil
		}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t testing.TB, db *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	err := db.Read(context.Background(), func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, query, &sqlitex.ExecOptions{Args: args, ResultFunc: func(st *sqlite.Stmt) error {
			n = st.ColumnInt(0)
			return nil
		}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// pruneAt runs the hourly pass as the poller does: a fresh History's first
// sample is always due for one.
func pruneAt(db *store.Store, now time.Time) error {
	return usage.NewHistory(db).Insert(context.Background(), sample(1, now, 1, 1, nil))
}

func openAuditStore(t testing.TB) *store.Store {
	t.Helper()
	db := usagetest.OpenStore(t, filepath.Join(t.TempDir(), "aimonitor.db"))
	insertAccounts(t, db, 1)
	return db
}

func TestAuditRetention(t *testing.T) {
	cutoff := t0.Add(-usage.LogRetention)
	for _, c := range []struct {
		name        string
		recent, old int
		keep        int // rows kept in each table
	}{
		// More than LogKeepRows in the window: the window decides.
		{"window keeps more", usage.LogKeepRows + 100, 100, usage.LogKeepRows + 100},
		// A quiet install: the newest LogKeepRows stay however old.
		{"newest rows keep more", 300, usage.LogKeepRows, usage.LogKeepRows},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openAuditStore(t)
			// Failed switches only: successful ones that change the account
			// are kept for the token report (TestAuditPruneKeepsTokenAttribution).
			recent := spread(t0.Add(-time.Duration(c.recent+1)*time.Minute), c.recent, false)
			old := spread(cutoff.Add(-time.Duration(c.old+1)*time.Minute), c.old, false)
			for _, table := range []string{"switch_log", "autoswap_log"} {
				add := addSwitches
				if table == "autoswap_log" {
					add = addDecisions
				}
				add(t, db, old...)
				add(t, db, recent...)
			}
			activity := ids(t, db, "switch_log", 200)
			wantSwitches := ids(t, db, "switch_log", c.keep)
			wantDecisions := ids(t, db, "autoswap_log", c.keep)

			if err := pruneAt(db, t0); err != nil {
				t.Fatal(err)
			}
			if got := ids(t, db, "switch_log", 0); fmt.Sprint(got) != fmt.Sprint(wantSwitches) {
				t.Fatalf("switch_log kept %d rows, want the newest %d", len(got), len(wantSwitches))
			}
			if got := ids(t, db, "autoswap_log", 0); fmt.Sprint(got) != fmt.Sprint(wantDecisions) {
				t.Fatalf("autoswap_log kept %d rows, want the newest %d", len(got), len(wantDecisions))
			}
			if got := ids(t, db, "switch_log", 200); fmt.Sprint(got) != fmt.Sprint(activity) {
				t.Fatal("the 200 rows the Activity view shows changed")
			}
			if n := count(t, db, "SELECT count(*) FROM switch_log WHERE ts >= ?", cutoff.UnixMilli()); n != c.recent {
				t.Fatalf("%d of the %d switches of the last %v are left", n, c.recent, usage.LogRetention)
			}

			// Idempotent: the same pass again deletes nothing.
			if err := pruneAt(db, t0); err != nil {
				t.Fatal(err)
			}
			if got := ids(t, db, "switch_log", 0); fmt.Sprint(got) != fmt.Sprint(wantSwitches) {
				t.Fatal("a second pass changed switch_log")
			}
			if got := ids(t, db, "autoswap_log", 0); fmt.Sprint(got) != fmt.Sprint(wantDecisions) {
				t.Fatal("a second pass changed autoswap_log")
			}
		})
	}
}

// transcriptLine is one assistant response as Claude Code records it.
func transcriptLine(i int, at time.Time, input int64) string {
	return fmt.Sprintf(`{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/me/src/app","sessionId":"s",`+
		`"version":"2.0.14","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_%d","type":"message","role":"assistant",`+
		`"content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":%d,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,`+
		`"output_tokens":1}},"requestId":"req_%d","type":"assistant","uuid":"u-%d","timestamp":%q}`,
		i, input, i, i, at.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// backend/tokens attributes usage to accounts by the successful switches:
// pruning must not move a single token to another account, however old.
func TestAuditPruneKeepsTokenAttribution(t *testing.T) {
	db := openAuditStore(t)
	r := rand.New(rand.NewPCG(3, 4))
	start := t0.Add(-200 * day)
	// Every two hours or so a switch: often failed, or to the account that
	// is already active (a restore, a repeated auto-swap), as in real logs.
	var history []auditRow
	for at := start; at.Before(t0); at = at.Add(time.Duration(90+r.IntN(60)) * time.Minute) {
		history = append(history, auditRow{at: at, label: fmt.Sprint("acct", r.IntN(3)), ok: r.IntN(4) != 0})
	}
	addSwitches(t, db, history...)

	// A response every 37 minutes, each with its own power-of-two-ish
	// size, so usage moved anywhere changes the sums.
	root := filepath.Join(t.TempDir(), "projects")
	var lines []string
	for i, at := 0, start.Add(-3*day); at.Before(t0); i, at = i+1, at.Add(37*time.Minute) {
		lines = append(lines, transcriptLine(i, at, int64(1+i%97)))
	}
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "app", "s.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ledger := tokens.New(db, tokens.Options{Roots: []string{root}})
	if _, err := ledger.Scan(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	report := func() string {
		t.Helper()
		rep, err := ledger.Report(context.Background(), tokens.Query{By: tokens.ByAccount, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(rep.Rows)
		return string(raw)
	}
	before := report()
	if !strings.Contains(before, `"acct2"`) || !strings.Contains(before, tokens.UnknownAccount) {
		t.Fatalf("the report does not cover the test's accounts: %s", before)
	}

	rows := len(ids(t, db, "switch_log", 0))
	if err := pruneAt(db, t0); err != nil {
		t.Fatal(err)
	}
	left := len(ids(t, db, "switch_log", 0))
	if left >= rows {
		t.Fatalf("nothing was pruned (%d rows)", rows)
	}
	if n := count(t, db, "SELECT count(*) FROM switch_log WHERE ok = 0 AND ts < ? AND id NOT IN (SELECT id FROM switch_log ORDER BY ts DESC, id DESC LIMIT ?)",
		t0.Add(-usage.LogRetention).UnixMilli(), usage.LogKeepRows); n != 0 {
		t.Fatalf("%d old failed switches are left", n)
	}
	if after := report(); after != before {
		t.Fatalf("pruning %d of %d switches changed the report by account\nbefore %s\nafter  %s", rows-left, rows, before, after)
	}
	if err := pruneAt(db, t0); err != nil {
		t.Fatal(err)
	}
	if again := len(ids(t, db, "switch_log", 0)); again != left {
		t.Fatalf("a second pass went from %d to %d rows", left, again)
	}
}

// tableDump is every row of the pruned tables, to compare states.
func tableDump(t testing.TB, db *store.Store) string {
	t.Helper()
	var b strings.Builder
	err := db.Read(context.Background(), func(conn *sqlite.Conn) error {
		for _, q := range []string{
			"SELECT account_id, ts FROM usage_samples ORDER BY 1, 2",
			"SELECT id, ts, to_label, ok FROM switch_log ORDER BY id",
			"SELECT id, ts, to_label FROM autoswap_log ORDER BY id",
		} {
			err := sqlitex.Execute(conn, q, &sqlitex.ExecOptions{ResultFunc: func(st *sqlite.Stmt) error {
				for i := 0; i < st.ColumnCount(); i++ {
					fmt.Fprintf(&b, "%s,", st.ColumnText(i))
				}
				b.WriteByte('\n')
				return nil
			}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A pass that stops part-way — here a trigger aborts the DELETE on
// switch_log after the samples and some switches are gone — is rolled back
// whole: no row is lost, not even the ones it was allowed to delete.
func TestAuditPruneInterruptedLosesNothing(t *testing.T) {
	db := openAuditStore(t)
	ctx := context.Background()
	cutoff := t0.Add(-usage.LogRetention)
	if err := usage.NewHistory(db).Insert(ctx, sample(1, cutoff, 1, 1, nil)); err != nil {
		t.Fatal(err)
	}
	addSwitches(t, db, spread(cutoff.Add(-day), 20, false)...)
	addSwitches(t, db, spread(t0.Add(-day), usage.LogKeepRows, false)...)
	addDecisions(t, db, spread(cutoff.Add(-day), 20, false)...)
	addDecisions(t, db, spread(t0.Add(-day), usage.LogKeepRows, false)...)
	err := db.Write(ctx, func(conn *sqlite.Conn) error {
		// The tenth old switch: rows 1–9 are deleted in the statement first.
		return sqlitex.ExecuteTransient(conn, `CREATE TRIGGER stop_prune BEFORE DELETE ON switch_log
			WHEN old.id = 10 BEGIN SELECT RAISE(ABORT, 'prune stopped here'); END`, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	before := tableDump(t, db)

	err = pruneAt(db, t0)
	if after := tableDump(t, db); after != before {
		t.Fatal("an interrupted pass changed the database")
	}
	if err == nil || !strings.Contains(err.Error(), "prune stopped here") {
		t.Fatalf("the interrupted pass returned %v", err)
	}

	err = db.Write(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.ExecuteTransient(conn, "DROP TRIGGER stop_prune", nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := pruneAt(db, t0); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT count(*) FROM usage_samples"); n != 1 {
		t.Fatalf("%d samples, want only the new one", n)
	}
	if n := count(t, db, "SELECT count(*) FROM switch_log WHERE ts < ?", cutoff.UnixMilli()); n != 0 {
		t.Fatalf("%d old switches are left", n)
	}
	for _, table := range []string{"switch_log", "autoswap_log"} {
		if n := count(t, db, "SELECT count(*) FROM "+table); n != usage.LogKeepRows {
			t.Fatalf("%s has %d rows, want the %d recent ones", table, n, usage.LogKeepRows)
		}
	}
}

// Another process keeps writing both audits while passes run: each pass
// holds the write lock briefly, so no write waits out the busy timeout and
// fails, and every recent row it wrote is still there.
func TestAuditPruneDoesNotBlockWriters(t *testing.T) {
	db := openAuditStore(t)
	file := db.Path()
	other := usagetest.OpenStore(t, file) // a second pool: another process
	cutoff := t0.Add(-usage.LogRetention)
	for _, add := range []func(testing.TB, *store.Store, ...auditRow){addSwitches, addDecisions} {
		add(t, db, spread(t0.Add(-2*day), usage.LogKeepRows, false)...)
		add(t, db, spread(cutoff.Add(-10*day), 3000, false)...)
	}

	const writes = 200
	var wg sync.WaitGroup
	errs := make(chan error, writes+100)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < writes; i++ {
			at := t0.Add(-day + time.Duration(i)*time.Second)
			err := other.Write(context.Background(), func(conn *sqlite.Conn) error {
				// An old row of each too, so the passes always have work.
				if err := sqlitex.Execute(conn, `INSERT INTO switch_log(ts, to_label, trigger, ok) VALUES (?, 'writer', 'manual', 0), (?, 'old', 'manual', 0)`,
					&sqlitex.ExecOptions{Args: []any{at.UnixMilli(), cutoff.Add(-time.Hour).UnixMilli()}}); err != nil {
					return err
				}
				return sqlitex.Execute(conn, `INSERT INTO autoswap_log(ts, action, to_label, reason) VALUES (?, 'armed', 'writer', 'test'), (?, 'armed', 'old', 'test')`,
					&sqlitex.ExecOptions{Args: []any{at.UnixMilli(), cutoff.Add(-time.Hour).UnixMilli()}})
			})
			if err != nil {
				errs <- fmt.Errorf("write %d: %w", i, err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			if err := pruneAt(db, t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
				errs <- fmt.Errorf("pass %d: %w", i, err)
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := pruneAt(db, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"switch_log", "autoswap_log"} {
		if n := count(t, db, "SELECT count(*) FROM "+table+" WHERE to_label = 'writer'"); n != writes {
			t.Fatalf("%s: %d of the writer's %d recent rows are left", table, n, writes)
		}
		if n := count(t, db, "SELECT count(*) FROM "+table+" WHERE ts < ?", cutoff.UnixMilli()); n != 0 {
			t.Fatalf("%s: %d old rows are left", table, n)
		}
		if n := count(t, db, "SELECT count(*) FROM "+table); n != usage.LogKeepRows+writes {
			t.Fatalf("%s has %d rows, want %d", table, n, usage.LogKeepRows+writes)
		}
	}
}
