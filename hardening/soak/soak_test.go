// Package soak runs the daemon for weeks of simulated time on a fake clock
// — the real poller, scheduler, auto-swap, notifications and status row
// against the simulator, whose accounts keep using their windows — and
// checks that what a long-running daemon accumulates stays bounded: the
// database (usage samples pruned after usage.Retention), the heap and the
// goroutines. It holds only tests and a benchmark.
package soak

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/notify"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/backend/usage/usagetest"
)

type discard struct {
	mu sync.Mutex
	n  int
}

func (d *discard) Send(context.Context, notify.Message) (uint32, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	return uint32(d.n), nil
}

// run is a daemon on the simulated world, stepped through time by the test.
type run struct {
	env    *usagetest.Env
	dm     *daemon.Daemon
	idle   chan time.Time
	next   time.Time
	cancel context.CancelFunc
	done   chan error
	sent   *discard
	uuids  map[int64]string
	active int64
}

// Rates of use of the active account, in percentage points per hour.
const (
	fiveHourRate = 20
	sevenDayRate = 0.5
)

// follow puts the simulated activity on the active account.
func (r *run) follow(tb testing.TB) {
	a := r.env.Accounts.Active()
	if a == r.active {
		return
	}
	for id, uuid := range r.uuids {
		five, seven := 0.0, 0.0
		if id == a {
			five, seven = fiveHourRate, sevenDayRate
		}
		if err := r.env.Sim.SetActivity(uuid, sim.FiveHour, five); err != nil {
			tb.Fatal(err)
		}
		if err := r.env.Sim.SetActivity(uuid, sim.SevenDay, seven); err != nil {
			tb.Fatal(err)
		}
	}
	r.active = a
}

func start(tb testing.TB, interval int) *run {
	tb.Helper()
	env := usagetest.New(tb)
	// Three accounts; whichever is active is the one being used (see
	// follow), so it fills its 5-hour window, the daemon swaps, windows
	// reset, and so on for weeks.
	r := &run{env: env, idle: make(chan time.Time), done: make(chan error, 1), sent: &discard{}, uuids: map[int64]string{}}
	for i := 0; i < 3; i++ {
		id, uuid := env.Add(tb, fmt.Sprintf("acct%d", i), map[string]sim.WindowSpec{
			sim.FiveHour: {Utilization: float64(10 * i), ResetsIn: time.Duration(1+i) * time.Hour},
			sim.SevenDay: {Utilization: float64(5 * i), ResetsIn: time.Duration(50+20*i) * time.Hour},
		})
		r.uuids[id] = uuid
	}
	r.follow(tb)
	cfg := config.Default()
	cfg.AutoSwap.GraceSec = 0
	cfg.Poll.IntervalSec = interval
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	dm, err := daemon.New(daemon.Deps{
		Store: env.Store, Accounts: env.Accounts, Client: env.Client, Clock: env.Clock,
		Config:    func() config.Config { return cfg },
		LockFile:  filepath.Join(filepath.Dir(env.DBFile), daemon.LockName),
		Sender:    r.sent,
		Jitter:    func() float64 { return 0.5 },
		Heartbeat: time.Hour, // the loop still wakes for every planned poll and swap
		Idle: func(next time.Time) {
			select {
			case r.idle <- next:
			case <-ctx.Done():
			}
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	r.dm = dm
	go func() { r.done <- dm.Run(ctx) }()
	r.next = <-r.idle
	tb.Cleanup(r.stop)
	return r
}

func (r *run) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
	r.cancel = nil
}

// advance runs the loop until the simulated clock passed d more; it
// returns how many times the loop ran.
func (r *run) advance(tb testing.TB, d time.Duration) int {
	end := r.env.Clock.Now().Add(d)
	ticks := 0
	for r.env.Clock.Now().Before(end) {
		r.env.Clock.Set(r.next)
		select {
		case r.next = <-r.idle:
		case <-time.After(30 * time.Second):
			tb.Fatal("the daemon loop did not come back")
		}
		r.follow(tb)
		ticks++
	}
	return ticks
}

// size is the database's bytes on disk (with its WAL) and its rows.
type size struct {
	bytes   int64
	samples int
	rows    int // every table
}

func measure(tb testing.TB, db *store.Store, file string) size {
	tb.Helper()
	var s size
	// Fold the write-ahead log in first: its size says when SQLite last
	// checkpointed, not how much is stored.
	conn, err := sqlite.OpenConn(file, sqlite.OpenReadWrite)
	if err != nil {
		tb.Fatal(err)
	}
	conn.SetBlockOnBusy()
	err = sqlitex.ExecuteTransient(conn, "PRAGMA wal_checkpoint(TRUNCATE)", nil)
	conn.Close()
	if err != nil {
		tb.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(file + suffix); err == nil {
			s.bytes += fi.Size()
		}
	}
	err = db.Read(context.Background(), func(conn *sqlite.Conn) error {
		var tables []string
		err := sqlitex.Execute(conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", &sqlitex.ExecOptions{
			ResultFunc: func(st *sqlite.Stmt) error { tables = append(tables, st.ColumnText(0)); return nil },
		})
		if err != nil {
			return err
		}
		for _, t := range tables {
			err := sqlitex.Execute(conn, `SELECT count(*) FROM "`+t+`"`, &sqlitex.ExecOptions{
				ResultFunc: func(st *sqlite.Stmt) error {
					s.rows += st.ColumnInt(0)
					if t == "usage_samples" {
						s.samples = st.ColumnInt(0)
					}
					return nil
				},
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func heap() (uint64, int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, runtime.NumGoroutine()
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// TestDaemonMonthsStayBounded runs the daemon past the retention period
// (long enough that pruning has to work) and compares the end with the
// state right after the retention period was first filled: the samples
// stop growing, the database grows by at most a few KB a day (the switch
// and auto-swap audits, kept for 90 days, longer than this run), and the heap and the goroutines
// stay flat.
func TestDaemonMonthsStayBounded(t *testing.T) {
	// The short run polls at the longest gap the config allows (1 h; sooner
	// near a threshold); the long one at the default 10 minutes.
	total, interval := 38, 3600
	if os.Getenv("AIMONITOR_STRESS") != "" {
		total, interval = 100, 600
	}
	r := start(t, interval)
	fill := usage.Retention + days(1)
	ticks := r.advance(t, fill)
	full := measure(t, r.env.Store, r.env.DBFile)
	polls := r.env.Requests("")
	// The simulator runs in this process too and keeps a request log (up to
	// 10,000 entries): empty it before each heap reading, so the heap is
	// the daemon's.
	r.env.Sim.ResetLog()
	heapFull, goFull := heap()
	rest := days(total) - fill
	ticks += r.advance(t, rest)
	end := measure(t, r.env.Store, r.env.DBFile)
	polls += r.env.Requests("")
	r.env.Sim.ResetLog()
	heapEnd, goEnd := heap()
	swaps := len(r.env.Accounts.Switches())
	t.Logf("%d simulated days: %d loop runs, %d usage requests, %d auto-swaps, %d notifications", total, ticks, polls, swaps, r.sent.n)
	t.Logf("after %s: %d samples, %d rows, %d KB; after %d days: %d samples, %d rows, %d KB",
		fill.Round(time.Hour), full.samples, full.rows, full.bytes>>10, total, end.samples, end.rows, end.bytes>>10)
	t.Logf("heap %d KB -> %d KB, goroutines %d -> %d", heapFull>>10, heapEnd>>10, goFull, goEnd)

	if polls < total*24 {
		t.Fatalf("only %d usage requests in %d days: the daemon was not polling", polls, total)
	}
	if swaps == 0 {
		t.Fatal("no auto-swap happened: the run did not exercise the swap path")
	}
	// Samples: what the retention period holds, not what the run made.
	if end.samples > full.samples*11/10 {
		t.Errorf("usage samples grew from %d to %d after the retention period: not pruned", full.samples, end.samples)
	}
	restDays := rest.Hours() / 24
	if perDay := float64(end.bytes-full.bytes) / restDays; perDay > 16<<10 {
		t.Errorf("the database grew by %.0f bytes a day once the retention period was full", perDay)
	}
	if float64(end.rows-full.rows)/restDays > 50 {
		t.Errorf("%d rows were added per day once the retention period was full", (end.rows-full.rows)/int(restDays))
	}
	// Memory: a daemon left running for weeks must not creep.
	if heapEnd > heapFull+4<<20 && heapEnd > heapFull*13/10 {
		t.Errorf("the heap grew from %d KB to %d KB", heapFull>>10, heapEnd>>10)
	}
	if goEnd > goFull+2 {
		t.Errorf("goroutines grew from %d to %d", goFull, goEnd)
	}
}

// BenchmarkDaemonSimulatedDay is the cost of one simulated day of the
// daemon (three accounts, auto-swap on), in wall time and allocations.
func BenchmarkDaemonSimulatedDay(b *testing.B) {
	r := start(b, 600)
	r.advance(b, days(1)) // warm up: first polls, history
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.advance(b, days(1))
	}
	b.StopTimer()
	s := measure(b, r.env.Store, r.env.DBFile)
	b.ReportMetric(float64(s.bytes)/float64(b.N+1), "db-bytes/day")
}
