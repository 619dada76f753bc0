//go:build unix

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/clock"
)

// go test ./backend/cli -run TestGolden -update rewrites testdata/golden.
var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden runs every command, as text and as --json, against the
// simulator in a temporary HOME, and compares what it prints (stdout,
// stderr, exit code) with testdata/golden/<step>.txt, so the wording, the
// vocabulary and the JSON shapes cannot drift unnoticed. Times, dates,
// ports, temporary paths and the Go version are normalised. Not covered:
// doctor (its findings depend on the machine), and the commands that run
// until stopped (widget, daemon, sim, demo) beyond their --help.
func TestGolden(t *testing.T) {
	// Fixed zone and a fake clock at 10:00 UTC today: the times printed
	// keep their width, so the tables keep their alignment.
	oldLocal := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = oldLocal })
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(10 * time.Hour)
	clk := clock.NewFake(start)

	s := sim.New(clk, sim.WithAccessTokenTTL(72*time.Hour), sim.WithRateLimit(0, time.Minute))
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	m := newMachine(t, srv.URL)
	claudeDir := t.TempDir() // no transcripts: tokens reports zeros
	env := append(m.with("CLAUDE_CONFIG_DIR="+claudeDir), "NO_COLOR=1")
	// CLAUDE_CONFIG_DIR moves Claude Code's files there too.
	login := func(c sim.Credentials) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(claudeDir, ".credentials.json"), c.ClaudeCodeJSON(), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, _ := json.Marshal(map[string]json.RawMessage{"oauthAccount": c.OAuthAccountJSON()})
		if err := os.WriteFile(filepath.Join(claudeDir, ".claude.json"), cfg, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	account := func(n int, email, org, plan string, five, seven float64) sim.Credentials {
		t.Helper()
		spec := sim.AccountSpec{
			Email: email, OrganizationName: org, SubscriptionType: plan,
			AccountUUID:      fmt.Sprintf("00000000-0000-4000-8000-00000000000%d", n),
			OrganizationUUID: fmt.Sprintf("00000000-0000-4000-9000-00000000000%d", n),
			Windows: map[string]sim.WindowSpec{
				sim.FiveHour: {Utilization: five, ResetsIn: 90 * time.Minute},
				sim.SevenDay: {Utilization: seven, ResetsIn: 4 * 24 * time.Hour},
			},
		}
		if plan == "max" {
			spec.Windows[sim.SevenDayOpus] = sim.WindowSpec{Utilization: 12.5, ResetsIn: 4 * 24 * time.Hour}
		}
		c, err := s.AddAccount(spec)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	work := account(1, "ada@work.example", "Work Inc", "max", 73.12758514999999, 40)
	home := account(2, "ada@home.example", "Ada Personal", "pro", 10, 5)

	steps := []struct {
		name   string
		before func()
		args   []string
	}{
		{"help", nil, []string{"--help"}},
		{"version", nil, []string{"version"}},
		{"version-json", nil, []string{"version", "--json"}},
		{"config-path", nil, []string{"config", "path"}},
		{"config-path-json", nil, []string{"config", "path", "--json"}},
		{"config-get", nil, []string{"config", "get", "widget.theme"}},
		{"config-get-json", nil, []string{"config", "get", "widget.theme", "--json"}},
		{"config-set", nil, []string{"config", "set", "auto_swap.threshold_pct", "85"}},
		{"config-list", nil, []string{"config", "list"}},
		{"list-empty", nil, []string{"list"}},
		{"add", func() { login(work) }, []string{"add", "--adopt-current", "--label", "work"}},
		{"add-json", func() { login(home) }, []string{"add", "--adopt-current", "--label", "home", "--json"}},
		{"list", nil, []string{"list"}},
		{"list-json", nil, []string{"list", "--json"}},
		{"switch", nil, []string{"switch", "work"}},
		{"switch-json", nil, []string{"switch", "work", "--json"}},
		{"refresh", nil, []string{"refresh", "--all"}},
		{"refresh-again-json", nil, []string{"refresh", "--all", "--json"}},
		{"usage", nil, []string{"usage"}},
		{"usage-json", nil, []string{"usage", "--json"}},
		{"list-json-with-usage", nil, []string{"list", "--json"}},
		{"log", nil, []string{"log"}},
		{"log-json", nil, []string{"log", "--json"}},
		{"rename", nil, []string{"rename", "home", "personal"}},
		{"rename-json", nil, []string{"rename", "personal", "home", "--json"}},
		{"tokens", nil, []string{"tokens", "--tz", "UTC"}},
		{"tokens-json", nil, []string{"tokens", "--json", "--tz", "UTC"}},
		{"export-stdout", nil, []string{"config", "export", "--out", "-"}},
		{"error-unknown-command", nil, []string{"config", "lst"}},
		{"error-account-typo", nil, []string{"switch", "wrk"}},
		{"error-missing-name", nil, []string{"switch"}},
		{"error-limit", nil, []string{"log", "--limit", "abc"}},
		{"remove-purge-no-terminal", nil, []string{"remove", "home", "--purge"}},
		{"remove", nil, []string{"remove", "home"}},
		{"remove-active-json", nil, []string{"remove", "work", "--json"}},
		{"sim-help", nil, []string{"sim", "--help"}},
	}
	for i, st := range steps {
		if st.before != nil {
			st.before()
		}
		var out, errb bytes.Buffer
		a := &app{deps: Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: env}, clock: clk}
		code := a.run(context.Background(), st.args)
		got := fmt.Sprintf("$ aimonitor %s\n--- stdout\n%s--- stderr\n%s--- exit %d\n", strings.Join(st.args, " "), out.String(), errb.String(), code)
		got = normalise(got, srv.URL, m.get("HOME"), claudeDir)
		if strings.Contains(got, "sk-ant-") {
			t.Fatalf("%s printed a token", st.name)
		}
		for _, line := range strings.Split(got, "\n") {
			if strings.HasSuffix(line, " ") {
				t.Errorf("%s: trailing space in %q", st.name, line)
			}
		}
		file := filepath.Join("testdata", "golden", fmt.Sprintf("%02d-%s.txt", i+1, st.name))
		if *updateGolden {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (run with -update if the change is meant):\n--- got\n%s--- want\n%s", st.name, file, got, want)
		}
	}
}

var (
	reRFC3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	reDate    = regexp.MustCompile(`\b\d{4}-\d\d-\d\d\b`)
	reClock   = regexp.MustCompile(`\b\d\d:\d\d(:\d\d)?\b`)
	reDay     = regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b`)
	reMonth   = regexp.MustCompile(`\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2}\b`)
	reAgo     = regexp.MustCompile(`\b\d+ (s|min) ago\b`)
	reSecret  = regexp.MustCompile(`"(ciphertext|nonce|salt)": "[^"]*"`)
)

// normalise replaces what changes from run to run by placeholders of the
// same width where the text is a table.
func normalise(s, simURL, home, claudeDir string) string {
	root := filepath.Dir(home)
	s = strings.ReplaceAll(s, simURL, "http://127.0.0.1:PORT")
	s = strings.ReplaceAll(s, claudeDir, "$CLAUDE")
	s = strings.ReplaceAll(s, root, "$ROOT")
	s = strings.ReplaceAll(s, runtime.Version(), "goX.Y")
	if c := buildinfo.Commit(); c != "" {
		s = strings.ReplaceAll(s, c, "COMMIT")
	}
	s = reRFC3339.ReplaceAllString(s, "<time>")
	s = reDate.ReplaceAllString(s, "YYYY-MM-DD")
	s = reClock.ReplaceAllStringFunc(s, func(c string) string {
		if len(c) == 8 {
			return "hh:mm:ss"
		}
		return "hh:mm"
	})
	s = reDay.ReplaceAllString(s, "Day")
	s = reMonth.ReplaceAllString(s, "Mon DD")
	s = reAgo.ReplaceAllString(s, "N s ago")
	s = reSecret.ReplaceAllString(s, `"$1": "…"`)
	return s
}
