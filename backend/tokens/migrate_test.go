package tokens

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitemigration"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/store"
)

// A ledger of the 0003/0004 schema (token_messages with key and a hash
// index) is carried over by migration 0005 without losing a response: its
// reports are unchanged, survive the transcripts being deleted, and later
// scans find the carried-over responses by their hash (a better copy
// replaces one instead of being counted again).
func TestMigrationToLeanRowsKeepsHistory(t *testing.T) {
	a := newEnv(t, 1)
	m1 := msg{id: "msg_A", req: "req_A", at: t0, in: 3, out: 10, cr: 100}
	m1full := m1
	m1full.out = 250
	m2 := msg{id: "msg_B", req: "req_B", at: t0.Add(time.Hour), in: 5, out: 20, cw: 40, model: "claude-opus-4-1-20250805"}
	m3 := msg{id: "msg_C", req: "req_C", at: t0.Add(26 * time.Hour), in: 7, out: 70, cwd: "/home/me/src/other"}
	keep := a.write(0, "-home-me-src-my-app/s1.jsonl", m1.line(), m1full.line(), m2.line())
	gone := a.write(0, "-home-me-src-other/s2.jsonl", m3.line(), m2.line())
	a.scan()
	queries := []Query{{}, {By: "model"}, {By: "project"}, {By: "day", Location: time.FixedZone("x", -7*3600)}}
	// As JSON, which is what users see (Report holds pointers).
	reports := func(e *env) string {
		var out []Report
		for _, q := range queries {
			out = append(out, e.report(q))
		}
		j, err := json.MarshalIndent(out, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return string(j)
	}
	want := reports(a)

	// The same ledger in the old schema, as the code of then left it.
	old := filepath.Join(t.TempDir(), "data", "aimonitor.db")
	oldLedger(t, old, a.db.Path())
	db, err := store.Open(context.Background(), old)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := &env{t: t, db: db, roots: a.roots, l: New(db, Options{Roots: a.roots})}
	if got := reports(b); got != want {
		t.Fatalf("after migrating:\n%+v\nwant\n%+v", got, want)
	}
	// Every response carried over as it was, the colliding row dropped.
	if got, want := responses(t, db), responses(t, a.db); got != want {
		t.Fatalf("responses after migrating:\n%s\nwant\n%s", got, want)
	}

	// Transcripts deleted: the history stays.
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if st := b.scan(); st.Added != 0 {
		t.Fatalf("scan after deleting a transcript: %+v", st)
	}
	if got := reports(b); got != want {
		t.Fatalf("after deleting a transcript:\n%+v\nwant\n%+v", got, want)
	}

	// A better copy of a carried-over response and a new response.
	better := m2
	better.out = 900
	m4 := msg{id: "msg_D", req: "req_D", at: t0.Add(2 * time.Hour), in: 1, out: 2}
	a.appendRaw(keep, joinLines([]string{better.line(), m4.line()}))
	for _, e := range []*env{a, b} {
		if st := e.scan(); st.Added != 1 || st.Improved != 1 {
			t.Fatalf("scan after appending: %+v, want one response added and one improved", st)
		}
	}
	if got, want := reports(b), reports(a); got != want {
		t.Fatalf("after appending:\n%+v\nwant\n%+v", got, want)
	}
}

// oldLedger writes at file a database of schema version 4 (migrations
// 0001–0004 as they are in backend/store/migrations) holding the ledger of
// the current database src: token_messages rows in arrival order, each
// with its key, under the hash index, plus a row colliding with the first
// one's hash (which token_usage does not count, as two responses sharing a
// hash would be counted there already).
func oldLedger(t *testing.T, file, src string) {
	t.Helper()
	names, err := filepath.Glob("../store/migrations/000[1-4]_*.sql")
	if err != nil || len(names) != 4 {
		t.Fatalf("migrations 1-4: %v %v", names, err)
	}
	sort.Strings(names)
	schema := sqlitemigration.Schema{AppID: 0x61696d6f}
	for _, n := range names {
		body, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		schema.Migrations = append(schema.Migrations, string(body))
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	conn, err := sqlite.OpenConn(file, sqlite.OpenReadWrite|sqlite.OpenCreate|sqlite.OpenWAL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := sqlitemigration.Migrate(context.Background(), conn, schema); err != nil {
		t.Fatal(err)
	}
	err = sqlitex.ExecuteScript(conn, `
		ATTACH DATABASE $src AS src;
		INSERT INTO token_projects SELECT * FROM src.token_projects;
		INSERT INTO token_models SELECT * FROM src.token_models;
		INSERT INTO token_files SELECT * FROM src.token_files;
		INSERT INTO token_usage SELECT * FROM src.token_usage;
		UPDATE token_state SET generation = (SELECT generation FROM src.token_state);
		INSERT INTO token_messages(h, key, ts, model_id, project_id, sidechain, class, input, output,
		  cache_create, cache_create_1h, cache_read, cost_usd)
		  SELECT h, 'key of ' || h, ts, model_id, project_id, sidechain, class, input, output,
		    cache_create, cache_create_1h, cache_read, cost_usd FROM src.token_messages ORDER BY ts;
		INSERT INTO token_messages(h, key, ts, model_id, project_id, sidechain, class, input, output,
		  cache_create, cache_create_1h, cache_read, cost_usd)
		  SELECT h, 'another key', ts + 1, model_id, project_id, sidechain, class, 1, 1, 1, 1, 1, NULL
		  FROM token_messages ORDER BY id LIMIT 1;
	`, &sqlitex.ExecOptions{Named: map[string]any{"$src": src}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlitex.ExecuteTransient(conn, `DETACH DATABASE src`, nil); err != nil {
		t.Fatal(err)
	}
}

// responses lists token_messages in hash order.
func responses(t *testing.T, db *store.Store) string {
	t.Helper()
	var out string
	err := db.Read(context.Background(), func(conn *sqlite.Conn) error {
		return sqlitex.ExecuteTransient(conn, `SELECT h, ts, model_id, project_id, sidechain, class, input, output,
			cache_create, cache_create_1h, cache_read, cost_usd FROM token_messages ORDER BY h`,
			&sqlitex.ExecOptions{ResultFunc: func(stmt *sqlite.Stmt) error {
				for i := range stmt.ColumnCount() {
					out += stmt.ColumnText(i) + " "
				}
				out += "\n"
				return nil
			}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
