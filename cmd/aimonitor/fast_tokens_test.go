//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// stampedPair builds the launcher and aimonitor-core into one directory as
// make does, with a build stamp: without one a build has no identity
// (warm.BuildID) and the tokens fast path never answers.
func stampedPair(t *testing.T) (launcher, coreBin string) {
	t.Helper()
	dir := t.TempDir()
	ldflags := "-s -w -X github.com/aimonitor/aimonitor/backend/buildinfo.Stamp=fast-tokens-test"
	for _, b := range []struct{ pkg, out string }{{".", "aimonitor"}, {"../aimonitor-core", "aimonitor-core"}} {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgoFor(runtime.GOOS, b.pkg))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return filepath.Join(dir, "aimonitor"), filepath.Join(dir, "aimonitor-core")
}

// A warm `aimonitor tokens` through the real binaries: after core's run,
// the launcher answers by itself (core swapped for a stand-in that fails)
// with core's bytes, JSON and table; a changed transcript or a flag it
// does not handle goes to core.
func TestTokensFastPath(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries")
	}
	launcher, realCore := stampedPair(t)
	env := sandbox(t)
	claude := filepath.Join(t.TempDir(), "claude")
	env = append(env, "CLAUDE_CONFIG_DIR="+claude, "TZ=Europe/Paris")
	dir := filepath.Join(claude, "projects", "-home-me-app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	session := filepath.Join(dir, "s.jsonl")
	line := func(id string, in int, ts string) string {
		return fmt.Sprintf(`{"cwd":"/home/me/app","sessionId":"s","version":"2.0.1","message":{"model":"claude-sonnet-4-5-20250929","id":%q,"usage":{"input_tokens":%d,"output_tokens":2,"cache_creation_input_tokens":3,"cache_read_input_tokens":4}},"requestId":"r-%s","type":"assistant","timestamp":%q}`+"\n", id, in, id, ts)
	}
	if err := os.WriteFile(session, []byte(line("msg_1", 10, "2025-06-01T22:30:00.000Z")+line("msg_2", 100, "2025-06-02T08:00:00.000Z")), 0o644); err != nil {
		t.Fatal(err)
	}
	coreLink := filepath.Join(filepath.Dir(launcher), "aimonitor-core")
	hidden := realCore + ".real"
	if err := os.Rename(realCore, hidden); err != nil {
		t.Fatal(err)
	}
	useCore := func(real bool) {
		os.Remove(coreLink)
		if real {
			if err := os.Symlink(hidden, coreLink); err != nil {
				t.Fatal(err)
			}
			return
		}
		if err := os.WriteFile(coreLink, []byte("#!/bin/sh\necho core ran\nexit 3\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	for _, args := range [][]string{{"tokens", "--json"}, {"tokens"}, {"tokens", "--by", "model", "--tz", "UTC"}} {
		useCore(true)
		want := runIn(t, launcher, env, "", args...) // through the launcher to core: the first run scans
		if want.code != 0 || want.stderr != "" || !strings.Contains(want.stdout, "110") {
			t.Fatalf("%q through core: %+v", args, want)
		}
		useCore(false)
		if got := runIn(t, launcher, env, "", args...); got != want {
			t.Errorf("%q from the snapshot: %+v\nwant core's %+v", args, got, want)
		}
	}
	// Not handled by the launcher: core's.
	if r := runIn(t, launcher, env, "", "tokens", "--by", "account"); r.stdout != "core ran\n" || r.code != 3 {
		t.Errorf("--by account: %+v, want core's", r)
	}
	// A new line: core's again, then the launcher's once core has run.
	f, err := os.OpenFile(session, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(line("msg_3", 1000, "2025-06-03T08:00:00.000Z"))
	f.Close()
	if r := runIn(t, launcher, env, "", "tokens", "--json"); r.stdout != "core ran\n" {
		t.Fatalf("after a new line: %+v, want core's", r)
	}
	useCore(true)
	want := runIn(t, launcher, env, "", "tokens", "--json")
	useCore(false)
	if got := runIn(t, launcher, env, "", "tokens", "--json"); got != want || !strings.Contains(want.stdout, "1110") {
		t.Errorf("after core recorded the new line: %+v\nwant %+v", got, want)
	}
}
