package statusline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/usage"
)

var now = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// world is a temp HOME with aimonitor's database and Claude Code's files.
type world struct {
	t       testing.TB
	home    string
	environ []string
	db      *store.Store
}

func newWorld(t testing.TB) *world {
	t.Helper()
	home := t.TempDir()
	return &world{t: t, home: home, environ: []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "cfg"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"), "XDG_STATE_HOME=" + filepath.Join(home, "state")}}
}

func (w *world) dbFile() string { return filepath.Join(w.home, "data", "aimonitor", "aimonitor.db") }

// open creates the database the way aimonitor does (migrations included).
func (w *world) open() *store.Store {
	w.t.Helper()
	if w.db == nil {
		db, err := store.Open(context.Background(), w.dbFile())
		if err != nil {
			w.t.Fatal(err)
		}
		w.t.Cleanup(func() { db.Close() })
		w.db = db
	}
	return w.db
}

func (w *world) write(sql string, args ...any) {
	w.t.Helper()
	err := w.open().Write(context.Background(), func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, sql, &sqlitex.ExecOptions{Args: args})
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) addAccount(id int64, label string) {
	w.write(`INSERT INTO accounts(id, label, account_uuid, email, org_uuid, keyring_ref, created_at) VALUES (?, ?, ?, ?, ?, ?, 0)`,
		id, label, "uuid-"+label, label+"@example.com", "org-"+label, "ref-"+label)
}

func (w *world) sample(id int64, at time.Time, five, seven float64, fiveReset, sevenReset time.Time) {
	w.write(`INSERT INTO usage_samples(account_id, ts, five_hour, five_hour_resets, seven_day, seven_day_resets, data) VALUES (?, ?, ?, ?, ?, ?, '{}')`,
		id, at.UnixMilli(), five, fiveReset.UnixMilli(), seven, sevenReset.UnixMilli())
}

// login makes Claude Code's .claude.json name the account label.
func (w *world) login(label string) {
	w.t.Helper()
	data := `{
  "numStartups": 3,
  "projects": {"/x": {"allowedTools": [], "note": "\"oauthAccount\": {\"emailAddress\": \"decoy\"}"}},
  "oauthAccount": {"accountUuid": "uuid-` + label + `", "emailAddress": "` + label + `@example.com", "organizationUuid": "org-` + label + `"}
}`
	if err := os.WriteFile(filepath.Join(w.home, ".claude.json"), []byte(data), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) publish(doc daemon.Document) {
	w.t.Helper()
	if doc.HeartbeatPeriod == 0 {
		doc.HeartbeatPeriod = time.Minute
	}
	data, _ := json.Marshal(doc)
	w.write(`INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
		daemon.StatusKey, string(data), doc.Heartbeat.UnixMilli())
}

func (w *world) line(stdin string, extraEnv ...string) string {
	w.t.Helper()
	o := Options{Stdin: strings.NewReader(stdin), Environ: append(append([]string{}, w.environ...), extraEnv...),
		GOOS: "linux", Now: now, NoColor: true}
	return Line(context.Background(), o)
}

func ptr[T any](v T) *T { return &v }

func activeDoc(heartbeat time.Time, accounts ...daemon.AccountStatus) daemon.Document {
	return daemon.Document{Heartbeat: heartbeat, Accounts: accounts, Owner: daemon.Owner{PID: 1, Mode: "daemon"}}
}

func usageOf(five, seven float64, fetched time.Time) *usage.ListUsage {
	return &usage.ListUsage{
		FiveHour:  &usage.ListWindow{Utilization: five, ResetsAt: ptr(now.Add(80 * time.Minute))},
		SevenDay:  &usage.ListWindow{Utilization: seven, ResetsAt: ptr(now.Add(76 * time.Hour))},
		FetchedAt: fetched,
	}
}

// stateCase is one state of issue 16's list: what the database and Claude
// Code's files hold, what arrives on stdin, the line (a prefix when it ends
// with ':'), and whether that line is cached (an error or the missing
// database are not: the next run reads again).
type stateCase struct {
	name    string
	setup   func(w *world)
	stdin   string
	want    string
	nocache bool
}

func stateCases(t *testing.T) []stateCase {
	session := `{"session_id":"s","model":{"id":"claude-opus-5","display_name":"Opus 5"},"cost":{"total_cost_usd":0.5},"new_field":[1,2]}`
	return []stateCase{
		{"no database yet", func(w *world) {}, session, "aimonitor: not set up yet (run aimonitor once)", true},
		{"no accounts", func(w *world) { w.open() }, session, "aimonitor: no accounts saved (aimonitor add --adopt-current)", false},
		{"fresh", func(w *world) {
			w.addAccount(1, "work")
			w.addAccount(2, "bob")
			w.login("work")
			w.publish(activeDoc(now.Add(-10*time.Second),
				daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(42, 63, now.Add(-2*time.Minute))},
				daemon.AccountStatus{ID: 2, Label: "bob", Usage: usageOf(5, 10, now.Add(-2*time.Minute))}))
		}, session, "work · 5h 42% (1h20m) · 7d 63% (3d4h)", false},
		{"runs out before the reset", func(w *world) {
			w.addAccount(1, "work")
			w.login("work")
			u := usageOf(70, 63, now.Add(-time.Minute))
			u.PredictedExhaustedAt = ptr(now.Add(35 * time.Minute))
			w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: u}))
		}, session, "work · 5h 70% (1h20m) · 7d 63% (3d4h) · full in 35m", false},
		{"stale: no poller for a while", func(w *world) {
			w.addAccount(1, "work")
			w.login("work")
			w.publish(activeDoc(now.Add(-2*time.Hour), daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(42, 63, now.Add(-2*time.Hour))}))
		}, session, "work · 5h 42% (1h20m) · 7d 63% (3d4h) · 2h old", false},
		{"stale: never polled, a stored sample", func(w *world) {
			w.addAccount(1, "work")
			w.login("work")
			w.sample(1, now.Add(-15*time.Minute), 12, 30, now.Add(time.Hour), now.Add(48*time.Hour))
		}, session, "work · 5h 12% (1h) · 7d 30% (2d) · 15m old", false},
		{"never fetched", func(w *world) {
			w.addAccount(1, "work")
			w.login("work")
		}, session, "work · no data yet", false},
		{"rate-limited", func(w *world) {
			w.addAccount(1, "work")
			w.login("work")
			w.write(`UPDATE accounts SET cooldown_until = ? WHERE id = 1`, now.Add(12*time.Minute).UnixMilli())
			w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(42, 63, now.Add(-50*time.Minute))}))
		}, session, "work · 5h 42% (1h20m) · 7d 63% (3d4h) · wait 12m, 50m old", false},
		{"needs re-login", func(w *world) {
			w.addAccount(1, "work")
			w.login("work")
			w.write(`UPDATE accounts SET needs_relogin = 1, relogin_reason = 'expired' WHERE id = 1`)
			w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, NeedsRelogin: true, Usage: usageOf(42, 63, now.Add(-time.Minute))}))
		}, session, "work · 5h 42% (1h20m) · 7d 63% (3d4h) · re-login", false},
		{"pending swap", func(w *world) {
			w.addAccount(1, "work")
			w.addAccount(2, "bob")
			w.login("work")
			d := activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(85, 63, now.Add(-time.Minute))})
			d.PendingSwap = &daemon.PendingSwap{Key: "k", From: "work", Target: "bob", TargetID: 2, FiresAt: now.Add(40 * time.Second), Reason: "5h at 85%"}
			w.publish(d)
		}, session, "work · 5h 85% (1h20m) · 7d 63% (3d4h) · → bob in 40s", false},
		{"switched: names the login Claude Code now uses", func(w *world) {
			w.addAccount(1, "work")
			w.addAccount(2, "bob")
			w.login("bob")
			w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(85, 63, now.Add(-time.Minute))},
				daemon.AccountStatus{ID: 2, Label: "bob", Usage: usageOf(5, 10, now.Add(-time.Minute))}))
		}, session, "bob · 5h 5% (1h20m) · 7d 10% (3d4h)", false},
		{"an unsaved login", func(w *world) {
			w.addAccount(1, "work")
			w.login("stranger")
		}, session, "stranger@example.com (not saved)", false},
		{"logged out", func(w *world) {
			w.addAccount(1, "work")
			if err := os.WriteFile(filepath.Join(w.home, ".claude.json"), []byte(`{"numStartups":1}`), 0o600); err != nil {
				t.Fatal(err)
			}
		}, session, "not logged in", false},
		{"garbage on stdin", func(w *world) {
			w.addAccount(1, "work")
			w.login("work")
			w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(42, 63, now.Add(-time.Minute))}))
		}, "\x00\xffnot json {{{", "work · 5h 42% (1h20m) · 7d 63% (3d4h)", false},
		{"nothing on stdin", func(w *world) {
			w.addAccount(1, "work")
			w.login("work")
			w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(42, 63, now.Add(-time.Minute))}))
		}, "", "work · 5h 42% (1h20m) · 7d 63% (3d4h)", false},
		{"a database that is not aimonitor's", func(w *world) {
			if err := os.MkdirAll(filepath.Dir(w.dbFile()), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(w.dbFile(), []byte("this is not a database, just text long enough to look like a header"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, session, "aimonitor: the database is unreadable (file is not a database)", true},
	}
}

func TestLineStates(t *testing.T) {
	for _, tc := range stateCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			tc.setup(w)
			got := w.line(tc.stdin)
			t.Logf("%q", got)
			if strings.ContainsAny(got, "\n\r") {
				t.Fatalf("the line has a line break: %q", got)
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("line:\n got %q\nwant %q", got, tc.want)
			}
			if tc.want[len(tc.want)-1] != ':' && got != tc.want {
				t.Fatalf("line:\n got %q\nwant %q", got, tc.want)
			}
			// The next run, nothing changed, answers from the cache: the
			// same line.
			if again := w.line(tc.stdin); again != got {
				t.Fatalf("from the cache:\n got %q\nwant %q", again, got)
			}
		})
	}
}

// The launcher's fast path (line.FromCache) prints exactly what
// aimonitor-core prints, in every state, with colours, with --no-color
// and with NO_COLOR; where there is nothing cached it declines, and then
// reads nothing from stdin.
func TestFastPathPrintsCoresLine(t *testing.T) {
	for _, tc := range stateCases(t) {
		for _, mode := range []struct {
			name  string
			args  []string
			env   []string
			color bool
		}{{"colours", nil, nil, true}, {"--no-color", []string{"--no-color"}, nil, false}, {"NO_COLOR", nil, []string{"NO_COLOR=1"}, false}} {
			t.Run(tc.name+"/"+mode.name, func(t *testing.T) {
				w := newWorld(t)
				tc.setup(w)
				environ := append(append([]string{}, w.environ...), mode.env...)
				core := func() string {
					return Line(context.Background(), Options{Stdin: strings.NewReader(tc.stdin), Environ: environ, GOOS: "linux", Now: now, NoColor: !mode.color && mode.args != nil})
				}
				want := core()
				stdin := strings.NewReader(tc.stdin)
				got, ok := line.FromCache(mode.args, paths.EnvIn(environ), "linux", now, stdin)
				if tc.nocache {
					if ok {
						t.Fatalf("answered %q with nothing cached", got)
					}
					if stdin.Len() != len(tc.stdin) {
						t.Fatal("declined after reading stdin")
					}
					return
				}
				if !ok {
					t.Fatalf("no answer from the cache core wrote (core: %q)", want)
				}
				if got != want {
					t.Fatalf("fast path:\n got %q\nwant %q (core)", got, want)
				}
				if !mode.color && strings.Contains(got, "\x1b") {
					t.Fatalf("colours in %q", got)
				}
				if again := core(); again != want {
					t.Fatalf("core from the cache:\n got %q\nwant %q", again, want)
				}
			})
		}
	}
}

// Arguments the fast path does not handle, and a cache entry that is not
// valid now, go to aimonitor-core without stdin being touched.
func TestFastPathDeclines(t *testing.T) {
	w := freshWorld(t)
	w.line("")
	env := paths.EnvIn(w.environ)
	for _, args := range [][]string{{"--install"}, {"--uninstall"}, {"--help"}, {"-h"}, {"--debug"}, {"--no-color=false"}, {"extra"}, {"--no-color", "--install"}} {
		stdin := strings.NewReader("{}")
		if got, ok := line.FromCache(args, env, "linux", now, stdin); ok || stdin.Len() != 2 {
			t.Errorf("%q: answered %q (stdin left: %d bytes)", args, got, stdin.Len())
		}
	}
	if _, ok := line.FromCache(nil, env, "linux", now, strings.NewReader("")); !ok {
		t.Fatal("no hit on the entry just written")
	}
	for name, at := range map[string]time.Time{"stale entry": now.Add(line.MaxAge + time.Second), "clock went back": now.Add(-time.Second)} {
		if got, ok := line.FromCache(nil, env, "linux", at, strings.NewReader("")); ok {
			t.Errorf("%s: answered %q", name, got)
		}
	}
	w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(50, 63, now)}))
	if got, ok := line.FromCache(nil, env, "linux", now, strings.NewReader("")); ok {
		t.Errorf("after a database write: answered %q", got)
	}
	if got, ok := line.FromCache(nil, func(string) (string, bool) { return "", false }, "linux", now, strings.NewReader("")); ok {
		t.Errorf("without HOME: answered %q", got)
	}
}
