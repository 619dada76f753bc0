package tokens

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/store"
)

// msg describes one assistant response line as Claude Code writes it.
type msg struct {
	id, req   string
	at        time.Time
	model     string
	in, out   int64
	cw, cr    int64
	sidechain bool
	session   string
	cwd       string
	text      string // content, to make lines big or odd
}

func (m msg) line() string {
	model := m.model
	if model == "" {
		model = "claude-sonnet-4-5-20250929"
	}
	session := m.session
	if session == "" {
		session = "sess-1"
	}
	cwd := m.cwd
	if cwd == "" {
		cwd = "/home/me/src/my-app"
	}
	text := m.text
	if text == "" {
		text = "Let me look at that."
	}
	return fmt.Sprintf(`{"parentUuid":null,"isSidechain":%t,"userType":"external","cwd":%q,"sessionId":%q,"version":"2.0.14",`+
		`"gitBranch":"main","message":{"model":%q,"id":%q,"type":"message","role":"assistant","content":[{"type":"text","text":%q}],`+
		`"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,`+
		`"output_tokens":%d,"service_tier":"standard"}},"requestId":%q,"type":"assistant","uuid":"u-%s","timestamp":%q}`,
		m.sidechain, cwd, session, model, m.id, text, m.in, m.cw, m.cr, m.out, m.req, m.id, m.at.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// userLine is a tool result: a large line without usage.
func userLine(n int) string {
	return `{"parentUuid":"p","isSidechain":false,"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"` +
		strings.Repeat("x\\n", n) + `"}]},"timestamp":"2025-06-01T10:00:00.000Z"}`
}

var t0 = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// env is a ledger over temp transcript roots and a temp database.
type env struct {
	t     testing.TB
	db    *store.Store
	l     *Ledger
	roots []string
}

func newEnv(t *testing.T, nroots int) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, "data", "aimonitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, db: db}
	for i := 0; i < nroots; i++ {
		e.roots = append(e.roots, filepath.Join(dir, fmt.Sprintf("config%d", i), "projects"))
	}
	e.l = New(db, Options{Roots: e.roots})
	return e
}

// write replaces root/rel with lines (each ending in a newline).
func (e *env) write(root int, rel string, lines ...string) string {
	e.t.Helper()
	path := filepath.Join(e.roots[root], rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(joinLines(lines)), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// appendRaw appends bytes as they are (no newline added).
func (e *env) appendRaw(path, s string) {
	e.t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		e.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		e.t.Fatal(err)
	}
}

func joinLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func (e *env) scan() ScanStats {
	e.t.Helper()
	st, err := e.l.Scan(context.Background(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) report(q Query) Report {
	e.t.Helper()
	if q.Location == nil {
		q.Location = time.UTC
	}
	r, err := e.l.Report(context.Background(), q)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) totals() Totals { return e.report(Query{}).Totals }

// switchTo records a switch in switch_log as the account code does.
func (e *env) switchTo(at time.Time, label string, ok bool) {
	e.t.Helper()
	err := e.db.Write(context.Background(), func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`INSERT INTO switch_log(ts, to_label, trigger, ok) VALUES (?, ?, 'manual', ?)`)
		defer stmt.Reset()
		stmt.BindInt64(1, at.UnixMilli())
		stmt.BindText(2, label)
		stmt.BindBool(3, ok)
		_, err := stmt.Step()
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func tokensOf(t Totals) [4]int64 {
	return [4]int64{t.InputTokens, t.OutputTokens, t.CacheCreationTokens, t.CacheReadTokens}
}
