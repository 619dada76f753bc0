package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/service"
)

type result struct {
	code           int
	stdout, stderr string
}

// sandboxEnv is a private HOME and XDG tree for one test.
func sandboxEnv(t *testing.T) []string {
	t.Helper()
	root := t.TempDir()
	return []string{
		"HOME=" + filepath.Join(root, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_DATA_HOME=" + filepath.Join(root, "data"),
		"XDG_STATE_HOME=" + filepath.Join(root, "state"),
	}
}

// run runs one command in-process, or, when AIMONITOR_BIN names a binary
// (`make test-static`: the static build/bin/aimonitor), as that process.
func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	if bin := os.Getenv("AIMONITOR_BIN"); bin != "" {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader("")
		cmd.Stdout, cmd.Stderr = &out, &errb
		var exit *exec.ExitError
		if err := cmd.Run(); err != nil && !errors.As(err, &exit) {
			t.Fatalf("running %s: %v", bin, err)
		}
		return result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
	}
	code := Run(context.Background(), args, Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: env})
	return result{code, out.String(), errb.String()}
}

func configPath(env []string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "XDG_CONFIG_HOME="); ok {
			return filepath.Join(v, "aimonitor", "config.yaml")
		}
	}
	return ""
}

func TestVersion(t *testing.T) {
	env := sandboxEnv(t)
	r := run(t, env, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "aimonitor ") {
		t.Fatalf("%+v", r)
	}
	r = run(t, env, "version", "--json")
	var v map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v["version"] == "" {
		t.Fatalf("json: %v %q", err, r.stdout)
	}
}

func TestConfigSetGetList(t *testing.T) {
	env := sandboxEnv(t)
	if r := run(t, env, "config", "set", "auto_swap.threshold_pct", "70"); r.code != 0 || r.stdout != "auto_swap.threshold_pct = 70\n" {
		t.Fatalf("set: %+v", r)
	}
	if r := run(t, env, "config", "get", "auto_swap.threshold_pct"); r.code != 0 || r.stdout != "70\n" {
		t.Fatalf("get: %+v", r)
	}
	r := run(t, env, "config", "list", "--json")
	var doc struct {
		Path     string
		Settings []struct {
			Key    string
			Value  any
			Source string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err, r.stdout)
	}
	found := false
	for _, s := range doc.Settings {
		if s.Key == "auto_swap.threshold_pct" {
			found = s.Value == float64(70) && s.Source == "file"
		}
	}
	if !found || doc.Path != configPath(env) {
		t.Fatalf("list: %+v", doc)
	}
	st, err := os.Stat(configPath(env))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode: %v %v", st, err)
	}
	if st, _ := os.Stat(filepath.Dir(configPath(env))); st.Mode().Perm() != 0o700 {
		t.Fatalf("config dir mode %o", st.Mode().Perm())
	}
	if r := run(t, env, "config", "list"); r.code != 0 || !strings.Contains(r.stdout, "auto_swap.threshold_pct") {
		t.Fatalf("list text: %+v", r)
	}
}

// The must-show: an out-of-range value fails clearly and leaves the file as it was.
func TestConfigSetOutOfRangeLeavesFileUnchanged(t *testing.T) {
	env := sandboxEnv(t)
	run(t, env, "config", "set", "auto_swap.threshold_pct", "75")
	before, err := os.ReadFile(configPath(env))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, env, "config", "set", "auto_swap.threshold_pct", "150")
	if r.code == 0 {
		t.Fatal("accepted 150")
	}
	want := "aimonitor: auto_swap.threshold_pct: 150 is out of range; use a whole number from 1 to 100\n"
	if r.stderr != want {
		t.Fatalf("stderr %q, want %q", r.stderr, want)
	}
	after, _ := os.ReadFile(configPath(env))
	if !bytes.Equal(before, after) {
		t.Fatalf("file changed:\n%s\n---\n%s", before, after)
	}
	// Same when no file existed yet: nothing is created.
	env2 := sandboxEnv(t)
	if r := run(t, env2, "config", "set", "auto_swap.threshold_pct", "150"); r.code == 0 {
		t.Fatal("accepted 150")
	}
	if _, err := os.Stat(configPath(env2)); !os.IsNotExist(err) {
		t.Fatalf("a rejected set created the file: %v", err)
	}
}

func TestErrorsAreOneLineAndNonZero(t *testing.T) {
	env := sandboxEnv(t)
	for _, args := range [][]string{
		{"config", "get", "no.such"},
		{"config", "set", "widget.theme", "pink"},
		{"no-such-command"},
	} {
		r := run(t, env, args...)
		if r.code == 0 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "aimonitor: ") {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestBrokenConfigFileIsReported(t *testing.T) {
	env := sandboxEnv(t)
	p := configPath(env)
	os.MkdirAll(filepath.Dir(p), 0o700)
	os.WriteFile(p, []byte("auto_swap: [oops\n"), 0o600)
	// config list still works (it is how the user looks into it), and says so.
	r := run(t, env, "config", "list")
	if r.code != 0 || !strings.Contains(r.stderr, "not valid YAML") {
		t.Fatalf("%+v", r)
	}
	if r := run(t, env, "list"); r.code == 0 || !strings.Contains(r.stderr, "not valid YAML") {
		t.Fatalf("%+v", r)
	}
}

func TestDemoRefusesOutsideSandbox(t *testing.T) {
	env := sandboxEnv(t)
	called := false
	var errb bytes.Buffer
	code := Run(context.Background(), []string{"demo"}, Deps{Stdout: &bytes.Buffer{}, Stderr: &errb, Environ: env,
		RunGUI: func(context.Context, *service.Service, GUIOptions) error { called = true; return nil }})
	if code == 0 || called || !strings.Contains(errb.String(), "make demo") {
		t.Fatalf("code %d called %v stderr %q", code, called, errb.String())
	}
}

func TestNoArgsOpensGUI(t *testing.T) {
	env := sandboxEnv(t)
	var got *GUIOptions
	code := Run(context.Background(), nil, Deps{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Environ: env,
		RunGUI: func(_ context.Context, _ *service.Service, o GUIOptions) error { got = &o; return nil }})
	if code != 0 || got == nil || got.Expanded {
		t.Fatalf("code %d opts %+v", code, got)
	}
	r := run(t, env) // no GUI runner: the command line looks for the widget binary (launch_test.go)
	if r.code == 0 || !strings.Contains(r.stderr, "cannot open the widget") {
		t.Fatalf("%+v", r)
	}
}

func TestSimRefusesNonLoopback(t *testing.T) {
	r := run(t, sandboxEnv(t), "sim", "--listen", "0.0.0.0:0")
	if r.code == 0 || !strings.Contains(r.stderr, "only loopback") {
		t.Fatalf("%+v", r)
	}
}

func TestSimServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"sim", "--listen", "127.0.0.1:0"}, Deps{Stdout: &out, Stderr: &out, Environ: sandboxEnv(t)})
	}()
	for i := 0; i < 200 && !strings.Contains(out.String(), "AIMONITOR_RELEASES_URL"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	s := out.String()
	if !strings.Contains(s, "export AIMONITOR_API_BASE=http://127.0.0.1:") || strings.Contains(s, "sk-ant-") {
		t.Fatalf("output: %s", s)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestConfigSetAutostartInstallsAndRemovesEntry(t *testing.T) {
	env := sandboxEnv(t)
	entry := filepath.Join(strings.TrimPrefix(env[1], "XDG_CONFIG_HOME="), "autostart", "aimonitor.desktop")
	if r := run(t, env, "config", "set", "autostart", "true"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	data, err := os.ReadFile(entry)
	if err != nil || !strings.Contains(string(data), " widget\n") {
		t.Fatalf("entry: %v\n%s", err, data)
	}
	if r := run(t, env, "config", "set", "autostart_run", "daemon"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if data, _ := os.ReadFile(entry); !strings.Contains(string(data), " daemon\n") {
		t.Fatalf("entry not switched to the daemon:\n%s", data)
	}
	if r := run(t, env, "config", "set", "autostart", "false"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Fatalf("entry still present: %v", err)
	}
}

func TestUpdateCheckAgainstSimulator(t *testing.T) {
	s := sim.New(clock.NewFake(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)))
	srv := httptest.NewServer(s)
	defer srv.Close()
	env := append(sandboxEnv(t), SimEnv(srv.URL)...)
	r := run(t, env, "update", "check", "--json")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	var res struct {
		Current, Latest, URL string
		UpdateAvailable      bool `json:"update_available"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatal(err, r.stdout)
	}
	if res.Latest != "v1.0.0" || res.URL == "" {
		t.Fatalf("%+v", res)
	}
	// Off means off: no request reaches the simulator.
	before := s.Log().Count(sim.EndpointReleases, 0)
	run(t, env, "config", "set", "auto_update.enabled", "false")
	r = run(t, env, "update", "check")
	if r.code == 0 || !strings.Contains(r.stderr, "release checks are off") {
		t.Fatalf("%+v", r)
	}
	if after := s.Log().Count(sim.EndpointReleases, 0); after != before {
		t.Fatalf("a request was made while checks were off (%d → %d)", before, after)
	}
}

func TestOverrideToForeignHostFailsBeforeAnyRequest(t *testing.T) {
	env := append(sandboxEnv(t), "AIMONITOR_RELEASES_URL=https://exfil.invalid/releases")
	r := run(t, env, "update", "check")
	if r.code == 0 || !strings.Contains(r.stderr, `host "exfil.invalid" is not allowed`) {
		t.Fatalf("%+v", r)
	}
}

// Issue 3's must-show: a foreign API base fails before any request, naming the host.
func TestRefreshWithForeignAPIBaseIsRefused(t *testing.T) {
	env := append(sandboxEnv(t), "AIMONITOR_API_BASE=https://exfil.invalid", "DBUS_SESSION_BUS_ADDRESS=disabled:")
	r := run(t, env, "refresh", "--all")
	if r.code == 0 || !strings.Contains(r.stderr, `AIMONITOR_API_BASE: egress: host "exfil.invalid" is not allowed`) {
		t.Fatalf("%+v", r)
	}
}

// The root builds only the command a command line names (rootCommand): that
// is right only while each table name is its command's name and no command
// has an alias.
func TestSubcommandTableNamesEachCommand(t *testing.T) {
	a := &app{deps: Deps{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Environ: sandboxEnv(t)}}
	for _, c := range a.subcommands() {
		cmd := c.make()
		if cmd.Name() != c.name || len(cmd.Aliases) > 0 {
			t.Errorf("table name %q: the command is %q with aliases %q", c.name, cmd.Name(), cmd.Aliases)
		}
	}
	a.args = []string{"switch", "work"}
	var names []string
	for _, c := range a.rootCommand().Commands() {
		names = append(names, c.Name())
	}
	if strings.Join(names, " ") != "completion switch" {
		t.Errorf("the root for `switch work` has %q", names)
	}
}
