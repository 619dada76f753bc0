package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tokensSandbox is a private HOME, XDG tree and CLAUDE_CONFIG_DIR with one
// transcript holding two responses (one written twice) on two UTC days.
func tokensSandbox(t *testing.T) []string {
	t.Helper()
	root := t.TempDir()
	claude := filepath.Join(root, "claude")
	line := func(id string, ts string, in int) string {
		return fmt.Sprintf(`{"cwd":"/home/me/app","sessionId":"s","version":"2.0.1","message":{"model":"claude-sonnet-4-5-20250929","id":%q,"usage":{"input_tokens":%d,"output_tokens":2,"cache_creation_input_tokens":3,"cache_read_input_tokens":4}},"requestId":"r-%s","type":"assistant","timestamp":%q}`,
			id, in, id, ts)
	}
	dir := filepath.Join(claude, "projects", "-home-me-app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := line("msg_1", "2025-06-01T23:30:00.000Z", 10) + "\n" + line("msg_1", "2025-06-01T23:30:00.000Z", 10) + "\n" +
		line("msg_2", "2025-06-02T00:30:00.000Z", 100) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "s.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{
		"HOME=" + filepath.Join(root, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_DATA_HOME=" + filepath.Join(root, "data"),
		"XDG_STATE_HOME=" + filepath.Join(root, "state"),
		"CLAUDE_CONFIG_DIR=" + claude,
	}
}

// runTokens runs `aimonitor tokens ARGS` and returns its stdout, and an
// error when it exits non-zero.
func runTokens(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	r := run(t, env, append([]string{"tokens"}, args...)...)
	if r.code != 0 {
		return r.stdout, errors.New(r.stderr)
	}
	return r.stdout, nil
}

// compactJSON removes the indentation every --json has.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return b.String()
}

func TestJSONShape(t *testing.T) {
	env := tokensSandbox(t)
	out, err := runTokens(t, env, "--json", "--tz", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Totals map[string]any   `json:"totals"`
		Rows   []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "cost_usd"} {
		if _, ok := doc.Totals[k]; !ok {
			t.Errorf("totals lack %s: %v", k, doc.Totals)
		}
	}
	if doc.Totals["input_tokens"] != float64(110) || len(doc.Rows) != 2 || doc.Rows[0]["date"] != "2025-06-01" {
		t.Fatalf("report: %s", out)
	}
	// Another zone moves the first response to the next day.
	out, err = runTokens(t, env, "--json", "--tz", "Europe/Paris", "--by", "day")
	if err != nil || !strings.Contains(compactJSON(t, out), `"date":"2025-06-02","input_tokens":110`) {
		t.Fatalf("Paris: %v %s", err, out)
	}
	out, err = runTokens(t, env, "--json", "--tz", "UTC", "--since", "20250602", "--by", "model")
	if err != nil || !strings.Contains(compactJSON(t, out), `"model":"claude-sonnet-4-5-20250929","input_tokens":100`) {
		t.Fatalf("since, by model: %v %s", err, out)
	}
}

func TestTable(t *testing.T) {
	env := tokensSandbox(t)
	out, err := runTokens(t, env, "--by", "project", "--tz", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Project", "/home/me/app", "Total", "110", "days are in UTC"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestNoScanReportsWhatIsRecorded(t *testing.T) {
	env := tokensSandbox(t)
	out, err := runTokens(t, env, "--json", "--no-scan")
	if err != nil || !strings.Contains(compactJSON(t, out), `"input_tokens":0`) {
		t.Fatalf("before any scan: %v %s", err, out)
	}
}

func TestBadFlags(t *testing.T) {
	env := tokensSandbox(t)
	for _, args := range [][]string{
		{"--by", "week"},
		{"--since", "June"},
		{"--until", "2025-13-01"},
		{"--tz", "Mars/Olympus"},
		{"--since", "2025-06-03", "--until", "2025-06-01"},
	} {
		if _, err := runTokens(t, env, args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
