package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadLayers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(p, []byte("# mine\nauto_swap:\n  threshold_pct: 70\nwidget:\n  theme: dark\n"), 0o600)
	l, err := Load(p, []string{"AIMONITOR_WIDGET_THEME=light", "AIMONITOR_API_BASE=http://127.0.0.1:9", "AIMONITOR_LOG_LEVEL=debug"})
	if err != nil {
		t.Fatal(err)
	}
	if l.AutoSwap.ThresholdPct != 70 || l.AutoSwap.Threshold7d != 80 {
		t.Fatalf("file layer: %+v", l.AutoSwap)
	}
	if l.Widget.Theme != "light" || l.Log.Level != "debug" || l.Endpoints.APIBase != "http://127.0.0.1:9" {
		t.Fatalf("env layer: %+v %+v %+v", l.Widget, l.Log, l.Endpoints)
	}
	src := map[string]Source{}
	for _, f := range l.Fields() {
		src[f.Key] = f.Source
	}
	if src["auto_swap.threshold_pct"] != FromFile || src["widget.theme"] != FromEnv || src["notify.enabled"] != FromDefault {
		t.Fatalf("sources: %v", src)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct{ name, file, env, want string }{
		{"unknown key", "auto_swap:\n  treshold_pct: 10\n", "", `unknown key "auto_swap.treshold_pct"`},
		{"unknown section", "bogus: 1\n", "", `unknown key "bogus"`},
		{"out of range", "auto_swap:\n  threshold_pct: 150\n", "", "auto_swap.threshold_pct: 150 is out of range; use a whole number from 1 to 100"},
		{"wrong type", "notify:\n  enabled: maybe\n", "", "cannot unmarshal"},
		{"bad enum", "widget:\n  theme: pink\n", "", `widget.theme: "pink" is not allowed; use one of system, light, dark`},
		{"cross key", "notify:\n  warn_pct: 96\n", "", "notify.warn_pct: must be below notify.crit_pct (95)"},
		{"not yaml", "a: [", "", "not valid YAML"},
		{"scalar top", "42\n", "", "top level must be a mapping"},
		{"env range", "", "AIMONITOR_AUTO_SWAP_GRACE_SEC=-1", "auto_swap.grace_sec: -1 is out of range"},
		{"env type", "", "AIMONITOR_AUTO_SWAP_ENABLED=maybe", `auto_swap.enabled: "maybe" is not allowed; use true or false (the value maybe comes from the environment variable AIMONITOR_AUTO_SWAP_ENABLED); fix: unset AIMONITOR_AUTO_SWAP_ENABLED`},
		// Each error names the exact command that fixes it.
		{"fix for a file value", "auto_swap:\n  threshold_pct: 150\n", "", "fix: aimonitor config set auto_swap.threshold_pct 80"},
		{"fix for a variable", "", "AIMONITOR_AUTO_SWAP_GRACE_SEC=-1", "fix: unset AIMONITOR_AUTO_SWAP_GRACE_SEC"},
		{"fix for broken YAML", "a: [", "", "fix: correct it in an editor, or move it aside (mv "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "config.yaml")
			os.WriteFile(p, []byte(tt.file), 0o600)
			_, err := Load(p, strings.Fields(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSetKeepsCommentsAndOtherKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(p, []byte("# my settings\nwidget:\n  theme: dark # I like it\n"), 0o600)
	if err := Set(p, "auto_swap.threshold_pct", "65"); err != nil {
		t.Fatal(err)
	}
	if err := Set(p, "widget.always_on_top", "false"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	s := string(data)
	for _, want := range []string{"# my settings", "theme: dark # I like it", "threshold_pct: 65", "always_on_top: false"} {
		if !strings.Contains(s, want) {
			t.Fatalf("missing %q in:\n%s", want, s)
		}
	}
	l, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.AutoSwap.ThresholdPct != 65 || l.Widget.AlwaysOnTop || l.Widget.Theme != "dark" {
		t.Fatalf("reloaded %+v", l.Config)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
}

func TestSetRejectsAndLeavesFileUnchanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	orig := []byte("auto_swap:\n  threshold_pct: 70\n")
	os.WriteFile(p, orig, 0o600)
	tests := []struct{ key, val, want string }{
		{"auto_swap.threshold_pct", "150", "auto_swap.threshold_pct: 150 is out of range; use a whole number from 1 to 100"},
		{"auto_swap.threshold_pct", "eighty", `"eighty" is not allowed`},
		{"auto_swap.enabled", "yep", "use true or false"},
		{"nope.key", "1", `unknown key "nope.key"`},
		{"notify.warn_pct", "99", "must be below notify.crit_pct"},
		{"log.level", "loud", "one of debug, info, warn, error"},
	}
	for _, tt := range tests {
		err := Set(p, tt.key, tt.val)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Fatalf("Set(%s,%s) = %v, want %q", tt.key, tt.val, err, tt.want)
		}
		if data, _ := os.ReadFile(p); string(data) != string(orig) {
			t.Fatalf("file changed after rejected Set: %s", data)
		}
	}
	var ke *KeyError
	if err := Set(p, "auto_swap.grace_sec", "-5"); !errors.As(err, &ke) || ke.Key != "auto_swap.grace_sec" {
		t.Fatalf("want KeyError for grace_sec, got %v", err)
	}
	if err := Set(p, "x", "1"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("want ErrUnknownKey, got %v", err)
	}
}

func TestSetCreatesFileWith0600(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "aimonitor")
	p := filepath.Join(dir, "config.yaml")
	if err := Set(p, "autostart", "true"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %o", st.Mode().Perm())
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %o", st.Mode().Perm())
	}
}

func TestEveryKeyHasEnvAndHelp(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range fields() {
		if f.help == "" || f.envVar == EnvPrefix {
			t.Errorf("%s lacks help or env tag", f.key)
		}
		if seen[f.envVar] {
			t.Errorf("duplicate env var %s", f.envVar)
		}
		seen[f.envVar] = true
		want := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.key, ".", "_"))
		if f.envVar != want {
			t.Errorf("%s: env %s, want %s", f.key, f.envVar, want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("auto_swap:\n  threshold_pct: 70\n"))
	f.Add([]byte("widget: {theme: dark, always_on_top: false}\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("notify: &a {enabled: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(p, data, 0o600)
		l, err := Load(p, nil)
		if err == nil {
			if verr := l.Validate(); verr != nil {
				t.Fatalf("Load accepted an invalid config: %v", verr)
			}
		}
	})
}

// LoadLenient never fails: each bad value is reported with where it came
// from and its fix, and the rest of the file still applies.
func TestLoadLenient(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(p, []byte("auto_swap:\n  threshold_pct: 150\n  grace_sec: 30\nwidget:\n  theme: pink\n"), 0o600)
	l, probs := LoadLenient(p, []string{"AIMONITOR_POLL_INTERVAL_SEC=5", "AIMONITOR_NOTIFY_ENABLED=false"})
	if l.AutoSwap.ThresholdPct != 80 || l.Widget.Theme != "system" || l.Poll.IntervalSec != Default().Poll.IntervalSec {
		t.Fatalf("bad values did not fall back to their defaults: %+v", l.Config)
	}
	if l.AutoSwap.GraceSec != 30 || l.Notify.Enabled {
		t.Fatalf("good values were lost: %+v", l.Config)
	}
	got := map[string]Problem{}
	for _, pr := range probs {
		got[pr.Key] = pr
	}
	want := map[string]Problem{
		"auto_swap.threshold_pct": {Value: "150", Source: "the file " + p, Fix: "aimonitor config set auto_swap.threshold_pct 80"},
		"widget.theme":            {Value: "pink", Source: "the file " + p, Fix: "aimonitor config set widget.theme system"},
		"poll.interval_sec":       {Value: "5", Source: "the environment variable AIMONITOR_POLL_INTERVAL_SEC", Fix: "unset AIMONITOR_POLL_INTERVAL_SEC"},
	}
	if len(probs) != len(want) {
		t.Fatalf("problems: %+v", probs)
	}
	for k, w := range want {
		g := got[k]
		if g.Value != w.Value || g.Source != w.Source || g.Fix != w.Fix || g.Msg == "" {
			t.Errorf("%s: got %+v, want %+v", k, g, w)
		}
	}

	os.WriteFile(p, []byte("auto_swap: [\n"), 0o600)
	l, probs = LoadLenient(p, nil)
	if len(probs) != 1 || probs[0].Key != "" || !strings.Contains(probs[0].Msg, "not valid YAML") || !strings.Contains(probs[0].Fix, "mv "+p) {
		t.Fatalf("broken YAML: %+v", probs)
	}
	if l.AutoSwap.ThresholdPct != 80 {
		t.Fatalf("broken YAML did not fall back to the defaults: %+v", l.Config)
	}
}
