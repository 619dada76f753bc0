package statusline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/daemon"
)

func (w *world) cacheFile() string { return filepath.Join(filepath.Dir(w.dbFile()), CacheName) }

func freshWorld(t *testing.T) *world {
	w := newWorld(t)
	w.addAccount(1, "work")
	w.addAccount(2, "bob")
	w.login("work")
	w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(42, 63, now.Add(-time.Minute))},
		daemon.AccountStatus{ID: 2, Label: "bob", Usage: usageOf(5, 10, now.Add(-time.Minute))}))
	return w
}

// Every change the line shows makes a new cache key: a write to the
// database (the poller's next status row), Claude Code's login.
func TestCacheFollowsChanges(t *testing.T) {
	w := freshWorld(t)
	if got, want := w.line(""), "work · 5h 42% (1h20m) · 7d 63% (3d4h)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	fi, err := os.Stat(w.cacheFile())
	if err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("cache mode %o, want 600", fi.Mode().Perm())
	}
	w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(43, 63, now.Add(-time.Minute))}))
	if got, want := w.line(""), "work · 5h 43% (1h20m) · 7d 63% (3d4h)"; got != want {
		t.Fatalf("after a new status row: got %q, want %q", got, want)
	}
	w.login("bob")
	if got, want := w.line(""), "bob · no data yet"; got != want {
		t.Fatalf("after a switch: got %q, want %q", got, want)
	}
}

// A run with the same key renders from the cache without reading the
// database; an entry with another key, too old or unreadable is not used.
func TestCacheEntryIsUsedOnlyUnderItsKey(t *testing.T) {
	w := freshWorld(t)
	real := w.line("")
	src := Source{DBFile: w.dbFile(), Claude: claudeEnv(w)}
	plant := func(key string, written time.Time) {
		t.Helper()
		data, err := json.Marshal(cacheEntry{Key: key, Written: written, Stored: &stored{Accounts: 1, Account: &Account{ID: 9, Label: "from-the-cache"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(w.cacheFile(), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	plant(cacheKey(src, now), now.Add(-time.Second))
	if got := w.line(""); got != "from-the-cache · no data yet" {
		t.Fatalf("a valid entry was not used: %q", got)
	}
	for name, written := range map[string]time.Time{"too old": now.Add(-cacheMaxAge - time.Second), "from the future": now.Add(time.Minute)} {
		plant(cacheKey(src, now), written)
		if got := w.line(""); got != real {
			t.Errorf("%s: got %q, want %q", name, got, real)
		}
	}
	plant("v0|another key", now)
	if got := w.line(""); got != real {
		t.Errorf("another key: got %q, want %q", got, real)
	}
	if err := os.WriteFile(w.cacheFile(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := w.line(""); got != real {
		t.Errorf("a broken cache file: got %q, want %q", got, real)
	}
}

// Today's tokens are keyed by the day they sum.
func TestCacheKeyNamesTheDay(t *testing.T) {
	w := freshWorld(t)
	src := Source{DBFile: w.dbFile(), Claude: claudeEnv(w), WithTokens: true}
	if cacheKey(src, now) != cacheKey(src, now.Add(time.Hour)) {
		t.Error("two times of one day have different keys")
	}
	if cacheKey(src, now) == cacheKey(src, now.Add(24*time.Hour)) {
		t.Error("two days have the same key")
	}
	without := src
	without.WithTokens = false
	if cacheKey(without, now) != cacheKey(without, now.Add(24*time.Hour)) {
		t.Error("without tokens the day should not matter")
	}
	if cacheKey(without, now) == cacheKey(src, now) {
		t.Error("a read with tokens and one without have the same key")
	}
}

func claudeEnv(w *world) claudecode.Env {
	env, err := claudecode.EnvFrom(lookupIn(w.environ), "linux")
	if err != nil {
		w.t.Fatal(err)
	}
	return env
}
