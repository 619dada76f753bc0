//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Completion knows our words: account labels, setting keys and values,
// --by values.
func TestCompletion(t *testing.T) {
	m, _ := simMachine(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "switch", ""}, []string{"home\thome@example.com", "work\twork@example.com"}},
		{[]string{"__complete", "remove", "w"}, []string{"work"}},
		{[]string{"__complete", "config", "get", ""}, []string{"widget.theme", "auto_swap.threshold_pct"}},
		{[]string{"__complete", "config", "set", "widget.theme", ""}, []string{"system", "light", "dark"}},
		{[]string{"__complete", "config", "set", "notify.enabled", ""}, []string{"true", "false"}},
		{[]string{"__complete", "tokens", "--by", ""}, []string{"day", "model", "project", "account"}},
		{[]string{"__complete", "sw"}, []string{"switch"}},
	} {
		r := run(t, m.env, tc.args...)
		for _, w := range tc.want {
			if r.code != 0 || !strings.Contains(r.stdout, w) {
				t.Errorf("%v: lacks %q: %+v", tc.args, w, r)
			}
		}
	}
}

func TestDocsWritesCompletionsAndManPages(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, sandboxEnv(t), "docs", dir); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	for _, f := range []string{"completions/aimonitor", "completions/_aimonitor", "completions/aimonitor.fish", "man1/aimonitor.1", "man1/aimonitor-switch.1", "man1/aimonitor-config-set.1"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(data) == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "man1", "aimonitor.1"))
	if !strings.Contains(string(page), "Exit status") {
		t.Error("the man page lacks the exit codes")
	}
}
