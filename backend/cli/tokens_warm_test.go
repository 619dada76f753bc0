package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// The launcher answers `aimonitor tokens` from the ledger's snapshot when
// no transcript changed (warm.Fast). These tests hold it to the command
// line's own answer, byte for byte, on generated trees, and check that
// every kind of change sends it back to the command line.

const testBuild = "test-build"

// runCore runs `aimonitor tokens ARGS` in-process as the command line
// (aimonitor-core) does, with testBuild as its build identity, so that it
// writes the snapshot.
func runCore(t *testing.T, env []string, build string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{deps: Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: env}, tokensBuild: build}
	if code := a.run(context.Background(), append([]string{"tokens"}, args...)); code != 0 {
		t.Fatalf("tokens %v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// runFast is the launcher's warm path.
func runFast(t *testing.T, env []string, build string, args ...string) (string, bool) {
	t.Helper()
	var out bytes.Buffer
	handled, err := warm.Fast(args, warm.FastEnv{Environ: env, GOOS: runtime.GOOS, Build: build, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !handled && out.Len() > 0 {
		t.Fatalf("tokens %v: declined but wrote %q", args, out.String())
	}
	return out.String(), handled
}

// generatedTree writes a corpus with bench/tokens/gen (flags as given)
// plus one session that holds what the generator does not write: a
// recorded costUSD, a model without a price and a synthetic message.
func generatedTree(t *testing.T, genFlags ...string) []string {
	t.Helper()
	env := sandboxEnv(t)
	claude := filepath.Join(t.TempDir(), "claude")
	args := append([]string{"run", "github.com/aimonitor/aimonitor/bench/tokens/gen", "-out", claude}, genFlags...)
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("gen: %v\n%s", err, out)
	}
	dir := filepath.Join(claude, "projects", "-home-me-odd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	line := func(id, model, ts string, in int, extra string) string {
		return fmt.Sprintf(`{"cwd":"/home/me/odd","sessionId":"odd","version":"1.0.3","message":{"model":%q,"id":%q,"usage":{"input_tokens":%d,"output_tokens":7,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"requestId":"r-%s","type":"assistant","timestamp":%q%s}`,
			model, id, in, id, ts, extra)
	}
	data := line("msg_c1", "claude-sonnet-4-20250514", "2026-08-03T10:00:00.000Z", 5, `,"costUSD":0.1234567`) + "\n" +
		line("msg_c2", "claude-sonnet-4-20250514", "2026-08-03T10:01:00.000Z", 6, `,"costUSD":0.0000003`) + "\n" +
		line("msg_u1", "some-local-model", "2026-08-04T23:59:00.000Z", 50, "") + "\n" +
		line("msg_s1", "<synthetic>", "2026-08-05T00:00:00.000+05:30", 0, "") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "odd.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return append(env, "CLAUDE_CONFIG_DIR="+claude)
}

// fastArgs are command lines the warm path answers.
var fastArgs = [][]string{
	{},
	{"--json"},
	{"--json", "--tz", "UTC"},
	{"--tz", "Europe/Paris"},
	{"--json", "--tz=Asia/Kolkata"},
	{"--json", "--tz", "America/St_Johns", "--by", "day"},
	{"--by", "model"},
	{"--json", "--by", "model", "--tz", "UTC"},
	{"--by=project"},
	{"--json", "--by", "project"},
	{"--json", "--since", "2026-08-01", "--until", "2026-09-15", "--tz", "UTC"},
	{"--since=20260801", "--by", "model"},
	{"--until", "2026-08-10", "--json", "--by", "project", "--tz", "Pacific/Chatham"},
	{"--since", "2030-01-01", "--json"},
	{"--no-scan", "--json"},
	{"--no-scan"},
}

func TestWarmPathPrintsWhatTheCommandLinePrints(t *testing.T) {
	if testing.Short() {
		t.Skip("generates transcript trees")
	}
	for _, shape := range []struct {
		name string
		gen  []string
	}{
		{"default", []string{"-size", "3000000", "-seed", "7"}},
		{"dense", []string{"-size", "3000000", "-seed", "8", "-files", "6", "-spread", "0.5", "-density", "153", "-tool-share", "0.45", "-subagents", "0.001"}},
	} {
		t.Run(shape.name, func(t *testing.T) {
			env := generatedTree(t, shape.gen...)
			runCore(t, env, testBuild, "--json") // the first scan writes the snapshot
			// Rendered from the rows (the command line has not answered
			// these yet), then as the command line remembered its answers
			// (the last few), then a mix of both.
			fast := func(args []string) string {
				t.Helper()
				got, handled := runFast(t, env, testBuild, args...)
				if !handled {
					t.Errorf("tokens %v: not answered from the snapshot", args)
				}
				return got
			}
			rendered := map[string]string{}
			for _, args := range fastArgs {
				rendered[fmt.Sprint(args)] = fast(args)
			}
			want := map[string]string{}
			for _, args := range fastArgs {
				want[fmt.Sprint(args)] = runCore(t, env, testBuild, args...)
				if got := fast(args); got != want[fmt.Sprint(args)] {
					t.Errorf("tokens %v: the warm path printed\n%s\nthe command line\n%s", args, got, want[fmt.Sprint(args)])
				}
			}
			for _, args := range fastArgs {
				k := fmt.Sprint(args)
				if rendered[k] != want[k] {
					t.Errorf("tokens %v: the warm path rendered\n%s\nthe command line printed\n%s", args, rendered[k], want[k])
				}
				if got := fast(args); got != want[k] {
					t.Errorf("tokens %v, asked again: the warm path printed\n%s\nthe command line\n%s", args, got, want[k])
				}
			}
		})
	}
}

// Command lines the warm path leaves to the command line, whatever the
// snapshot holds.
func TestWarmPathDeclinesWhatItDoesNotHandle(t *testing.T) {
	env := tokensSandbox(t)
	runCore(t, env, testBuild)
	if _, ok := runFast(t, env, testBuild); !ok {
		t.Fatal("the plain command line was not answered")
	}
	for _, args := range [][]string{
		{"--by", "account"},
		{"--by=account", "--json"},
		{"--help"}, {"-h"}, {"--debug"}, {"--no-color"}, {"--version"},
		{"--by", "week"}, {"--by="}, {"--by"},
		{"--since", "June"}, {"--until", "2025-13-01"}, {"--since", "2025-06-03", "--until", "2025-06-01"},
		{"--tz", "Mars/Olympus"},
		{"--json=true"}, {"--json", "--json"}, {"--since", "--json"},
		{"extra"}, {"--", "--json"}, {"-json"}, {"--unknown"},
	} {
		if _, ok := runFast(t, env, testBuild, args...); ok {
			t.Errorf("tokens %v: answered from the snapshot", args)
		}
	}
	// Nor with an AIMONITOR_ setting other than the data and config paths:
	// it may change what the command line does.
	if _, ok := runFast(t, append(env, "AIMONITOR_LOG_LEVEL=debug"), testBuild); ok {
		t.Error("answered with a configuration override in the environment")
	}
	if _, ok := runFast(t, env, ""); ok {
		t.Error("answered without a build identity")
	}
	if _, ok := runFast(t, env, "another-build"); ok {
		t.Error("answered from another build's snapshot")
	}
}

// Every change to the transcripts, the snapshot, the database or the
// configuration sends the warm path back to the command line, which then
// writes a snapshot it answers from again, with the command line's answer.
func TestWarmPathFallsBackOnEveryChange(t *testing.T) {
	env := tokensSandbox(t)
	claude := strings.TrimPrefix(env[len(env)-1], "CLAUDE_CONFIG_DIR=")
	project := filepath.Join(claude, "projects", "-home-me-app")
	session := filepath.Join(project, "s.jsonl")
	var data string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "XDG_DATA_HOME="); ok {
			data = filepath.Join(v, "aimonitor")
		}
	}
	snapshot := filepath.Join(data, warm.SnapshotName)
	config := configPath(env)
	line := func(id string, in int) string {
		return fmt.Sprintf(`{"cwd":"/home/me/app","sessionId":"s","version":"2.0.1","message":{"model":"claude-opus-4-5","id":%q,"usage":{"input_tokens":%d,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"requestId":"r-%s","type":"assistant","timestamp":"2025-06-03T10:00:00.000Z"}`+"\n", id, in, id)
	}
	appendTo := func(path, s string) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(s)
		f.Close()
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(time.Hour)
	n := 0
	changes := []struct {
		name   string
		change func()
	}{
		{"a line appended", func() { n++; appendTo(session, line(fmt.Sprint("msg_a", n), 1000)) }},
		{"a new transcript", func() { appendTo(filepath.Join(project, "new.jsonl"), line("msg_new", 7)) }},
		{"a new subagent transcript", func() {
			must(os.MkdirAll(filepath.Join(project, "s", "subagents"), 0o755))
			appendTo(filepath.Join(project, "s", "subagents", "agent-1.jsonl"), line("msg_sub", 9))
		}},
		{"a new empty project directory", func() { must(os.Mkdir(filepath.Join(claude, "projects", "-home-me-other"), 0o755)) }},
		{"a transcript removed", func() { must(os.Remove(filepath.Join(project, "new.jsonl"))) }},
		{"a transcript renamed", func() {
			must(os.Rename(filepath.Join(project, "s", "subagents", "agent-1.jsonl"), filepath.Join(project, "s", "subagents", "agent-2.jsonl")))
		}},
		{"a transcript's mtime touched", func() { must(os.Chtimes(session, later, later)) }},
		{"a transcript truncated", func() {
			b, err := os.ReadFile(session)
			must(err)
			must(os.WriteFile(session, b[:len(b)/2], 0o644))
		}},
		{"a transcript replaced by another file", func() {
			b, err := os.ReadFile(session)
			must(err)
			must(os.WriteFile(session+".tmp", b, 0o644))
			must(os.Rename(session+".tmp", session))
		}},
		{"a directory made unreadable", func() {
			if os.Getuid() == 0 {
				// root reads it anyway: make it a new directory instead.
				must(os.Mkdir(filepath.Join(project, "locked"), 0o755))
				return
			}
			must(os.Mkdir(filepath.Join(project, "locked"), 0o000))
		}},
		{"the ~/.claude/projects root created", func() {
			must(os.MkdirAll(filepath.Join(strings.TrimPrefix(env[0], "HOME="), ".claude", "projects", "p"), 0o755))
		}},
		{"the snapshot cut short", func() {
			b, err := os.ReadFile(snapshot)
			must(err)
			must(os.WriteFile(snapshot, b[:len(b)-3], 0o600))
		}},
		{"a byte of the snapshot damaged", func() {
			b, err := os.ReadFile(snapshot)
			must(err)
			b[len(b)/2] ^= 0x20
			must(os.WriteFile(snapshot, b, 0o600))
		}},
		{"the snapshot emptied", func() { must(os.WriteFile(snapshot, nil, 0o600)) }},
		{"the snapshot removed", func() { must(os.Remove(snapshot)) }},
		{"the configuration file written", func() {
			must(os.MkdirAll(filepath.Dir(config), 0o700))
			must(os.WriteFile(config, []byte("poll:\n  interval_sec: 600\n"), 0o600))
		}},
		{"the database replaced", func() {
			db := filepath.Join(data, "aimonitor.db")
			b, err := os.ReadFile(db)
			must(err)
			must(os.WriteFile(db+".new", b, 0o600))
			must(os.Rename(db+".new", db))
			os.Remove(db + "-wal")
			os.Remove(db + "-shm")
		}},
	}
	runCore(t, env, testBuild)
	for _, c := range changes {
		if _, ok := runFast(t, env, testBuild, "--json"); !ok {
			t.Fatalf("before %s: not answered from the snapshot", c.name)
		}
		c.change()
		if _, ok := runFast(t, env, testBuild, "--json"); ok {
			t.Errorf("%s: answered from the snapshot", c.name)
		}
		want := runCore(t, env, testBuild, "--json")
		got, ok := runFast(t, env, testBuild, "--json")
		if !ok || got != want {
			t.Errorf("after %s and a run of the command line: answered %v\n%s\nwant\n%s", c.name, ok, got, want)
		}
	}

	// A build that cannot name itself writes no snapshot and removes the
	// one there was; a configuration file that does not load is never
	// trusted.
	runCore(t, env, "")
	if _, err := os.Stat(snapshot); !os.IsNotExist(err) {
		t.Errorf("a build without an identity left the snapshot: %v", err)
	}
	runCore(t, env, testBuild)
	must(os.WriteFile(config, []byte("poll:\n  interval_sec: 5\n"), 0o600))
	if _, ok := runFast(t, env, testBuild, "--json"); ok {
		t.Error("answered with a configuration file that does not load")
	}
}
