//go:build unix

package main

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
	"github.com/aimonitor/aimonitor/backend/statusline/line"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// The status line through the real binaries: a miss goes to aimonitor-core
// with stdin intact and its line; the next run, nothing changed, is the
// launcher's own answer from the cache core wrote, byte for byte core's
// line (with and without colours, whatever is on stdin), without starting
// core; a write to the database sends the launcher back to core.
func TestStatuslineFastPath(t *testing.T) {
	env := sandbox(t)
	get := func(key string) string {
		for _, kv := range env {
			if k, v, _ := strings.Cut(kv, "="); k == key {
				return v
			}
		}
		return ""
	}
	home, data := get("HOME"), filepath.Join(get("XDG_DATA_HOME"), "aimonitor")
	// The launcher beside a core that can be swapped for a stand-in.
	dir := t.TempDir()
	launcher, coreLink := filepath.Join(dir, "aimonitor"), filepath.Join(dir, "aimonitor-core")
	copyFile(t, binary(t), launcher)
	realCore := func() {
		os.Remove(coreLink)
		if err := os.Symlink(core(t), coreLink); err != nil {
			t.Fatal(err)
		}
	}
	// The stand-in core records its arguments and stdin and fails.
	seen := filepath.Join(dir, "core-saw")
	fakeCore := func() {
		os.Remove(coreLink)
		script := "#!/bin/sh\necho \"$@\" >" + seen + ".args\ncat >" + seen + ".stdin\necho core ran\nexit 3\n"
		if err := os.WriteFile(coreLink, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	realCore()

	// Nothing set up yet: core's line, through the launcher.
	session := `{"session_id":"s","model":{"id":"claude-opus-5","display_name":"Opus 5"},"cost":{"total_cost_usd":0.5},"unknown":[1]}`
	if r := runIn(t, launcher, env, session, "statusline"); r.code != 0 || r.stdout != "aimonitor: not set up yet (run aimonitor once)\n" {
		t.Fatalf("no database: %+v", r)
	}

	// Two accounts, Claude Code logged in with the first, a live poller.
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(data, "aimonitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	write := func(sql string, args ...any) {
		t.Helper()
		if err := db.Write(context.Background(), func(conn *sqlite.Conn) error {
			return sqlitex.Execute(conn, sql, &sqlitex.ExecOptions{Args: args})
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i, label := range []string{"work", "bob"} {
		write(`INSERT INTO accounts(id, label, account_uuid, email, org_uuid, keyring_ref, created_at) VALUES (?, ?, ?, ?, ?, ?, 0)`,
			i+1, label, "uuid-"+label, label+"@example.com", "org-"+label, "ref-"+label)
	}
	claudeJSON := `{"oauthAccount": {"accountUuid": "uuid-work", "emailAddress": "work@example.com", "organizationUuid": "org-work"}}`
	if err := os.WriteFile(filepath.Join(home, ".claude.json"), []byte(claudeJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	publish := func(five float64) {
		// Due 59 s past whole minutes: the line's spans do not change
		// while the test runs.
		fiveReset, sevenReset := now.Add(80*time.Minute+59*time.Second), now.Add(76*time.Hour+59*time.Second)
		doc := daemon.Document{Heartbeat: now, HeartbeatPeriod: time.Hour, Owner: daemon.Owner{PID: 1, Mode: "daemon"},
			Accounts: []daemon.AccountStatus{{ID: 1, Label: "work", Active: true, Usage: &usage.ListUsage{
				FiveHour:  &usage.ListWindow{Utilization: five, ResetsAt: &fiveReset},
				SevenDay:  &usage.ListWindow{Utilization: 63, ResetsAt: &sevenReset},
				FetchedAt: now}}},
			PendingSwap: &daemon.PendingSwap{Key: "k", From: "work", Target: "bob", TargetID: 2, FiresAt: now.Add(time.Hour + 59*time.Second), Reason: "test"}}
		value, _ := json.Marshal(doc)
		write(`INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
			daemon.StatusKey, string(value), now.UnixMilli())
	}
	publish(85)
	// A format that shows the session, so the line proves what reached
	// whoever answered.
	env = append(env, "AIMONITOR_STATUSLINE_FORMAT={account} · {5h} · {swap} · {model} {session_cost}")
	cache := filepath.Join(data, line.CacheName)

	for _, tc := range []struct {
		name  string
		extra []string
		args  []string
		stdin string
		color bool
	}{
		{"colours", nil, nil, session, true},
		{"NO_COLOR", []string{"NO_COLOR=1"}, nil, session, false},
		{"--no-color", nil, []string{"--no-color"}, session, false},
		{"garbage on stdin", nil, nil, "\x00\xffnot json {{{", true},
		{"nothing on stdin", nil, nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runEnv := append(append([]string{}, env...), tc.extra...)
			args := append([]string{"statusline"}, tc.args...)
			realCore()
			os.Remove(cache)
			want := runIn(t, core(t), runEnv, tc.stdin, args...) // core alone, reading the database
			if want.code != 0 || want.stderr != "" || !strings.HasPrefix(plain(want.stdout), "work · 5h 85% (1h20m) · → bob in 1h") || strings.Count(want.stdout, "\n") != 1 {
				t.Fatalf("core: %+v", want)
			}
			if strings.Contains(want.stdout, "\x1b[") != tc.color {
				t.Fatalf("core's colours: %q", want.stdout)
			}
			if (tc.stdin == session) != strings.Contains(want.stdout, "Opus 5 $0.50") {
				t.Fatalf("core's session fields: %q", want.stdout)
			}
			os.Remove(cache)
			if got := runIn(t, launcher, runEnv, tc.stdin, args...); got != want {
				t.Fatalf("a miss through the launcher: %+v, want core's %+v", got, want)
			}
			// The cache is now written: the launcher answers alone.
			fakeCore()
			if got := runIn(t, launcher, runEnv, tc.stdin, args...); got != want {
				t.Fatalf("a hit: %+v, want core's %+v", got, want)
			}
			if _, err := os.Stat(seen + ".args"); err == nil {
				t.Fatal("core ran on a hit")
			}
		})
	}

	// A write to the database: the launcher hands over to core, with
	// stdin and the arguments as they were.
	fakeCore()
	publish(90)
	r := runIn(t, launcher, env, session, "statusline")
	args, _ := os.ReadFile(seen + ".args")
	stdin, _ := os.ReadFile(seen + ".stdin")
	if r.code != 3 || r.stdout != "core ran\n" || string(args) != "statusline\n" || string(stdin) != session {
		t.Fatalf("after a write: %+v; core saw %q and stdin %q", r, args, stdin)
	}
	// Flags the fast path leaves to core, even with a valid entry.
	realCore()
	if r := runIn(t, launcher, env, session, "statusline"); r.code != 0 || !strings.Contains(plain(r.stdout), "5h 90%") {
		t.Fatalf("after a write, core: %+v", r)
	}
	fakeCore()
	for _, a := range []string{"--help", "--install", "--debug"} {
		os.Remove(seen + ".args")
		if r := runIn(t, launcher, env, session, "statusline", a); r.code != 3 {
			t.Errorf("statusline %s did not reach core: %+v", a, r)
		}
		if got, _ := os.ReadFile(seen + ".args"); string(got) != "statusline "+a+"\n" {
			t.Errorf("statusline %s: core saw %q", a, got)
		}
	}
}

// plain is s without its SGR escapes.
func plain(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], 'm')
		if j < 0 {
			return b.String()
		}
		s = s[i+j+1:]
	}
}
