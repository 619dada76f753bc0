package usage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/backend/usage/usagetest"
)

var t0 = usagetest.T0

func ptr[T any](v T) *T { return &v }

func sample(id int64, at time.Time, five, seven float64, resets *time.Time) usage.Sample {
	return usage.Sample{AccountID: id, FetchedAt: at, Usage: &anthropic.Usage{
		FiveHour: &anthropic.Window{Utilization: five, ResetsAt: resets},
		SevenDay: &anthropic.Window{Utilization: seven},
	}}
}

// insertAccounts adds n bare account rows (ids 1..n) for the foreign keys.
func insertAccounts(t testing.TB, db *store.Store, n int) {
	t.Helper()
	err := db.Write(context.Background(), func(conn *sqlite.Conn) error {
		for i := 1; i <= n; i++ {
			if err := sqlitex.Execute(conn, `INSERT INTO accounts(id, label, account_uuid, email, keyring_ref, created_at) VALUES (?, ?, ?, ?, ?, 0)`,
				&sqlitex.ExecOptions{Args: []any{i, fmt.Sprint("a", i), fmt.Sprint("u", i), fmt.Sprint("e", i), fmt.Sprint("k", i)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func newHistory(t testing.TB, accounts int) *usage.History {
	t.Helper()
	db := usagetest.OpenStore(t, filepath.Join(t.TempDir(), "h.db"))
	insertAccounts(t, db, accounts)
	return usage.NewHistory(db)
}

func TestHistoryLatestSinceAndRoundTrip(t *testing.T) {
	h := newHistory(t, 3)
	ctx := context.Background()
	resets := t0.Add(3 * time.Hour)
	for i := 0; i < 5; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		for id := int64(1); id <= 2; id++ {
			if err := h.Insert(ctx, sample(id, at, float64(10*i)+float64(id), 1, &resets)); err != nil {
				t.Fatal(err)
			}
		}
	}
	latest, err := h.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 2 {
		t.Fatalf("latest has %d accounts, want 2 (account 3 has no sample)", len(latest))
	}
	for id := int64(1); id <= 2; id++ {
		s := latest[id]
		if !s.FetchedAt.Equal(t0.Add(4*time.Minute)) || s.Usage.FiveHour.Utilization != 40+float64(id) {
			t.Errorf("account %d: latest %v %v", id, s.FetchedAt, s.Usage.FiveHour.Utilization)
		}
		if s.Usage.FiveHour.ResetsAt == nil || !s.Usage.FiveHour.ResetsAt.Equal(resets) {
			t.Errorf("account %d: resets_at lost in the round trip: %v", id, s.Usage.FiveHour.ResetsAt)
		}
	}
	since, err := h.Since(ctx, 1, t0.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(since) != 3 || !since[0].FetchedAt.Equal(t0.Add(2*time.Minute)) || !since[2].FetchedAt.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("since: %d samples %v", len(since), since)
	}
	if _, found, err := h.LatestFor(ctx, 3); err != nil || found {
		t.Fatalf("account 3: found=%v err=%v", found, err)
	}
	if s, found, _ := h.LatestFor(ctx, 2); !found || s.Usage.FiveHour.Utilization != 42 {
		t.Fatalf("LatestFor(2) = %v %v", s, found)
	}
}

func TestHistoryKeepsEveryField(t *testing.T) {
	h := newHistory(t, 1)
	ctx := context.Background()
	in := usage.Sample{AccountID: 1, FetchedAt: t0, Usage: &anthropic.Usage{
		FiveHour:       &anthropic.Window{Utilization: 12.5, ResetsAt: ptr(t0.Add(time.Hour))},
		SevenDay:       &anthropic.Window{Utilization: 40},
		SevenDayOpus:   &anthropic.Window{Utilization: 3},
		SevenDaySonnet: nil,
		ExtraUsage:     &anthropic.ExtraUsage{IsEnabled: true, MonthlyLimit: ptr(5000.0), UsedCredits: ptr(1234.0), Currency: "USD"},
		OtherWindows:   map[string]anthropic.Window{"seven_day_sonnet_max": {Utilization: 77}},
	}}
	if err := h.Insert(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, _, err := h.LatestFor(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Usage.SevenDaySonnet != nil || got.Usage.SevenDayOpus.Utilization != 3 || *got.Usage.ExtraUsage.UsedCredits != 1234 ||
		got.Usage.OtherWindows["seven_day_sonnet_max"].Utilization != 77 {
		t.Fatalf("round trip lost data: %+v", got.Usage)
	}
	if got.MaxUtilization() != 77 {
		t.Fatalf("MaxUtilization = %v, want 77 (an unknown window counts)", got.MaxUtilization())
	}
}

func TestHistoryPrunesOldSamples(t *testing.T) {
	h := newHistory(t, 1)
	ctx := context.Background()
	old := t0.Add(-usage.Retention - time.Hour)
	for i := 0; i < 3; i++ {
		if err := h.Insert(ctx, sample(1, old.Add(time.Duration(i)*time.Minute), 1, 1, nil)); err != nil {
			t.Fatal(err)
		}
	}
	// The first insert pruned relative to its own time; a sample from now
	// makes the old ones fall out of the window.
	if err := h.Insert(ctx, sample(1, t0, 5, 5, nil)); err != nil {
		t.Fatal(err)
	}
	all, err := h.Since(ctx, 1, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || !all[0].FetchedAt.Equal(t0) {
		t.Fatalf("after pruning %d samples remain: %v", len(all), all)
	}
	n, err := h.Prune(ctx, t0.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
}

// The skip-scan must agree with the obvious GROUP BY on any data.
func TestLatestMatchesGroupBy(t *testing.T) {
	h := newHistory(t, 6)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		id := int64(1 + r.IntN(5)) // account 6 never gets one
		at := t0.Add(time.Duration(r.IntN(100000)) * time.Second)
		if err := h.Insert(ctx, sample(id, at, float64(i), 0, nil)); err != nil {
			t.Fatal(err)
		}
	}
	latest, err := h.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int64{}
	h.Store().Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, "SELECT account_id, max(ts) FROM usage_samples GROUP BY account_id", &sqlitex.ExecOptions{
			ResultFunc: func(st *sqlite.Stmt) error { want[st.ColumnInt64(0)] = st.ColumnInt64(1); return nil }})
	})
	if len(latest) != len(want) {
		t.Fatalf("skip-scan found %d accounts, GROUP BY %d", len(latest), len(want))
	}
	for id, ts := range want {
		if latest[id].FetchedAt.UnixMilli() != ts {
			t.Errorf("account %d: skip-scan %v, GROUP BY %v", id, latest[id].FetchedAt.UnixMilli(), ts)
		}
	}
}

// BenchmarkLatest compares the skip-scan with GROUP BY on a full retention
// window: 5 accounts sampled every 3 minutes for 35 days.
func BenchmarkLatest(b *testing.B) {
	h := newHistory(b, 5)
	ctx := context.Background()
	const step = 3 * time.Minute
	n := int(usage.Retention / step)
	err := h.Store().Write(ctx, func(conn *sqlite.Conn) error {
		for id := 1; id <= 5; id++ {
			for i := 0; i < n; i++ {
				if err := sqlitex.Execute(conn, `INSERT INTO usage_samples(account_id, ts, five_hour, seven_day, data) VALUES (?, ?, 1, 1, '{}')`,
					&sqlitex.ExecOptions{Args: []any{id, t0.Add(time.Duration(i) * step).UnixMilli()}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("skip-scan", func(b *testing.B) {
		for b.Loop() {
			if l, err := h.Latest(ctx); err != nil || len(l) != 5 {
				b.Fatal(len(l), err)
			}
		}
	})
	b.Run("group-by", func(b *testing.B) {
		for b.Loop() {
			rows := 0
			err := h.Store().Read(ctx, func(conn *sqlite.Conn) error {
				return sqlitex.Execute(conn, `SELECT s.account_id, s.ts, s.data FROM usage_samples s
					JOIN (SELECT account_id, max(ts) AS ts FROM usage_samples GROUP BY account_id) m
					ON m.account_id = s.account_id AND m.ts = s.ts`, &sqlitex.ExecOptions{
					ResultFunc: func(*sqlite.Stmt) error { rows++; return nil }})
			})
			if err != nil || rows != 5 {
				b.Fatal(rows, err)
			}
		}
	})
}
