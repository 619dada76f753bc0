package statusline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
)

func (w *world) cacheFile() string { return filepath.Join(filepath.Dir(w.dbFile()), line.CacheName) }

func (w *world) inputs() line.Inputs {
	in, err := line.Locate(paths.EnvIn(w.environ), "linux")
	if err != nil {
		w.t.Fatal(err)
	}
	return in
}

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
	in := w.inputs()
	entry := func() *line.Entry {
		return &line.Entry{ConfigEnv: config.EnvVars(), Style: line.Style{Format: line.DefaultFormat},
			Stored: &line.Stored{Accounts: 1, Account: &line.Account{ID: 9, Label: "from-the-cache"}}}
	}
	plant := func(stamps line.Stamps, written time.Time) {
		t.Helper()
		line.WriteCache(in, stamps, entry(), written)
	}
	plant(line.StampsOf(in), now.Add(-time.Second))
	if got := w.line(""); got != "from-the-cache · no data yet" {
		t.Fatalf("a valid entry was not used: %q", got)
	}
	for name, written := range map[string]time.Time{"too old": now.Add(-line.MaxAge - time.Second), "from the future": now.Add(time.Minute)} {
		plant(line.StampsOf(in), written)
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

// The key covers everything the line is made of besides the clock and the
// session: today's tokens are keyed by the day they sum, the settings by
// config.yaml and the environment's overrides.
func TestCacheKeyCoversEveryInput(t *testing.T) {
	w := freshWorld(t)
	in := w.inputs()
	withTokens := &line.Entry{ConfigEnv: config.EnvVars(), Style: line.Style{Format: "{account} {tokens}"}}
	without := &line.Entry{ConfigEnv: config.EnvVars(), Style: line.Style{Format: line.DefaultFormat}}
	s := line.StampsOf(in)
	if s.Key(in, withTokens, now) != s.Key(in, withTokens, now.Add(time.Hour)) {
		t.Error("two times of one day have different keys")
	}
	if s.Key(in, withTokens, now) == s.Key(in, withTokens, now.Add(24*time.Hour)) {
		t.Error("two days have the same key")
	}
	if s.Key(in, without, now) != s.Key(in, without, now.Add(24*time.Hour)) {
		t.Error("without tokens the day should not matter")
	}
	if s.Key(in, without, now) == s.Key(in, withTokens, now) {
		t.Error("a read with tokens and one without have the same key")
	}
	// An environment override of the configuration.
	w.environ = append(w.environ, "AIMONITOR_NOTIFY_WARN_PCT=50")
	in2 := w.inputs()
	if line.StampsOf(in2).Key(in2, without, now) == s.Key(in, without, now) {
		t.Error("an environment override does not change the key")
	}
	// config.yaml.
	if err := config.Set(configFile(w), "notify.crit_pct", "90"); err != nil {
		t.Fatal(err)
	}
	if line.StampsOf(in) == s {
		t.Error("a config.yaml write does not change the stamps")
	}
}

// Every setting the line shows is followed from one run to the next, the
// second run answering from the cache.
func TestCacheFollowsSettings(t *testing.T) {
	w := freshWorld(t)
	w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(85, 63, now.Add(-time.Minute))}))
	colour := func(extra ...string) string {
		o := Options{Stdin: strings.NewReader(""), Environ: append(append([]string{}, w.environ...), extra...), GOOS: "linux", Now: now}
		return Line(context.Background(), o)
	}
	first := colour()
	if !strings.Contains(first, "5h \x1b[33m85%") {
		t.Fatalf("%q: 85%% should be a warning", first)
	}
	if got := colour("AIMONITOR_NOTIFY_WARN_PCT=90"); strings.Contains(got, "\x1b[33m85%") {
		t.Errorf("the environment's threshold was not followed: %q", got)
	}
	if got := colour(); got != first {
		t.Errorf("back to the default: %q, want %q", got, first)
	}
	if err := config.Set(configFile(w), "statusline.format", "[{account}]"); err != nil {
		t.Fatal(err)
	}
	if got := colour(); got != "[\x1b[1mwork\x1b[0m]" {
		t.Errorf("the format in config.yaml was not followed: %q", got)
	}
	if err := os.WriteFile(configFile(w), []byte("statusline: [oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 { // read, then from the cache
		if got := colour(); !strings.HasSuffix(got, "(config.yaml has an error: aimonitor config list)") {
			t.Errorf("a broken config.yaml: %q", got)
		}
	}
}
