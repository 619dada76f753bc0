package statusline

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/daemon"
)

func TestLineColours(t *testing.T) {
	w := newWorld(t)
	w.addAccount(1, "work")
	w.login("work")
	w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(85, 97, now.Add(-time.Minute))}))
	o := Options{Stdin: strings.NewReader(""), Environ: w.environ, GOOS: "linux", Now: now}
	got := Line(context.Background(), o)
	for _, want := range []string{"\x1b[1mwork\x1b[0m", "5h \x1b[33m85%\x1b[0m", "7d \x1b[31m97%\x1b[0m"} {
		if !strings.Contains(got, want) {
			t.Errorf("coloured line %q lacks %q", got, want)
		}
	}
	o.Environ = append(append([]string{}, w.environ...), "NO_COLOR=1")
	if got := Line(context.Background(), o); strings.Contains(got, "\x1b") {
		t.Errorf("NO_COLOR: %q has escapes", got)
	}
	o.Environ, o.NoColor = w.environ, true
	if got := Line(context.Background(), o); strings.Contains(got, "\x1b") {
		t.Errorf("--no-color: %q has escapes", got)
	}
	o.NoColor = false
	if err := config.Set(configFile(w), "statusline.color", "false"); err != nil {
		t.Fatal(err)
	}
	if got := Line(context.Background(), o); strings.Contains(got, "\x1b") {
		t.Errorf("statusline.color false: %q has escapes", got)
	}
}

func configFile(w *world) string { return w.home + "/cfg/aimonitor/config.yaml" }

func TestLineFormat(t *testing.T) {
	w := newWorld(t)
	w.addAccount(1, "work")
	w.login("work")
	w.publish(activeDoc(now, daemon.AccountStatus{ID: 1, Label: "work", Active: true, Usage: usageOf(42, 63, now.Add(-time.Minute))}))
	w.write(`INSERT INTO token_models(id, name) VALUES (1, 'claude-opus-5'), (2, 'claude-sonnet-4-5')`)
	w.write(`INSERT INTO token_projects(id, dir, path) VALUES (1, 'd', '/p')`)
	// Today (UTC): 1M input tokens of Opus 5 ($5) and 0.2M output of Sonnet 4.5 ($3);
	// yesterday's usage is not counted.
	for _, r := range []struct {
		at            time.Time
		model         int
		input, output int64
	}{{now.Add(-time.Hour), 1, 1_000_000, 0}, {now.Add(-2 * time.Hour), 2, 0, 200_000}, {now.Add(-24 * time.Hour), 1, 9_000_000, 0}} {
		w.write(`INSERT INTO token_usage(bucket, model_id, project_id, class, messages, input, output, cache_create, cache_create_1h, cache_read, cost_usd)
			VALUES (?, ?, 1, 0, 1, ?, ?, 0, 0, 0, 0)`, r.at.UnixMilli()/900_000, r.model, r.input, r.output)
	}
	for _, tc := range []struct{ format, want string }{
		{"[{account}] {5h}", "[work] 5h 42% (1h20m)"},
		{"{account} | {tokens} | {cost}", "work | 1.2M tok today | $8.00 today"},
		{"{model} {session_cost} · {account}", "Opus 5 $0.50 · work"},
		{"{swap} → {runout} {account}", "work"}, // empty fields take the text before them along
		{"plain text", "plain text"},
	} {
		if err := config.Set(configFile(w), "statusline.format", tc.format); err != nil {
			t.Fatal(err)
		}
		got := w.line(`{"model":{"display_name":"Opus 5"},"cost":{"total_cost_usd":0.5}}`)
		if got != tc.want {
			t.Errorf("format %q:\n got %q\nwant %q", tc.format, got, tc.want)
		}
	}
	if err := config.Set(configFile(w), "statusline.format", "{account} {nope}"); err == nil || !strings.Contains(err.Error(), "unknown field {nope}") {
		t.Errorf("an unknown field: %v", err)
	}
}

func TestLineBadConfigStillPrints(t *testing.T) {
	w := newWorld(t)
	w.addAccount(1, "work")
	w.login("work")
	if err := os.MkdirAll(w.home+"/cfg/aimonitor", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configFile(w), []byte("statusline: [oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := w.line("")
	if !strings.HasPrefix(got, "work · no data yet (config.yaml has an error") {
		t.Errorf("got %q", got)
	}
}
