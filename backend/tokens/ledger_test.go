package tokens

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/store"
)

func TestDuplicatesCountedOnce(t *testing.T) {
	e := newEnv(t, 1)
	a := msg{id: "msg_A", req: "req_A", at: t0, in: 3, out: 10, cr: 100}
	full := a
	full.out = 250 // the last streaming copy carries the final output count
	full.at = t0.Add(2 * time.Second)
	b := msg{id: "msg_B", req: "req_B", at: t0.Add(time.Minute), in: 5, out: 20, cw: 40}
	// Same message id with another request id is another response.
	b2 := msg{id: "msg_B", req: "req_B2", at: t0.Add(2 * time.Minute), in: 1, out: 1}
	e.write(0, "-home-me-src-my-app/s1.jsonl", a.line(), userLine(10), full.line(), a.line(), b.line(), b2.line())
	// A resumed session replays the same responses in another file.
	e.write(0, "-home-me-src-my-app/s2.jsonl", a.line(), b.line())
	st := e.scan()
	if st.Entries != 7 || st.Added != 3 {
		t.Fatalf("scan: %+v, want 7 entries and 3 responses", st)
	}
	got := e.totals()
	if want := [4]int64{3 + 5 + 1, 250 + 20 + 1, 40, 100}; tokensOf(got) != want || got.Messages != 3 {
		t.Fatalf("totals %v (%d messages), want %v (3)", tokensOf(got), got.Messages, want)
	}
	// A copy seen in a later scan replaces the counted one only if better,
	// and is never added twice.
	e.write(0, "-home-me-src-my-app/s3.jsonl", a.line(), b.line())
	bigger := b
	bigger.out = 999
	e.write(0, "-home-me-src-my-app/s4.jsonl", bigger.line())
	st = e.scan()
	if st.Added != 0 || st.Improved != 1 {
		t.Fatalf("rescan: %+v, want nothing added and one response improved", st)
	}
	if got := e.totals(); got.OutputTokens != 250+999+1 || got.Messages != 3 {
		t.Fatalf("after a better copy: %+v", got)
	}
}

// The copy counted is ccusage's: a main-chain copy beats a sidechain one,
// then more tokens, then a higher cost, then the earlier copy; whatever the
// order files are read in.
func TestBetterCopy(t *testing.T) {
	base := fact{ts: 100, model: "claude-sonnet-4-5", usage: Usage{Input: 5, Output: 10}}
	side := base
	side.sidechain, side.usage.Output = true, 500
	more := base
	more.usage.Output = 11
	pricier := base
	pricier.usage = Usage{Input: 0, Output: 15} // same total, output costs more
	opus := base
	opus.model = "claude-opus-4-1"
	later := base
	later.ts = 200
	cases := []struct {
		name string
		a, b fact
		want bool // a better than b
	}{
		{"main chain beats sidechain", base, side, true},
		{"sidechain loses even when bigger", side, base, false},
		{"more tokens", more, base, true},
		{"fewer tokens", base, more, false},
		{"same tokens, higher cost", pricier, base, true},
		{"pricier model", opus, base, true},
		{"earlier wins a tie", base, later, true},
		{"later loses a tie", later, base, false},
		{"identical keeps the first", base, base, false},
	}
	for _, c := range cases {
		if got := better(&c.a, &c.b); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}

func TestMalformedAndPartialLines(t *testing.T) {
	e := newEnv(t, 1)
	good := msg{id: "msg_1", req: "r1", at: t0, in: 1, out: 2}
	cut := msg{id: "msg_2", req: "r2", at: t0, in: 10, out: 20}.line()
	late := msg{id: "msg_3", req: "r3", at: t0, in: 100, out: 200}.line()
	path := e.write(0, "p/s.jsonl",
		good.line(),
		cut[:len(cut)/2], // a line cut short by a crash, then a newline
		`{"not json`,
		``,
		`{"type":"summary","summary":"x","leafUuid":"y"}`,
		strings.Replace(good.line(), `"msg_1"`, `"msg_9"`, 1)+`garbage`,
	)
	e.appendRaw(path, late[:40]) // Claude Code is still writing this one
	st := e.scan()
	info, _ := os.Stat(path)
	if got := e.totals(); tokensOf(got) != [4]int64{1, 2, 0, 0} {
		t.Fatalf("totals %v, want only the good line", tokensOf(got))
	}
	if st.Bytes != info.Size() {
		t.Fatalf("read %d bytes of %d", st.Bytes, info.Size())
	}
	// The incomplete line was not consumed: once finished it counts.
	e.appendRaw(path, late[40:]+"\n")
	if st := e.scan(); st.Read != 1 || st.Restarted != 0 || st.Added != 1 {
		t.Fatalf("second scan %+v, want one file read on, one response added", st)
	}
	if got := e.totals(); tokensOf(got) != [4]int64{101, 202, 0, 0} {
		t.Fatalf("totals %v after the line was finished", tokensOf(got))
	}
	// Nothing changed: nothing is read.
	if st := e.scan(); st.Read != 0 || st.Bytes != 0 {
		t.Fatalf("idle scan read %+v", st)
	}
}

// A writer appends lines, sometimes in two halves, while scans run; every
// response is counted exactly once in the end.
func TestFileAppendedWhileRead(t *testing.T) {
	e := newEnv(t, 1)
	path := e.write(0, "p/s.jsonl", userLine(1000))
	const n = 300
	var want int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		for i := 0; i < n; i++ {
			l := msg{id: fmt.Sprintf("msg_%d", i), req: fmt.Sprintf("r%d", i), at: t0.Add(time.Duration(i) * time.Second), in: 1, out: int64(i)}.line()
			if i%3 == 0 {
				l += "\n" + userLine(200) // big lines in between
			}
			cut := len(l) / 2
			f.WriteString(l[:cut])
			if i%7 == 0 {
				time.Sleep(time.Millisecond) // a scan may see half a line
			}
			f.WriteString(l[cut:] + "\n")
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
		default:
			e.scan()
			continue
		}
		break
	}
	e.scan()
	for i := int64(0); i < n; i++ {
		want += i
	}
	if got := e.totals(); got.Messages != n || got.OutputTokens != want || got.InputTokens != n {
		t.Fatalf("got %d messages, %d output tokens; want %d, %d", got.Messages, got.OutputTokens, n, want)
	}
}

func TestTruncatedAndReplacedFiles(t *testing.T) {
	m := func(i int) string {
		return msg{id: fmt.Sprintf("msg_%d", i), req: fmt.Sprintf("r%d", i), at: t0, in: 1, out: int64(10 * i)}.line()
	}
	t.Run("truncated", func(t *testing.T) {
		e := newEnv(t, 1)
		path := e.write(0, "p/s.jsonl", m(1), m(2), m(3), m(4))
		e.scan()
		// Cut back to its first line, then one new response.
		if err := os.Truncate(path, int64(len(m(1))+1)); err != nil {
			t.Fatal(err)
		}
		e.appendRaw(path, m(5)+"\n")
		st := e.scan()
		if st.Restarted != 1 || st.Added != 1 {
			t.Fatalf("scan %+v, want the file read again from the start and one response added", st)
		}
		// History is kept: what was counted before stays counted, once.
		if got := e.totals(); got.Messages != 5 || got.OutputTokens != 150 {
			t.Fatalf("totals %+v", got)
		}
	})
	t.Run("replaced", func(t *testing.T) {
		e := newEnv(t, 1)
		path := e.write(0, "p/s.jsonl", m(1), m(2))
		e.scan()
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(joinLines([]string{m(1), m(2), m(3), userLine(50)})), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil { // a new inode at the same path
			t.Fatal(err)
		}
		st := e.scan()
		if st.Restarted != 1 || st.Added != 1 {
			t.Fatalf("scan %+v, want a restart and one response added", st)
		}
		if got := e.totals(); got.Messages != 3 || got.OutputTokens != 60 {
			t.Fatalf("totals %+v", got)
		}
	})
	t.Run("rewritten in place", func(t *testing.T) {
		e := newEnv(t, 1)
		path := e.write(0, "p/s.jsonl", m(1), m(2))
		e.scan()
		// Same inode, longer, different bytes before the old offset: only
		// the hash of those bytes tells.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(joinLines([]string{m(3), m(4), m(5)}))
		f.Close()
		st := e.scan()
		if st.Restarted != 1 || st.Added != 3 {
			t.Fatalf("scan %+v, want a restart and three responses added", st)
		}
		if got := e.totals(); got.Messages != 5 {
			t.Fatalf("totals %+v", got)
		}
	})
}

func TestSeveralConfigDirs(t *testing.T) {
	home := t.TempDir()
	other, third := t.TempDir(), t.TempDir()
	roots := DefaultRoots([]string{"HOME=" + home, "CLAUDE_CONFIG_DIR=" + other + ", " + third + "," + filepath.Join(home, ".claude")})
	want := []string{filepath.Join(home, ".claude", "projects"), filepath.Join(home, ".config", "claude", "projects"),
		filepath.Join(other, "projects"), filepath.Join(third, "projects")}
	if fmt.Sprint(roots) != fmt.Sprint(want) {
		t.Fatalf("roots %v\nwant %v", roots, want)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &env{t: t, db: db, roots: roots, l: New(db, Options{Roots: roots})}
	shared := msg{id: "msg_S", req: "rS", at: t0, in: 1, out: 1}
	shared.cwd = "/home/me/a"
	e.write(0, "-home-me-a/s.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 10, out: 10, cwd: "/home/me/a"}.line(), shared.line())
	e.write(2, "-home-me-b/s.jsonl", msg{id: "msg_2", req: "r2", at: t0, in: 100, out: 100, cwd: "/home/me/b"}.line(), shared.line())
	e.write(3, "-home-me-b/t.jsonl", msg{id: "msg_3", req: "r3", at: t0, in: 1000, out: 1000, cwd: "/home/me/b"}.line())
	// roots[1] does not exist: skipped, and read once it appears.
	st := e.scan()
	if st.Files != 3 {
		t.Fatalf("found %d files, want 3", st.Files)
	}
	if got := e.totals(); got.InputTokens != 1111 || got.Messages != 4 {
		t.Fatalf("totals %+v", got)
	}
	e.write(1, "-home-me-c/s.jsonl", msg{id: "msg_4", req: "r4", at: t0, in: 10000, out: 1, cwd: "/home/me/c"}.line())
	e.scan()
	if got := e.totals(); got.InputTokens != 11111 {
		t.Fatalf("after a new root appeared: %+v", got)
	}
	// The same project directory under two roots is one project.
	byProject := e.report(Query{By: ByProject})
	if len(byProject.Rows) != 3 {
		t.Fatalf("projects %+v", byProject.Rows)
	}
}

func TestTimeZoneDayBoundaries(t *testing.T) {
	e := newEnv(t, 1)
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	lines := []string{
		msg{id: "msg_1", req: "r1", at: at("2025-06-01T23:40:00Z"), in: 1, out: 1}.line(),
		msg{id: "msg_2", req: "r2", at: at("2025-06-02T00:20:00Z"), in: 10, out: 1}.line(),
		msg{id: "msg_3", req: "r3", at: at("2025-06-02T18:50:00Z"), in: 100, out: 1}.line(),
		// Around Europe/Paris's switch to summer time (2025-03-30 01:00 UTC).
		msg{id: "msg_4", req: "r4", at: at("2025-03-29T22:59:00Z"), in: 1000, out: 1}.line(),
		msg{id: "msg_5", req: "r5", at: at("2025-03-29T23:00:00Z"), in: 10000, out: 1}.line(),
		msg{id: "msg_6", req: "r6", at: at("2025-03-30T22:00:00Z"), in: 100000, out: 1}.line(),
	}
	e.write(0, "p/s.jsonl", lines...)
	e.scan()
	days := func(zone string) map[string]int64 {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, r := range e.report(Query{Location: loc}).Rows {
			out[r.Date] = r.InputTokens
		}
		return out
	}
	cases := []struct {
		zone string
		want map[string]int64
	}{
		{"UTC", map[string]int64{"2025-03-29": 1000 + 10000, "2025-03-30": 100000, "2025-06-01": 1, "2025-06-02": 110}},
		{"America/New_York", map[string]int64{"2025-03-29": 11000, "2025-03-30": 100000, "2025-06-01": 11, "2025-06-02": 100}},
		{"Asia/Kolkata", map[string]int64{"2025-03-30": 11000, "2025-03-31": 100000, "2025-06-02": 11, "2025-06-03": 100}}, // +05:30
		{"Asia/Kathmandu", map[string]int64{"2025-03-30": 11000, "2025-03-31": 100000, "2025-06-02": 11, "2025-06-03": 100}},
		// +01:00 until the change, +02:00 after: 22:59Z is the 29th, 23:00Z the 30th.
		{"Europe/Paris", map[string]int64{"2025-03-29": 1000, "2025-03-30": 10000, "2025-03-31": 100000, "2025-06-02": 111}},
		{"Pacific/Chatham", map[string]int64{"2025-03-30": 11000, "2025-03-31": 100000, "2025-06-02": 11, "2025-06-03": 100}}, // +12:45/+13:45
	}
	for _, c := range cases {
		if got := days(c.zone); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.zone, got, c.want)
		}
	}
	// Since and until are whole local days, both included.
	loc, _ := time.LoadLocation("Asia/Kolkata")
	r := e.report(Query{Since: "2025-06-02", Until: "2025-06-02", Location: loc})
	if r.Totals.InputTokens != 11 {
		t.Fatalf("2025-06-02 in Kolkata: %+v", r.Totals)
	}
	if _, err := e.l.Report(context.Background(), Query{Since: "2025-06-03", Until: "2025-06-02"}); err == nil {
		t.Fatal("since after until was accepted")
	}
	if _, err := e.l.Report(context.Background(), Query{Since: "June 2"}); err == nil {
		t.Fatal("a malformed date was accepted")
	}
}

func TestAccountAttributionAcrossSwitches(t *testing.T) {
	e := newEnv(t, 1)
	var lines []string
	for i := 0; i < 12; i++ { // one response every 10 minutes from 10:00
		lines = append(lines, msg{id: fmt.Sprintf("msg_%d", i), req: fmt.Sprintf("r%d", i), at: t0.Add(time.Duration(i) * 10 * time.Minute), in: 1 << i, out: 1}.line())
	}
	// and one at 10:27, in the same quarter hour as 10:20 but after the 10:25 switch
	lines = append(lines, msg{id: "msg_x", req: "rx", at: t0.Add(27 * time.Minute), in: 1 << 12, out: 1}.line())
	e.write(0, "p/s.jsonl", lines...)
	e.scan()
	byAccount := func() map[string]int64 {
		out := map[string]int64{}
		for _, r := range e.report(Query{By: ByAccount}).Rows {
			out[r.Account] = r.InputTokens
		}
		return out
	}
	if got := byAccount(); fmt.Sprint(got) != fmt.Sprint(map[string]int64{UnknownAccount: 1<<13 - 1}) {
		t.Fatalf("before any switch: %v", got)
	}
	// Switches logged later still apply to the time they happened; 10:25
	// and 10:52:30 cut quarter hours in two; a failed switch changes nothing.
	e.switchTo(t0.Add(25*time.Minute), "work", true)
	e.switchTo(t0.Add(40*time.Minute), "broken", false)
	e.switchTo(t0.Add(52*time.Minute+30*time.Second), "personal", true)
	e.switchTo(t0.Add(90*time.Minute), "work", true) // exactly on a response: it is the new account's
	want := map[string]int64{
		UnknownAccount: 1 | 2 | 4, // 10:00, 10:10, 10:20
		"work":         8 | 16 | 32 | 1<<9 | 1<<10 | 1<<11 | 1<<12,
		"personal":     64 | 128 | 256,
	}
	if got := byAccount(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestUnpricedModelsAreNotFree(t *testing.T) {
	e := newEnv(t, 1)
	e.write(0, "p/s.jsonl",
		msg{id: "msg_1", req: "r1", at: t0, in: 100_000, model: "claude-sonnet-4-5-20250929"}.line(),
		msg{id: "msg_2", req: "r2", at: t0, in: 5, model: "some-local-model"}.line(),
		msg{id: "msg_3", req: "r3", at: t0.AddDate(0, 0, 1), in: 5, model: "some-local-model"}.line())
	e.scan()
	r := e.report(Query{By: ByModel})
	for _, row := range r.Rows {
		switch row.Model {
		case "some-local-model":
			if row.CostUSD != nil || fmt.Sprint(row.UnpricedModels) != "[some-local-model]" {
				t.Fatalf("unknown model priced: %+v", row)
			}
		case "claude-sonnet-4-5-20250929":
			if row.CostUSD == nil || *row.CostUSD != 0.3 {
				t.Fatalf("sonnet: %+v", row)
			}
		}
	}
	if r.Totals.CostUSD == nil || *r.Totals.CostUSD != 0.3 || fmt.Sprint(r.Totals.UnpricedModels) != "[some-local-model]" {
		t.Fatalf("totals: %+v", r.Totals)
	}
	days := e.report(Query{}).Rows
	if len(days) != 2 || days[1].CostUSD != nil {
		t.Fatalf("a day with only unpriced usage must have no cost: %+v", days)
	}
}

// Two aimonitor processes (here two ledgers on one database file) scanning
// at once count everything once.
func TestConcurrentScansCountOnce(t *testing.T) {
	e := newEnv(t, 1)
	for f := 0; f < 6; f++ {
		var lines []string
		for i := 0; i < 50; i++ {
			lines = append(lines, msg{id: fmt.Sprintf("msg_%d", i), req: fmt.Sprintf("r%d", i), at: t0, in: 1, out: 1}.line())
		}
		e.write(0, fmt.Sprintf("p/s%d.jsonl", f), lines...)
	}
	db2, err := store.Open(context.Background(), e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	other := New(db2, Options{Roots: e.roots, BatchBytes: 1})
	var wg sync.WaitGroup
	for _, l := range []*Ledger{e.l, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Scan(context.Background(), nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := e.totals(); got.Messages != 50 || got.InputTokens != 50 {
		t.Fatalf("totals %+v, want 50 responses", got)
	}
}

func TestReportCacheFollowsChanges(t *testing.T) {
	e := newEnv(t, 1)
	path := e.write(0, "p/s.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 1, out: 1}.line())
	e.scan()
	first, _ := json.Marshal(e.report(Query{By: ByAccount}))
	if again, _ := json.Marshal(e.report(Query{By: ByAccount})); string(again) != string(first) {
		t.Fatalf("cached report differs:\n%s\n%s", again, first)
	}
	e.appendRaw(path, msg{id: "msg_2", req: "r2", at: t0, in: 10, out: 1}.line()+"\n")
	e.scan()
	if got := e.report(Query{By: ByAccount}).Totals.InputTokens; got != 11 {
		t.Fatalf("after new usage: %d input tokens", got)
	}
	e.switchTo(t0.Add(-time.Hour), "work", true)
	if got := e.report(Query{By: ByAccount}).Rows; len(got) != 1 || got[0].Account != "work" {
		t.Fatalf("after a switch: %+v", got)
	}
	// Zones that agree on every midnight still name themselves.
	london, _ := time.LoadLocation("Europe/London") // t0 is in June: London is UTC+1
	if r := e.report(Query{Location: london}); r.TimeZone != "Europe/London" {
		t.Fatalf("zone %q", r.TimeZone)
	}
	if r := e.report(Query{Location: time.UTC}); r.TimeZone != "UTC" {
		t.Fatalf("zone %q", r.TimeZone)
	}
	if r := e.report(Query{Location: time.FixedZone("Etc/UTC", 0)}); r.TimeZone != "Etc/UTC" {
		t.Fatalf("zone %q", r.TimeZone)
	}
	raw, err := e.l.ReportJSON(context.Background(), Query{By: ByAccount, Location: time.UTC})
	if err != nil || !strings.Contains(string(raw), `"account":"work"`) {
		t.Fatalf("json %s %v", raw, err)
	}
}

func TestSummary(t *testing.T) {
	e := newEnv(t, 1)
	// Wednesday 2025-06-04. A session from 08:10 (block 08:00-13:00), a
	// pause, then usage from 14:20 (block 14:00-19:00).
	at := func(hh, mm int) time.Time { return time.Date(2025, 6, 4, hh, mm, 0, 0, time.UTC) }
	e.write(0, "p/s.jsonl",
		msg{id: "msg_0", req: "r0", at: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), in: 1000, out: 1}.line(), // Sunday: last week
		msg{id: "msg_1", req: "r1", at: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC), in: 100, out: 1}.line(),  // Monday
		msg{id: "msg_2", req: "r2", at: at(8, 10), in: 10, out: 1}.line(),
		msg{id: "msg_3", req: "r3", at: at(12, 59), in: 10, out: 1}.line(),
		msg{id: "msg_4", req: "r4", at: at(14, 20), in: 1, out: 1}.line(),
		msg{id: "msg_5", req: "r5", at: at(15, 0), in: 1, out: 1}.line())
	e.scan()
	s, err := e.l.Summary(context.Background(), at(16, 0))
	if err != nil {
		t.Fatal(err)
	}
	if s.Today.InputTokens != 22 || s.Week.InputTokens != 122 {
		t.Fatalf("today %d, week %d", s.Today.InputTokens, s.Week.InputTokens)
	}
	if !s.Block.Active || !s.Block.Start.Equal(at(14, 0)) || !s.Block.End.Equal(at(19, 0)) || s.Block.Totals.InputTokens != 2 {
		t.Fatalf("block %+v", s.Block)
	}
	if !s.WeekStart.Equal(time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("week starts %v", s.WeekStart)
	}
	// Five hours after the block started it is over.
	if s, err := e.l.Summary(context.Background(), at(19, 0)); err != nil || s.Block.Active {
		t.Fatalf("block at 19:00: %+v %v", s.Block, err)
	}
}

func TestDecodeProjectDir(t *testing.T) {
	for in, want := range map[string]string{
		"-home-me-src-app": "/home/me/src/app",
		"C--Users-me-app":  "C:/Users/me/app",
		"":                 "",
		"plain":            "plain",
	} {
		if got := DecodeProjectDir(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestProjectsUseTheRecordedWorkingDirectory(t *testing.T) {
	e := newEnv(t, 1)
	e.write(0, "-home-me-src-my-app/s.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 1, out: 1, cwd: "/home/me/src/my-app"}.line())
	e.write(0, "-srv-x/s.jsonl", `{"type":"summary","summary":"nothing with a cwd"}`)
	e.scan()
	r := e.report(Query{By: ByProject})
	if len(r.Rows) != 1 || r.Rows[0].Project != "/home/me/src/my-app" {
		t.Fatalf("projects %+v", r.Rows)
	}
}

// Files grown in random pieces, cut anywhere (mid-line included), scanned
// after each piece, end up exactly as one scan of the finished files.
func TestStagedAppendsMatchOneScan(t *testing.T) {
	t.Run("default", testStagedAppendsMatchOneScan)
	// New responses inserted three at a time: copies of a response meet it
	// queued, inserted in this transaction, and inserted in an earlier one.
	t.Run("small insert batches", func(t *testing.T) {
		defer func(n int) { insertBatch = n }(insertBatch)
		insertBatch = 3
		testStagedAppendsMatchOneScan(t)
	})
}

func testStagedAppendsMatchOneScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var contents []string
	for f := 0; f < 8; f++ {
		var lines []string
		for i := 0; i < 40; i++ {
			m := msg{id: fmt.Sprintf("msg_%d", rng.IntN(200)), req: "r", at: t0.Add(time.Duration(rng.IntN(72)) * time.Hour),
				in: int64(rng.IntN(100)), out: int64(rng.IntN(100)), cr: int64(rng.IntN(1000)), sidechain: rng.IntN(5) == 0}
			lines = append(lines, m.line())
			if rng.IntN(3) == 0 {
				lines = append(lines, userLine(rng.IntN(300)))
			}
		}
		contents = append(contents, joinLines(lines))
	}
	staged, whole := newEnv(t, 1), newEnv(t, 1)
	paths := make([]string, len(contents))
	done := make([]int, len(contents))
	for i := range contents {
		name := fmt.Sprintf("p%d/s%d.jsonl", i%3, i)
		paths[i] = staged.write(0, name)
		whole.write(0, name, strings.TrimSuffix(contents[i], "\n"))
	}
	for stage := 0; stage < 6; stage++ {
		for i, c := range contents {
			end := len(c)
			if stage < 5 {
				end = min(len(c), done[i]+rng.IntN(len(c)/3+1))
			}
			staged.appendRaw(paths[i], c[done[i]:end])
			done[i] = end
		}
		staged.scan()
	}
	if st := whole.scan(); st.Added < 100 {
		t.Fatalf("the corpus is too small to tell: %+v", st)
	}
	for _, by := range []string{ByDay, ByModel, ByProject} {
		a, _ := json.Marshal(staged.report(Query{By: by}))
		b, _ := json.Marshal(whole.report(Query{By: by}))
		if string(a) != string(b) {
			t.Fatalf("by %s:\nstaged %s\nwhole  %s", by, a, b)
		}
	}
}

// A transcript that vanishes or cannot be read while a scan runs is
// skipped, not fatal, and read again by the next scan.
func TestUnreadableFileIsSkipped(t *testing.T) {
	e := newEnv(t, 1)
	e.write(0, "p/a.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 1, out: 1}.line())
	gone := e.write(0, "p/b.jsonl", msg{id: "msg_2", req: "r2", at: t0, in: 10, out: 1}.line())
	odd := e.write(0, "p/c.jsonl", msg{id: "msg_3", req: "r3", at: t0, in: 100, out: 1}.line())
	// After the files are listed and before they are read: one is deleted,
	// one becomes a directory (reading it fails, even for root).
	first := true
	st, err := e.l.Scan(context.Background(), func(p Progress) {
		if first {
			first = false
			os.Remove(gone)
			os.Remove(odd)
			os.Mkdir(odd, 0o755)
		}
	})
	if err != nil || st.Unreadable != 1 || e.totals().InputTokens != 1 {
		t.Fatalf("scan %+v %v, totals %+v", st, err, e.totals())
	}
	os.Remove(odd)
	e.write(0, "p/c.jsonl", msg{id: "msg_3", req: "r3", at: t0, in: 100, out: 1}.line())
	if st := e.scan(); st.Unreadable != 0 || e.totals().InputTokens != 101 {
		t.Fatalf("scan %+v, totals %+v", st, e.totals())
	}
}

func TestLocation(t *testing.T) {
	for name, want := range map[string]string{"": "Local", "local": "Local", "UTC": "UTC", "Asia/Kathmandu": "Asia/Kathmandu"} {
		loc, err := Location(name)
		if err != nil || loc.String() != want {
			t.Errorf("%q: %v %v", name, loc, err)
		}
	}
	if _, err := Location("Mars/Olympus"); err == nil {
		t.Error("an unknown zone was accepted")
	}
}

// A long scan ends its transaction when another writer of the process
// waits (an account switch records itself in the database), so that writer
// runs while the scan is still going instead of after it.
func TestScanMakesWayForAnotherWriter(t *testing.T) {
	e := newEnv(t, 1)
	const files = 40
	for f := 0; f < files; f++ {
		var lines []string
		for i := 0; i < 20; i++ {
			lines = append(lines, msg{id: fmt.Sprintf("msg_%d_%d", f, i), req: fmt.Sprintf("r%d_%d", f, i), at: t0, in: 1, out: 1}.line())
		}
		e.write(0, fmt.Sprintf("p/s%d.jsonl", f), lines...)
	}
	var filesDone, seenBySwitch atomic.Int64
	seenBySwitch.Store(-1)
	switched := make(chan error, 1)
	onProgress := func(p Progress) {
		filesDone.Store(int64(p.FilesDone))
		if p.FilesDone != 1 {
			return
		}
		// Inside the scan's first transaction: a switch starts writing.
		go func() {
			switched <- e.db.Write(context.Background(), func(conn *sqlite.Conn) error {
				seenBySwitch.Store(filesDone.Load())
				return sqlitex.ExecuteTransient(conn, `INSERT INTO switch_log(ts, to_label, trigger, ok) VALUES (1, 'b', 'manual', 1)`, nil)
			})
		}()
		for !e.db.WritersWaiting() {
			runtime.Gosched()
		}
	}
	st, err := e.l.Scan(context.Background(), onProgress)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-switched; err != nil {
		t.Fatal(err)
	}
	if got := seenBySwitch.Load(); got < 1 || got >= files {
		t.Fatalf("the switch ran after %d of %d files; want it during the scan", got, files)
	}
	if st.Added != files*20 {
		t.Fatalf("added %d, want %d", st.Added, files*20)
	}
	if got := e.totals(); got.Messages != files*20 {
		t.Fatalf("totals %+v, want %d responses", got, files*20)
	}
}

// A scan whose parsers fall behind (a slow disk, a busy machine; here held
// by BeforeRead) waits for them outside a transaction: another writer gets
// the database at once instead of waiting out the busy timeout and failing.
func TestStalledScanHoldsNoLock(t *testing.T) {
	e := newEnv(t, 1)
	const files = 6
	for f := 0; f < files; f++ {
		e.write(0, fmt.Sprintf("p/s%d.jsonl", f), msg{id: fmt.Sprintf("msg_%d", f), req: fmt.Sprintf("r%d", f), at: t0, in: 1, out: 1}.line())
	}
	var reads atomic.Int64
	gate := make(chan struct{})
	l := New(e.db, Options{Roots: e.roots, Workers: 1, BeforeRead: func(ctx context.Context) {
		if reads.Add(1) > 2 {
			select {
			case <-gate:
			case <-ctx.Done():
			}
		}
	}})
	firstWritten := make(chan struct{})
	var once sync.Once
	scanned := make(chan error, 1)
	go func() {
		_, err := l.Scan(context.Background(), func(p Progress) {
			if p.FilesDone > 0 {
				once.Do(func() { close(firstWritten) })
			}
		})
		scanned <- err
	}()
	<-firstWritten
	// The scan is stalled on its third file, with two written.
	err := e.db.Write(context.Background(), func(conn *sqlite.Conn) error {
		return sqlitex.ExecuteTransient(conn, `INSERT INTO switch_log(ts, to_label, trigger, ok) VALUES (1, 'b', 'manual', 1)`, nil)
	})
	close(gate)
	if err != nil {
		t.Fatalf("a write while the scan waited for its parsers: %v", err)
	}
	if err := <-scanned; err != nil {
		t.Fatal(err)
	}
	if got := e.totals(); got.Messages != files {
		t.Fatalf("totals %+v, want %d responses", got, files)
	}
}

// A large scan relaxes syncing and checkpoints on its own connection only
// while it runs: every connection of the pool is back to the defaults after
// it, and no WAL is left behind.
func TestScanRestoresConnectionSettings(t *testing.T) {
	defer func(b int64) { bulkBytes = b }(bulkBytes)
	bulkBytes = 0 // every scan is a large one
	e := newEnv(t, 1)
	e.write(0, "p/s.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 1, out: 1}.line())
	e.scan()
	for i := 0; i < 8; i++ {
		err := e.db.Read(context.Background(), func(conn *sqlite.Conn) error {
			for q, want := range map[string]int64{"PRAGMA synchronous": 2, "PRAGMA wal_autocheckpoint": 1000, "PRAGMA cache_size": -2000} {
				var got int64
				if err := sqlitex.ExecuteTransient(conn, q, &sqlitex.ExecOptions{ResultFunc: func(st *sqlite.Stmt) error { got = st.ColumnInt64(0); return nil }}); err != nil {
					return err
				}
				if got != want {
					t.Errorf("%s = %d after a scan, want %d", q, got, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if st, err := os.Stat(e.db.Path() + "-wal"); err != nil || st.Size() != 0 {
		t.Fatalf("WAL after a large scan: %v %v", st, err)
	}
}

// A Ledger given a listing started earlier (Prelist) scans what that
// listing found, once; a transcript written after it is read by the next
// scan. A listing of other roots is not used.
func TestScanUsesPrelisting(t *testing.T) {
	e := newEnv(t, 1)
	e.write(0, "-home-me-a/s1.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 1, out: 2}.line())
	listing := Prelist(e.roots)
	<-listing.done // the listing is finished before the next file appears
	e.write(0, "-home-me-a/s2.jsonl", msg{id: "msg_2", req: "r2", at: t0, in: 1, out: 2}.line())
	l := New(e.db, Options{Roots: e.roots, Listing: listing})
	st, err := l.Scan(context.Background(), nil)
	if err != nil || st.Files != 1 || st.Added != 1 {
		t.Fatalf("first scan with the listing: %+v, %v; want 1 file, 1 response", st, err)
	}
	st, err = l.Scan(context.Background(), nil)
	if err != nil || st.Files != 2 || st.Read != 1 || st.Added != 1 {
		t.Fatalf("second scan: %+v, %v; want 2 files, 1 read, 1 response", st, err)
	}

	other := Prelist([]string{t.TempDir()})
	l = New(e.db, Options{Roots: e.roots, Listing: other})
	if st, err := l.Scan(context.Background(), nil); err != nil || st.Files != 2 || st.Read != 0 {
		t.Fatalf("a listing of other roots was used: %+v, %v", st, err)
	}
}
