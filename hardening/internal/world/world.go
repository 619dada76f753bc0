//go:build unix

// Package world is the shared test world of the hardening tests: a
// temporary HOME with Claude Code's files, the Anthropic simulator on
// loopback, a private D-Bus with a real gnome-keyring, the aimonitor CLI run
// in-process (cli.Run) or as real child processes (the test binary re-executed
// as the CLI, so `go test` needs no separate build), the real Claude Code CLI
// as the judge of what Claude Code sees, and a stand-in for Claude Code that
// takes Claude Code's own locks while it rewrites its files.
//
// Only tests import it. A test package that starts child processes must call
// Main from its TestMain.
package world

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/hardening/leak"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// childEnv marks a re-executed test binary that should act as aimonitor.
const childEnv = "AIMONITOR_HARDENING_CHILD"

// BinEnv, when set, is Options.Binary of every world that sets none (`make
// test-static` sets it to the static build/bin/aimonitor): Run and Command
// then run that binary as a real process instead of cli.Run in-process or
// this test binary.
const BinEnv = "AIMONITOR_BIN"

// KeyringUser is the USER of every world, and so the keyring account of the
// stashes.
const KeyringUser = "tester"

// Main turns the test binary into the aimonitor CLI when a World started it
// as a child (Command); otherwise it returns at once. Call it first thing in
// TestMain.
func Main() {
	if os.Getenv(childEnv) == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Deps{})
	stop()
	os.Exit(code)
}

// Options configure New.
type Options struct {
	// NoKeyring leaves the world without a Secret Service.
	NoKeyring bool
	// Clock drives the simulator (clock.Real{} when nil). The CLI always
	// runs on the wall clock.
	Clock clock.Clock
	Sim   []sim.Option
	// Env adds KEY=VALUE pairs to the CLI's environment.
	Env []string
	// Headless is a machine with no session bus and no display at all: no
	// DBUS_SESSION_BUS_ADDRESS, no DISPLAY, and an empty private
	// XDG_RUNTIME_DIR (so no bus socket there either). It implies NoKeyring.
	Headless bool
	// FilePassphrase makes Keyring (and Stash, SetStash…) use the file
	// keyring in the world's data directory with this passphrase. It does
	// not choose the backend for the CLI: set keyring.backend for that.
	FilePassphrase string
	// Binary runs this aimonitor program for Command (and Run) instead of
	// the test binary re-executed (or cli.Run), e.g. build/bin/aimonitor.
	// Empty: $AIMONITOR_BIN (BinEnv), if set.
	Binary string
}

// World is one user's machine.
type World struct {
	T       testing.TB
	Home    string
	Sim     *sim.Server
	URL     string
	Bus     *testbus.Bus
	Environ []string

	mu      sync.Mutex
	printed bytes.Buffer
	issued  map[string]string // every token the simulator handed out -> whose
	kr      keyring.Keyring
	opts    Options
}

// recordTokens notes every token the token endpoint hands out, so a leak
// scan knows rotated tokens too.
func (w *World) recordTokens(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != sim.TokenPath {
			next.ServeHTTP(rw, r)
			return
		}
		rec := &teeWriter{ResponseWriter: rw}
		next.ServeHTTP(rec, r)
		var answer struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			Account      struct {
				Email string `json:"email_address"`
			} `json:"account"`
		}
		if json.Unmarshal(rec.body.Bytes(), &answer) == nil {
			w.noteTokens(answer.Account.Email, answer.AccessToken, answer.RefreshToken)
		}
	})
}

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.body.Write(p)
	return t.ResponseWriter.Write(p)
}

func (t *teeWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *World) noteTokens(who string, tokens ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range tokens {
		if t != "" {
			w.issued[t] = who
		}
	}
}

// NoteLogin records the tokens of a login made outside the token endpoint
// (AddAccount, Login).
func (w *World) NoteLogin(c sim.Credentials) {
	w.noteTokens(c.Identity.Email, c.AccessToken, c.RefreshToken)
}

// Scanner is a leak scanner that knows every token this world's simulator
// handed out, and allows Claude Code's own credential file to hold them.
func (w *World) Scanner() *leak.Scanner {
	s := leak.New()
	w.mu.Lock()
	defer w.mu.Unlock()
	for t, who := range w.issued {
		kind := "access"
		if strings.HasPrefix(t, "sk-ant-ort") {
			kind = "refresh"
		}
		s.Secret("a "+kind+" token of "+who, []byte(t))
	}
	s.Allow(w.CredsPath())
	return s
}

// AimonitorDirs are the directories aimonitor keeps its config, data and
// logs in under this world's HOME.
func (w *World) AimonitorDirs() []string {
	return []string{
		filepath.Join(w.Home, ".config", "aimonitor"),
		filepath.Join(w.Home, ".local", "share", "aimonitor"),
		filepath.Join(w.Home, ".local", "state", "aimonitor"),
		filepath.Join(w.Home, ".run", "aimonitor"), // the account lock, in XDG_RUNTIME_DIR when headless
	}
}

// CheckModes returns a finding for everything aimonitor created or rewrote
// that is not private: its three directories and all they hold, and Claude
// Code's two files (HOME itself and files other programs created, such as
// the real Claude Code's settings.json, are not aimonitor's).
func (w *World) CheckModes() []leak.Finding {
	w.T.Helper()
	var out []leak.Finding
	for _, d := range w.AimonitorDirs() {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		f, err := leak.Modes(d, nil)
		if err != nil {
			w.T.Fatal(err)
		}
		out = append(out, f...)
	}
	for _, p := range []string{w.CredsPath(), w.ConfigPath()} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm() != 0o600 {
			out = append(out, leak.Finding{Where: p, What: fmt.Sprintf("a file with mode %04o (want 0600)", fi.Mode().Perm())})
		}
	}
	return out
}

// CheckNoLeaks scans HOME and everything the world's commands printed (plus
// extra captured output) for tokens, and HOME for files and directories
// others could read. It returns how many files it read.
func (w *World) CheckNoLeaks(extra ...string) int {
	w.T.Helper()
	s := w.Scanner()
	found, files, err := s.ScanTree(w.Home)
	if err != nil {
		w.T.Fatal(err)
	}
	found = append(found, s.ScanText("the commands' output", []byte(w.Printed()))...)
	for i, e := range extra {
		found = append(found, s.ScanText(fmt.Sprintf("captured output #%d", i+1), []byte(e))...)
	}
	modes := w.CheckModes()
	if r := leak.Report(append(found, modes...)); r != "" {
		w.T.Fatalf("secret exposure (%d known tokens looked for):\n%s", s.Secrets(), r)
	}
	return files
}

// New builds a world. The simulator has no rate limit unless opts.Sim sets one.
func New(t testing.TB, o Options) *World {
	t.Helper()
	if o.Binary == "" {
		o.Binary = os.Getenv(BinEnv)
	}
	w := &World{T: t, Home: t.TempDir(), opts: o}
	clk := o.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	w.Sim = sim.New(clk, append([]sim.Option{sim.WithRateLimit(0, time.Minute)}, o.Sim...)...)
	w.issued = map[string]string{}
	srv := httptest.NewServer(w.recordTokens(w.Sim))
	t.Cleanup(func() { w.Sim.Close(); srv.Close() })
	w.URL = srv.URL
	w.Environ = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + w.Home,
		"USER=" + KeyringUser,
		"LANG=C.UTF-8",
		"AIMONITOR_LOG_FILE=true",
	}, cli.SimEnv(srv.URL)...)
	switch {
	case o.Headless:
		run := filepath.Join(w.Home, ".run")
		if err := os.Mkdir(run, 0o700); err != nil {
			t.Fatal(err)
		}
		w.Environ = append(w.Environ, "XDG_RUNTIME_DIR="+run)
	case !o.NoKeyring:
		w.Bus = testbus.NewKeyring(t)
		w.Environ = append(w.Environ, "DBUS_SESSION_BUS_ADDRESS="+w.Bus.Address)
	default:
		// A bus address that cannot exist: nothing may fall back to the
		// machine's own session bus.
		w.Environ = append(w.Environ, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(w.Home, "no-bus"))
	}
	w.Environ = append(w.Environ, o.Env...)
	return w
}

// Result is what one command printed and its exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs one aimonitor command in-process, as a fresh process would (or
// Options.Binary, as a process: ctx's end is its Ctrl-C).
func (w *World) Run(ctx context.Context, args ...string) Result {
	var out, errOut bytes.Buffer
	var code int
	if bin := w.opts.Binary; bin != "" {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = w.Environ
		cmd.Stdin = strings.NewReader("")
		cmd.Stdout, cmd.Stderr = &out, &errOut
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 30 * time.Second
		// After a cancel Run reports ctx's error; the exit status is what
		// counts, as for the in-process run.
		if err := cmd.Run(); cmd.ProcessState == nil {
			w.T.Fatalf("running %s: %v", bin, err)
		}
		code = cmd.ProcessState.ExitCode()
	} else {
		code = cli.Run(ctx, args, cli.Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Environ: w.Environ})
	}
	w.Record(args, out.String(), errOut.String())
	return Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

// MustRun is Run that fails the test on a non-zero exit.
func (w *World) MustRun(args ...string) string {
	w.T.Helper()
	r := w.Run(context.Background(), args...)
	if r.Code != 0 {
		w.T.Fatalf("aimonitor %s: exit %d\n%s%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// Record keeps a command's output for the secret scan (Printed).
func (w *World) Record(args []string, stdout, stderr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(&w.printed, "$ aimonitor %s\n%s%s", strings.Join(args, " "), stdout, stderr)
}

// Printed is everything every command of this world printed.
func (w *World) Printed() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.printed.String()
}

// Command is a real aimonitor process (this test binary re-executed; the
// test package must call Main from TestMain), or Options.Binary.
func (w *World) Command(ctx context.Context, args ...string) *exec.Cmd {
	bin := os.Args[0]
	if w.opts.Binary != "" {
		bin = w.opts.Binary
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	// Under -race a process sleeps a second at exit unless told not to.
	cmd.Env = append(append([]string(nil), w.Environ...), childEnv+"=1", "GORACE=atexit_sleep_ms=0 halt_on_error=1")
	return cmd
}

// CredsPath is Claude Code's credential file, ConfigPath its ~/.claude.json.
func (w *World) CredsPath() string  { return filepath.Join(w.Home, ".claude", ".credentials.json") }
func (w *World) ConfigPath() string { return filepath.Join(w.Home, ".claude.json") }

// MCPSecret is a machine-wide member of the credential file that every
// rewrite must keep.
const MCPSecret = "mcp-secret-kept"

// Login plays Claude Code's /login: the credential (with a machine-wide
// mcpOAuth member and an unknown field inside the login) and oauthAccount
// next to Claude Code's other settings.
func (w *World) Login(c sim.Credentials) {
	w.T.Helper()
	blob := c.ClaudeCodeJSON()
	blob = bytes.Replace(blob, []byte(`{"claudeAiOauth":{`), []byte(`{"claudeAiOauth":{"clientIdFromTheFuture":"x",`), 1)
	blob = append(blob[:len(blob)-1], []byte(`,"mcpOAuth":{"linear|abc":{"serverName":"linear","accessToken":"`+MCPSecret+`"}}}`)...)
	if err := os.MkdirAll(filepath.Dir(w.CredsPath()), 0o700); err != nil {
		w.T.Fatal(err)
	}
	if err := os.WriteFile(w.CredsPath(), blob, 0o600); err != nil {
		w.T.Fatal(err)
	}
	cfg, err := os.ReadFile(w.ConfigPath())
	if errors.Is(err, fs.ErrNotExist) {
		cfg = []byte(DefaultClaudeJSON)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &m); err != nil {
		w.T.Fatal(err)
	}
	m["oauthAccount"] = c.OAuthAccountJSON()
	cfg, _ = json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(w.ConfigPath(), cfg, 0o600); err != nil {
		w.T.Fatal(err)
	}
}

// DefaultClaudeJSON is the ~/.claude.json a first /login finds: settings
// aimonitor must never lose.
const DefaultClaudeJSON = "{\n  \"numStartups\": 7,\n  \"theme\": \"dark-daltonized\",\n  \"hasCompletedOnboarding\": true,\n  \"projects\": {\n    \"/home/me/src\": {\n      \"allowedTools\": [\"Bash(make test)\"]\n    }\n  }\n}\n"

// Keyring is a client of this world's keyring.
func (w *World) Keyring() keyring.Keyring {
	w.T.Helper()
	if w.kr != nil {
		return w.kr
	}
	if w.opts.FilePassphrase != "" {
		pass := w.opts.FilePassphrase
		w.kr = filekeyring.Open(filekeyring.Options{
			Dir:        filepath.Join(w.Home, ".local", "share", "aimonitor", "keyring"),
			Passphrase: func(context.Context, bool) ([]byte, error) { return []byte(pass), nil },
		})
		return w.kr
	}
	if w.Bus == nil {
		w.T.Fatal("this world has no keyring")
	}
	kr, err := keyring.Open(keyring.Options{BusAddress: w.Bus.Address})
	if err != nil {
		w.T.Fatal(err)
	}
	w.kr = kr
	return kr
}

// Stash returns the saved login of an account.
func (w *World) Stash(uuid string) ([]byte, error) {
	return w.Keyring().Get(context.Background(), keyring.StashService(uuid), KeyringUser)
}

// SetStash replaces the saved login of an account (a test's shortcut for a
// new login).
func (w *World) SetStash(uuid string, blob []byte) {
	w.T.Helper()
	if err := w.Keyring().Set(context.Background(), keyring.StashService(uuid), KeyringUser, "", blob); err != nil {
		w.T.Fatal(err)
	}
}

// ExpireStash makes the saved access token of an account expired, in the
// stash and at the simulator, so the next use must refresh it.
func (w *World) ExpireStash(uuid string) {
	w.T.Helper()
	blob, err := w.Stash(uuid)
	if err != nil {
		w.T.Fatal(err)
	}
	cur, err := claudecode.ParseCredentials(blob)
	if err != nil {
		w.T.Fatal(err)
	}
	next, err := claudecode.WithTokens(blob, cur.AccessToken, cur.RefreshToken, time.Now().Add(-time.Hour), nil)
	cur.Zero()
	if err != nil {
		w.T.Fatal(err)
	}
	w.SetStash(uuid, next)
	if err := w.Sim.ExpireAccessTokens(uuid); err != nil {
		w.T.Fatal(err)
	}
}

// Adopt logs Claude Code in as each account in turn and saves it under its
// label; the last one stays live.
func (w *World) Adopt(labels []string, creds []sim.Credentials) {
	w.T.Helper()
	for i, c := range creds {
		w.Login(c)
		w.MustRun("add", "--adopt-current", "--label", labels[i])
	}
}

// NewAccounts adds n accounts to the simulator, labelled a0, a1, ….
func (w *World) NewAccounts(n int) ([]string, []sim.Credentials) {
	w.T.Helper()
	var labels []string
	var creds []sim.Credentials
	for i := 0; i < n; i++ {
		label := fmt.Sprintf("a%d", i)
		c, err := w.Sim.AddAccount(sim.AccountSpec{Email: label + "@example.com", OrganizationName: "Org " + label})
		if err != nil {
			w.T.Fatal(err)
		}
		w.NoteLogin(c)
		labels = append(labels, label)
		creds = append(creds, c)
	}
	return labels, creds
}

// AuthStatus is what `claude auth status --json` reports.
type AuthStatus struct {
	LoggedIn         bool   `json:"loggedIn"`
	Email            string `json:"email"`
	OrgID            string `json:"orgId"`
	OrgName          string `json:"orgName"`
	SubscriptionType string `json:"subscriptionType"`
}

// ClaudeStatus asks the real Claude Code who is logged in, without network
// access where the machine allows it (a new network namespace).
func (w *World) ClaudeStatus(bin string) AuthStatus {
	w.T.Helper()
	args := []string{bin, "auth", "status", "--json"}
	if unshareWorks() {
		args = append([]string{"unshare", "-rn"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + w.Home, "USER=" + KeyringUser, "LANG=C.UTF-8",
		"DISABLE_AUTOUPDATER=1", "DISABLE_TELEMETRY=1", "DISABLE_ERROR_REPORTING=1",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	_ = cmd.Run() // exits 1 when logged out; the JSON says so
	var st AuthStatus
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		w.T.Fatalf("claude auth status --json: %v\n%s%s", err, out.String(), errOut.String())
	}
	return st
}

var unshareOnce = sync.OnceValue(func() bool { return exec.Command("unshare", "-rn", "true").Run() == nil })

func unshareWorks() bool { return unshareOnce() }
