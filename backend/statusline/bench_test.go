package statusline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/daemon"
)

// BenchmarkLine is one status line in-process (no process start): five
// accounts with 35 days of samples each (what the poller keeps), a status
// row, and a 1 MB .claude.json. bench/statusline/run.sh times the whole
// command against ccusage's on a year of samples and the 300 MB corpus.
func BenchmarkLine(b *testing.B) {
	w := benchWorld(b)
	session := `{"session_id":"s","model":{"display_name":"Opus"},"cost":{"total_cost_usd":1}}`
	o := Options{Environ: w.environ, GOOS: "linux", Now: now}
	if got := Line(context.Background(), Options{Stdin: strings.NewReader(session), Environ: w.environ, GOOS: "linux", Now: now, NoColor: true}); !strings.HasPrefix(got, "work · 5h 42%") {
		b.Fatalf("line %q", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		o.Stdin = strings.NewReader(session)
		Line(context.Background(), o)
	}
}

// BenchmarkRefresh is what the poller adds to each write of the status row
// (every heartbeat at rest): the status line cache refreshed on one of its
// pooled connections, in the same world as BenchmarkLine.
func BenchmarkRefresh(b *testing.B) {
	w := benchWorld(b)
	w.line("") // the cache exists
	r, err := NewRefresher(w.open(), w.environ, "linux")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Refresh(ctx, now); err != nil {
			b.Fatal(err)
		}
	}
	if got, hit := w.launcher(now); !hit || !strings.HasPrefix(got, "\x1b[1mwork") {
		b.Fatalf("after refreshing: %q %v", got, hit)
	}
}

func benchWorld(b *testing.B) *world {
	w := newWorld(b)
	home := w.home
	labels := []string{"work", "bob", "carol", "dave", "erin"}
	var accounts []daemon.AccountStatus
	for i, l := range labels {
		w.addAccount(int64(i+1), l)
		accounts = append(accounts, daemon.AccountStatus{ID: int64(i + 1), Label: l, Active: i == 0, Usage: usageOf(42, 63, now.Add(-time.Minute))})
	}
	err := w.open().Write(context.Background(), func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`INSERT INTO usage_samples(account_id, ts, five_hour, five_hour_resets, seven_day, seven_day_resets, data) VALUES (?, ?, 40, 0, 60, 0, '{}')`)
		for id := 1; id <= len(labels); id++ {
			for at := now.Add(-35 * 24 * time.Hour); at.Before(now); at = at.Add(10 * time.Minute) {
				stmt.BindInt64(1, int64(id))
				stmt.BindInt64(2, at.UnixMilli())
				if _, err := stmt.Step(); err != nil {
					return err
				}
				if err := stmt.Reset(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	w.publish(activeDoc(now, accounts...))
	var cfg strings.Builder
	cfg.WriteString(`{"projects": {`)
	for i := 0; cfg.Len() < 1<<20; i++ {
		fmt.Fprintf(&cfg, `"/src/p%d": {"history": [{"display": "a prompt about project %d"}], "hasTrustDialogAccepted": true}, `, i, i)
	}
	cfg.WriteString(`"/": {}}, "oauthAccount": {"accountUuid": "uuid-work", "emailAddress": "work@example.com", "organizationUuid": "org-work"}}`)
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return w
}
