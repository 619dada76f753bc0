//go:build unix

package cli

import (
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
