package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bad setting never locks the user out: config get/set/list/path,
// doctor and uninstall work whatever the file or the environment holds and
// name the bad value and its source; every other command says which key
// is wrong and the exact command that fixes it.
func TestBadSettingNeverLocksTheUserOut(t *testing.T) {
	env := sandboxEnv(t)
	file := configPath(env)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// An out-of-range value in the file.
	write("auto_swap:\n  threshold_pct: 150\n  grace_sec: 30\n")
	r := run(t, env, "switch", "work")
	if r.code == 0 || !strings.Contains(r.stderr, "auto_swap.threshold_pct: 150 is out of range") ||
		!strings.Contains(r.stderr, "fix: aimonitor config set auto_swap.threshold_pct 80") {
		t.Fatalf("switch with a bad setting: %+v", r)
	}
	r = run(t, env, "config", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "auto_swap.grace_sec") ||
		!strings.Contains(r.stderr, "the value 150 comes from the file "+file) {
		t.Fatalf("config list with a bad setting: %+v", r)
	}
	if r = run(t, env, "config", "get", "auto_swap.grace_sec"); r.code != 0 || r.stdout != "30\n" {
		t.Fatalf("config get with a bad setting: %+v", r)
	}
	if r = run(t, env, "config", "path"); r.code != 0 || !strings.Contains(r.stdout, file) {
		t.Fatalf("config path with a bad setting: %+v", r)
	}
	// The fix doctor and the error name works, and keeps the other values.
	if r = run(t, env, "config", "set", "auto_swap.threshold_pct", "70"); r.code != 0 || r.stderr != "" {
		t.Fatalf("config set of the bad key itself: %+v", r)
	}
	if r = run(t, env, "config", "get", "auto_swap.grace_sec"); r.stdout != "30\n" || r.stderr != "" {
		t.Fatalf("after the fix: %+v", r)
	}

	// A bad variable: config list shows it and where it came from.
	bad := append(append([]string{}, env...), "AIMONITOR_POLL_INTERVAL_SEC=5")
	r = run(t, bad, "config", "list")
	if r.code != 0 || !strings.Contains(r.stderr, "the value 5 comes from the environment variable AIMONITOR_POLL_INTERVAL_SEC") ||
		!strings.Contains(r.stderr, "fix: unset AIMONITOR_POLL_INTERVAL_SEC") {
		t.Fatalf("config list with a bad variable: %+v", r)
	}
	if r = run(t, bad, "list"); r.code == 0 || !strings.Contains(r.stderr, "fix: unset AIMONITOR_POLL_INTERVAL_SEC") {
		t.Fatalf("list with a bad variable: %+v", r)
	}
	// Setting another key while an unrelated key in the file is bad.
	write("auto_swap:\n  threshold_pct: 150\n")
	if r = run(t, env, "config", "set", "widget.theme", "dark"); r.code != 0 || !strings.Contains(r.stderr, "auto_swap.threshold_pct") {
		t.Fatalf("config set of another key beside a bad one: %+v", r)
	}

	// Broken YAML: list names the file and the fix; the repair commands work.
	write("auto_swap: [\n")
	r = run(t, env, "list")
	if r.code == 0 || !strings.Contains(r.stderr, "not valid YAML") || !strings.Contains(r.stderr, "mv "+file+" "+file+".bad") {
		t.Fatalf("list with broken YAML: %+v", r)
	}
	for _, args := range [][]string{{"config", "list"}, {"config", "path"}, {"config", "get", "widget.theme"}} {
		if r = run(t, env, args...); r.code != 0 || !strings.Contains(r.stderr, "not valid YAML") {
			t.Fatalf("%v with broken YAML: %+v", args, r)
		}
	}
	// uninstall shows its plan (and, without a terminal or --yes, stops).
	r = run(t, env, "uninstall")
	if strings.Contains(r.stderr, "config:") && !strings.Contains(r.stderr, "warning:") || !strings.Contains(r.stderr+r.stdout, "nothing was removed") {
		t.Fatalf("uninstall with broken YAML: %+v", r)
	}
}
