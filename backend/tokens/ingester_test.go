package tokens

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
)

type scanResult struct {
	st  ScanStats
	err error
}

func startIngester(t *testing.T, e *env, fake *clock.Fake) (*Ingester, chan scanResult) {
	t.Helper()
	scans := make(chan scanResult, 100)
	in := e.l.StartIngester(context.Background(), IngesterOptions{
		Clock: fake, Debounce: 2 * time.Second, Rescan: time.Hour,
		OnScan: func(st ScanStats, err error) { scans <- scanResult{st, err} },
	})
	t.Cleanup(in.Stop)
	waitScan(t, scans) // the first scan
	return in, scans
}

func waitScan(t *testing.T, scans chan scanResult) ScanStats {
	t.Helper()
	select {
	case r := <-scans:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.st
	case <-time.After(10 * time.Second):
		t.Fatal("no scan")
	}
	return ScanStats{}
}

// waitDebounce waits until a change has armed the debounce timer (the
// rescan timer is the other one) and returns its deadline.
func waitDebounce(t *testing.T, fake *clock.Fake) time.Time {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if fake.Pending() >= 2 {
			next, _ := fake.NextDeadline()
			return next
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the change was not noticed")
	return time.Time{}
}

// settle advances the fake clock scan by scan until the totals reach want:
// a file's creation and its content can be noticed in separate events.
func settle(t *testing.T, e *env, fake *clock.Fake, scans chan scanResult, want int64) {
	t.Helper()
	for i := 0; i < 20; i++ {
		waitDebounce(t, fake)
		fake.Advance(2 * time.Second)
		waitScan(t, scans)
		if e.totals().InputTokens == want {
			return
		}
	}
	t.Fatalf("input tokens %d, want %d", e.totals().InputTokens, want)
}

func TestIngesterFollowsChanges(t *testing.T) {
	e := newEnv(t, 1)
	path := e.write(0, "-home-me-a/s.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 1, out: 1}.line())
	fake := clock.NewFake(t0)
	in, scans := startIngester(t, e, fake)
	if got := e.totals().InputTokens; got != 1 {
		t.Fatalf("first scan: %d input tokens", got)
	}

	// An append is read once the writes have been quiet for the debounce.
	e.appendRaw(path, msg{id: "msg_2", req: "r2", at: t0, in: 10, out: 1}.line()+"\n")
	next := waitDebounce(t, fake)
	if want := fake.Now().Add(2 * time.Second); !next.Equal(want) {
		t.Fatalf("debounce deadline %v, want %v", next, want)
	}
	fake.Advance(time.Second)
	select {
	case <-scans:
		t.Fatal("scanned before the debounce ended")
	default:
	}
	fake.Advance(time.Second)
	waitScan(t, scans)
	if got := e.totals().InputTokens; got != 11 {
		t.Fatalf("after an append: %d input tokens", got)
	}

	// A new project directory, and a session directory inside it, are
	// watched as they appear.
	e.write(0, "-home-me-b/sess/subagents/agent-1.jsonl", msg{id: "msg_3", req: "r3", at: t0, in: 100, out: 1, sidechain: true}.line())
	settle(t, e, fake, scans, 111)
	e.appendRaw(filepath.Join(e.roots[0], "-home-me-b/sess/subagents/agent-1.jsonl"), msg{id: "msg_4", req: "r4", at: t0, in: 1000, out: 1}.line()+"\n")
	settle(t, e, fake, scans, 1111)

	// Trigger asks for a scan without any change on disk.
	in.Trigger()
	waitDebounce(t, fake)
	fake.Advance(2 * time.Second)
	if st := waitScan(t, scans); st.Read != 0 {
		t.Fatalf("triggered scan read %d files, want none", st.Read)
	}

	in.Stop()
	in.Stop() // twice is fine
	e.appendRaw(path, msg{id: "msg_5", req: "r5", at: t0, in: 5, out: 1}.line()+"\n")
	fake.Advance(time.Hour)
	select {
	case <-scans:
		t.Fatal("scanned after Stop")
	case <-time.After(50 * time.Millisecond):
	}
}

// Steady writing postpones a scan by at most MaxDelay.
func TestIngesterMaxDelay(t *testing.T) {
	e := newEnv(t, 1)
	path := e.write(0, "p/s.jsonl", msg{id: "msg_0", req: "r0", at: t0, in: 1, out: 1}.line())
	fake := clock.NewFake(t0)
	_, scans := startIngester(t, e, fake)
	start := fake.Now()
	for i := 1; ; i++ {
		e.appendRaw(path, msg{id: "msg_" + string(rune('a'+i)), req: "r", at: t0, in: 1, out: 1}.line()+"\n")
		waitDebounce(t, fake)
		fake.Advance(time.Second) // a write every second: the debounce never ends by itself
		select {
		case <-scans:
			if waited := fake.Now().Sub(start); waited > 10*time.Second+time.Second {
				t.Fatalf("scanned after %v of steady writing, want at most MaxDelay (10s)", waited)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
		if i > 30 {
			t.Fatal("steady writing postponed the scan forever")
		}
	}
}

func TestIngesterWatchesRootCreatedLater(t *testing.T) {
	e := newEnv(t, 1) // the root does not exist yet
	fake := clock.NewFake(t0)
	scans := make(chan scanResult, 10)
	in := e.l.StartIngester(context.Background(), IngesterOptions{Clock: fake, Debounce: time.Second, Rescan: time.Minute,
		OnScan: func(st ScanStats, err error) { scans <- scanResult{st, err} }})
	defer in.Stop()
	waitScan(t, scans)
	if err := os.MkdirAll(e.roots[0], 0o755); err != nil {
		t.Fatal(err)
	}
	e.write(0, "p/s.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 7, out: 1}.line())
	// The periodic scan finds the new root and starts watching it.
	for fake.Pending() < 1 {
		time.Sleep(time.Millisecond)
	}
	fake.Advance(time.Minute)
	waitScan(t, scans)
	if got := e.totals().InputTokens; got != 7 {
		t.Fatalf("input tokens %d", got)
	}
}
