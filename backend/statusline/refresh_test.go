package statusline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
)

const refreshSession = `{"session_id":"s","model":{"id":"claude-opus-5","display_name":"Opus 5"},"cost":{"total_cost_usd":0.5}}`

// poller is a Publisher on w's database whose writes refresh the status
// line cache, as in the daemon and the widget (statusline.Hook).
func (w *world) poller(clk *clock.Fake) *daemon.Publisher {
	w.t.Helper()
	r, err := NewRefresher(w.open(), w.environ, "linux")
	if err != nil {
		w.t.Fatal(err)
	}
	pub := daemon.NewPublisher(w.open(), clk, 5*time.Second)
	pub.AfterWrite(r.Refresh, nil)
	return pub
}

// launcher is the launcher's fast path (cmd/aimonitor) at at: the line
// and whether the cache answered.
func (w *world) launcher(at time.Time) (string, bool) {
	return line.FromCache(nil, paths.EnvIn(w.environ), "linux", at, strings.NewReader(refreshSession))
}

// core is aimonitor-core's statusline at at reading the database (its
// cache removed first, so it cannot answer from the entry under test).
func (w *world) core(at time.Time) string {
	w.t.Helper()
	if err := os.Remove(w.cacheFile()); err != nil {
		w.t.Fatal(err)
	}
	return Line(context.Background(), Options{Stdin: strings.NewReader(refreshSession), Environ: w.environ, GOOS: "linux", Now: at})
}

// After the poller writes the status row (a new content or only a
// heartbeat), the next line is a cache hit that prints exactly what
// aimonitor-core prints reading the database.
func TestPublishRefreshesTheCache(t *testing.T) {
	for _, format := range []string{"", "{account} · {5h} · {swap} · {tokens} · {cost} · {model}"} {
		t.Run("format "+format, func(t *testing.T) {
			w := newWorld(t)
			w.addAccount(1, "work")
			w.addAccount(2, "bob")
			w.login("work")
			if format != "" {
				if err := config.Set(configFile(w), "statusline.format", format); err != nil {
					t.Fatal(err)
				}
				w.write(`INSERT INTO token_models(id, name) VALUES (1, 'claude-opus-5')`)
				w.write(`INSERT INTO token_projects(id, dir, path) VALUES (1, 'd', '/p')`)
				w.write(`INSERT INTO token_usage(bucket, model_id, project_id, class, messages, input, output, cache_create, cache_create_1h, cache_read, cost_usd)
					VALUES (?, 1, 1, 0, 1, 1000000, 0, 0, 0, 0, 0)`, now.Add(-time.Hour).UnixMilli()/900_000)
			}
			clk := clock.NewFake(now)
			pub := w.poller(clk)
			// Claude Code ran a line before the poller's first write.
			if got := w.line(""); !strings.HasPrefix(got, "work") {
				t.Fatalf("first line: %q", got)
			}

			doc := activeDoc(time.Time{}, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(85, 63, now.Add(-time.Minute))},
				daemon.AccountStatus{ID: 2, Label: "bob", Usage: usageOf(5, 10, now.Add(-time.Minute))})
			doc.PendingSwap = &daemon.PendingSwap{Key: "k", From: "work", Target: "bob", TargetID: 2, FiresAt: now.Add(40 * time.Second)}
			check := func(what string, wantChanged bool, shows ...string) {
				t.Helper()
				before := line.StampsOf(w.inputs())
				written, changed, err := pub.Publish(context.Background(), doc)
				if err != nil || written == nil || changed != wantChanged {
					t.Fatalf("%s: publish: %v %v %v", what, written != nil, changed, err)
				}
				if line.StampsOf(w.inputs()) == before {
					t.Fatalf("%s: the write did not change the stamps; the test proves nothing", what)
				}
				at := clk.Now().Add(time.Second) // Claude Code's next line
				got, hit := w.launcher(at)
				if !hit {
					t.Fatalf("%s: the next line missed the cache", what)
				}
				t.Logf("%s: %q", what, got)
				if want := w.core(at); got != want {
					t.Errorf("%s: from the cache %q, aimonitor-core prints %q", what, got, want)
				}
				for _, s := range shows {
					if !strings.Contains(got, s) {
						t.Errorf("%s: %q does not show %q", what, got, s)
					}
				}
			}
			check("a new status", true, "work", "85%", "→ bob")
			clk.Advance(5 * time.Second)
			check("a heartbeat", false, "work", "85%", "→ bob")
			doc.Accounts[0].Usage = usageOf(85, 64, now)
			clk.Advance(time.Second)
			check("a change within the heartbeat", true, "work", "85%", "→ bob")
			// Claude Code switched logins: the next write's entry names the
			// new login (the refresher keeps .claude.json's login only while
			// the file's stamp stays).
			w.login("bob")
			clk.Advance(5 * time.Second)
			check("a heartbeat after a switch", false, "bob", "5%")
			if format != "" {
				if err := config.Set(configFile(w), "statusline.format", "[{account}]"); err != nil {
					t.Fatal(err)
				}
				clk.Advance(5 * time.Second)
				check("a heartbeat after a settings change", false, "[")
			}
		})
	}
}

// A cache that cannot be written does not fail the poller's write; the
// next line then reads the database itself.
func TestPublishSurvivesAFailingCacheWrite(t *testing.T) {
	w := newWorld(t)
	w.addAccount(1, "work")
	w.login("work")
	clk := clock.NewFake(now)
	pub := w.poller(clk)
	// A directory (not empty) where the cache file should be: the rename
	// onto it fails, even for root.
	if err := os.MkdirAll(filepath.Join(w.cacheFile(), "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	r, err := NewRefresher(w.open(), w.environ, "linux")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Refresh(context.Background(), now); err == nil {
		t.Fatal("refreshing into a directory did not fail; the test proves nothing")
	}
	doc := activeDoc(time.Time{}, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(42, 63, now.Add(-time.Minute))})
	if written, _, err := pub.Publish(context.Background(), doc); err != nil || written == nil {
		t.Fatalf("publish: %v %v", written != nil, err)
	}
	if _, hit := w.launcher(now); hit {
		t.Error("a hit from a cache that could not be written")
	}
	if got := w.line(""); got != "work · 5h 42% (1h20m) · 7d 63% (3d4h)" {
		t.Errorf("the line after a failed refresh: %q", got)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(w.cacheFile()), ".statusline.cache.tmp-*")); len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

// No cache file (nobody ran the status line): a write refreshes nothing.
func TestPublishWithoutStatusLineWritesNoCache(t *testing.T) {
	w := newWorld(t)
	w.addAccount(1, "work")
	clk := clock.NewFake(now)
	pub := w.poller(clk)
	if _, _, err := pub.Publish(context.Background(), activeDoc(time.Time{})); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(w.cacheFile()); !os.IsNotExist(err) {
		t.Errorf("a cache file appeared: %v", err)
	}
}

// The refreshed entry is written as aimonitor-core writes it: mode 0600,
// no token (the environment's values enter only hashed).
func TestRefreshedCacheIsPrivate(t *testing.T) {
	w := newWorld(t)
	w.environ = append(w.environ, "AIMONITOR_NOTIFY_WARN_PCT=50", "CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-secret-value")
	w.addAccount(1, "work")
	w.login("work")
	w.line("")
	pub := w.poller(clock.NewFake(now))
	if _, _, err := pub.Publish(context.Background(), activeDoc(time.Time{}, daemon.AccountStatus{ID: 1, Label: "work", Active: true})); err != nil {
		t.Fatal(err)
	}
	if _, hit := w.launcher(now); !hit {
		t.Fatal("no hit after publishing")
	}
	fi, err := os.Stat(w.cacheFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v", fi, err)
	}
	data, _ := os.ReadFile(w.cacheFile())
	if strings.Contains(string(data), "secret-value") || strings.Contains(string(data), "sk-ant") {
		t.Error("the cache holds a token")
	}
}
