//go:build unix

package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/internal/claudetest"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// claudeBin finds the real Claude Code CLI (see claudetest).
func claudeBin(t *testing.T) string { return claudetest.Bin(t) }

// env is one test's world: HOME, a keyring bus, the simulator.
type env struct {
	t       *testing.T
	home    string
	environ []string
	sim     *sim.Server
	simURL  string
	bus     *testbus.Bus
	claude  string
	quiet   bool // run commands without --debug

	mu      sync.Mutex
	printed bytes.Buffer // everything any command printed
}

func newEnv(t *testing.T, bus *testbus.Bus, extra ...string) *env {
	t.Helper()
	e := &env{t: t, home: t.TempDir(), bus: bus}
	e.sim = sim.New(clock.Real{})
	srv := httptest.NewServer(e.sim)
	t.Cleanup(func() { e.sim.Close(); srv.Close() })
	e.simURL = srv.URL
	e.environ = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + e.home,
		"USER=tester",
		"LANG=C.UTF-8",
		"AIMONITOR_API_BASE=" + srv.URL,
		"AIMONITOR_TOKEN_URL=" + srv.URL + sim.TokenPath,
		"AIMONITOR_LOG_FILE=true",
	}
	if bus != nil {
		e.environ = append(e.environ, bus.Vars()...)
	}
	e.environ = append(e.environ, extra...)
	return e
}

// run executes one aimonitor command in-process through the CLI's entry
// point (a fresh service per command, as a new process would have), with
// --debug unless quiet, and returns what it printed and its exit code.
func (e *env) run(ctx context.Context, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = e.exec(ctx, &out, &errOut, args...)
	return out.String(), errOut.String(), code
}

func (e *env) exec(ctx context.Context, out, errOut io.Writer, args ...string) int {
	if !e.quiet {
		args = append([]string{"--debug"}, args...)
	}
	code := cli.Run(ctx, args, cli.Deps{Stdin: strings.NewReader(""), Stdout: out, Stderr: errOut, Environ: e.environ})
	e.mu.Lock()
	fmt.Fprintf(&e.printed, "$ aimonitor %s\n", strings.Join(args, " "))
	for _, w := range []io.Writer{out, errOut} {
		if s, ok := w.(fmt.Stringer); ok {
			e.printed.WriteString(s.String())
		}
	}
	e.mu.Unlock()
	return code
}

func (e *env) mustRun(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(context.Background(), args...)
	if code != 0 {
		e.t.Fatalf("aimonitor %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (e *env) credsPath() string  { return filepath.Join(e.home, ".claude", ".credentials.json") }
func (e *env) configPath() string { return filepath.Join(e.home, ".claude.json") }

// login plays Claude Code's /login: it writes the credential (with a
// machine-wide mcpOAuth member and a field from the future inside the
// login) and oauthAccount next to Claude Code's other settings.
func (e *env) login(c sim.Credentials) {
	e.t.Helper()
	blob := c.ClaudeCodeJSON()
	blob = bytes.Replace(blob, []byte(`{"claudeAiOauth":{`), []byte(`{"claudeAiOauth":{"clientIdFromTheFuture":"x",`), 1)
	blob = append(blob[:len(blob)-1], []byte(`,"mcpOAuth":{"linear|abc":{"serverName":"linear","accessToken":"mcp-secret-kept"}}}`)...)
	if err := os.MkdirAll(filepath.Dir(e.credsPath()), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.credsPath(), blob, 0o600); err != nil {
		e.t.Fatal(err)
	}
	cfg, err := os.ReadFile(e.configPath())
	if errors.Is(err, fs.ErrNotExist) {
		cfg = []byte("{\n  \"numStartups\": 7,\n  \"theme\": \"dark-daltonized\",\n  \"hasCompletedOnboarding\": true,\n  \"projects\": {\n    \"/home/me/src\": {\n      \"allowedTools\": [\"Bash(make test)\"]\n    }\n  }\n}\n")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &m); err != nil {
		e.t.Fatal(err)
	}
	m["oauthAccount"] = c.OAuthAccountJSON()
	cfg, _ = json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(e.configPath(), cfg, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

type authStatus struct {
	LoggedIn         bool   `json:"loggedIn"`
	Email            string `json:"email"`
	OrgID            string `json:"orgId"`
	OrgName          string `json:"orgName"`
	SubscriptionType string `json:"subscriptionType"`
}

// claudeStatus asks the real Claude Code who is logged in. It runs without
// network access where the machine allows it (a new network namespace), so
// Claude Code can never reach a real endpoint.
func (e *env) claudeStatus() authStatus {
	e.t.Helper()
	args := []string{e.claude, "auth", "status", "--json"}
	if exec.Command("unshare", "-rn", "true").Run() == nil {
		args = append([]string{"unshare", "-rn"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + e.home, "USER=tester", "LANG=C.UTF-8",
		"DISABLE_AUTOUPDATER=1", "DISABLE_TELEMETRY=1", "DISABLE_ERROR_REPORTING=1",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	_ = cmd.Run() // exits 1 when logged out; the JSON says so
	var st authStatus
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		e.t.Fatalf("claude auth status --json: %v\n%s%s", err, out.String(), errOut.String())
	}
	return st
}

func (e *env) expectClaude(c sim.Credentials) {
	e.t.Helper()
	st := e.claudeStatus()
	id := c.Identity
	if !st.LoggedIn || st.Email != id.Email || st.OrgID != id.OrganizationUUID || st.OrgName != id.OrganizationName {
		e.t.Fatalf("Claude Code reports %+v, want %s / %s / %s", st, id.Email, id.OrganizationUUID, id.OrganizationName)
	}
}

func (e *env) files() (string, string) {
	c, _ := os.ReadFile(e.credsPath())
	g, _ := os.ReadFile(e.configPath())
	return string(c), string(g)
}

// tokensNow collects every token in the live slot and in the stashes.
func (e *env) tokensNow(kr keyring.Keyring, seen map[string]bool, uuids ...string) {
	e.t.Helper()
	add := func(blob []byte) {
		c, err := claudecode.ParseCredentials(blob)
		if err != nil {
			e.t.Fatal(err)
		}
		seen[string(c.AccessToken)], seen[string(c.RefreshToken)] = true, true
	}
	if b, err := os.ReadFile(e.credsPath()); err == nil {
		add(b)
	}
	for _, u := range uuids {
		if b, err := kr.Get(context.Background(), keyring.StashService(u), "tester"); err == nil {
			add(b)
		}
	}
}

var tokenShape = regexp.MustCompile(`sk-ant-[a-z]{2,4}\d{2}-`)

// scanForTokens fails if any token (or anything token-shaped) is in a file
// under root other than Claude Code's own credential file, or in text.
func (e *env) scanForTokens(root string, allowed []string, text string, tokens map[string]bool) {
	e.t.Helper()
	check := func(where string, data []byte) {
		if loc := tokenShape.FindIndex(data); loc != nil {
			e.t.Errorf("token-shaped bytes in %s", where)
		}
		for tok := range tokens {
			if tok != "" && bytes.Contains(data, []byte(tok)) {
				e.t.Errorf("a token is in %s", where)
			}
		}
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, a := range allowed {
			if path == a {
				return nil
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		check(path, data)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	check("the commands' output", []byte(text))
	if files < 3 {
		e.t.Fatalf("only %d files scanned: the scan is not looking where the data is", files)
	}
}

func TestSwitchingWithTheRealClaudeCode(t *testing.T) {
	claude := claudeBin(t)
	bus := testbus.NewKeyring(t)
	e := newEnv(t, bus)
	e.claude = claude
	ctx := context.Background()
	kr, err := keyring.Open(keyring.Options{BusAddress: bus.Address})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := e.sim.AddAccount(sim.AccountSpec{Email: "alice@work.example", OrganizationName: "Work Inc"})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := e.sim.AddAccount(sim.AccountSpec{Email: "alice@home.example", OrganizationName: "Alice Personal", SubscriptionType: "pro"})
	if err != nil {
		t.Fatal(err)
	}
	uuids := []string{ca.Identity.AccountUUID, cb.Identity.AccountUUID}
	tokens := map[string]bool{ca.AccessToken: true, ca.RefreshToken: true, cb.AccessToken: true, cb.RefreshToken: true}

	// Adopt A.
	e.login(ca)
	e.expectClaude(ca)
	if out := e.mustRun("add", "--adopt-current", "--label", "work"); !strings.Contains(out, `as "work"`) {
		t.Fatalf("adopt printed %q", out)
	}
	e.expectClaude(ca)

	// Capture B while A stays live: the user logs in elsewhere once asked.
	// add puts A back as soon as it has identified B, so to ask Claude
	// Code about B meanwhile the profile endpoint refuses B until Claude
	// Code has answered: add keeps waiting with B live (no clock involved;
	// the timeout is only a guard).
	credsA, cfgA := e.files()
	if err := e.sim.SetFault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointProfile, Account: cb.Identity.AccountUUID}); err != nil {
		t.Fatal(err)
	}
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() { done <- e.exec(ctx, &out, &errOut, "add", "--label", "personal", "--timeout", "10m") }()
	waitFor(t, &errOut, "Waiting until")
	e.login(cb)
	waitFor(t, &errOut, "could not check the new login yet")
	e.expectClaude(cb) // Claude Code itself sees the new login meanwhile
	e.sim.ClearFaults()
	if code := <-done; code != 0 {
		t.Fatalf("capture: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "alice@home.example") {
		t.Fatalf("capture printed %q", out.String())
	}
	// The credential comes back byte for byte; .claude.json as the same
	// document (this test's stand-in for /login re-serialised it).
	if c, g := e.files(); c != credsA || !sameJSON(g, cfgA) {
		t.Fatalf("the previous login was not put back exactly:\n%s\n---\n%s", cfgA, g)
	}
	e.expectClaude(ca)

	// B's access token expired while it was not used: the switch renews it.
	expireStash(t, e, kr, cb)
	if out := e.mustRun("switch", "personal"); !strings.Contains(out, "renewed") {
		t.Fatalf("switch printed %q", out)
	}
	e.expectClaude(cb)
	e.tokensNow(kr, tokens, uuids...)
	creds, cfg := e.files()
	for _, keep := range []string{`"mcp-secret-kept"`, `"clientIdFromTheFuture"`} {
		if !strings.Contains(creds, keep) {
			t.Errorf("credential lost %s", keep)
		}
	}
	for _, keep := range []string{`"numStartups": 7`, `"dark-daltonized"`, `"Bash(make test)"`, `"hasCompletedOnboarding": true`} {
		if !strings.Contains(cfg, keep) {
			t.Errorf(".claude.json lost %s", keep)
		}
	}
	if st := e.claudeStatus(); st.SubscriptionType != "pro" {
		t.Errorf("subscription %q", st.SubscriptionType)
	}

	// And back.
	e.mustRun("switch", "work")
	e.expectClaude(ca)

	// The next refresh of B must use the rotated refresh token (reusing the
	// spent one would get invalid_grant from the simulator).
	expireStash(t, e, kr, cb)
	e.mustRun("switch", "personal")
	e.expectClaude(cb)
	e.tokensNow(kr, tokens, uuids...)
	ok, failed := tokenCalls(e.sim, cb.Identity.AccountUUID)
	if ok != 2 || failed != 0 {
		t.Fatalf("token refreshes of B: %d ok, %d refused", ok, failed)
	}

	// list and log.
	var list cli.ListOutput
	if err := json.Unmarshal([]byte(e.mustRun("list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 2 || list.Accounts[0].Label != "work" || list.Accounts[0].Active || !list.Accounts[1].Active ||
		list.Accounts[1].Email != "alice@home.example" || list.Accounts[1].Organization != "Alice Personal" || list.Accounts[1].Subscription != "pro" ||
		list.Accounts[1].Usage != nil || list.Accounts[1].NeedsRelogin {
		t.Fatalf("list --json: %+v", list)
	}
	var raw map[string][]map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &raw)
	for _, k := range []string{"label", "email", "organization", "subscription", "active", "needs_relogin", "usage"} {
		if _, ok := raw["accounts"][0][k]; !ok {
			t.Errorf("list --json lacks %q", k)
		}
	}
	if txt := e.mustRun("list"); !strings.Contains(txt, "*  personal") {
		t.Errorf("list:\n%s", txt)
	}
	var log struct {
		Switches []map[string]any `json:"switches"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("log", "--json")), &log); err != nil || len(log.Switches) != 3 || log.Switches[0]["to"] != "personal" || log.Switches[0]["trigger"] != "manual" {
		t.Fatalf("log --json: %+v %v", log, err)
	}

	// A writer holding .claude.json.lock: the switch waits for it and keeps
	// the writer's change.
	lock := e.configPath() + ".lock"
	if err := os.Mkdir(lock, 0o755); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(700 * time.Millisecond)
		_, cfg := e.files()
		os.WriteFile(e.configPath(), []byte(strings.Replace(cfg, `"numStartups": 7`, `"numStartups": 8`, 1)), 0o600)
		os.Remove(lock)
	}()
	start := time.Now()
	e.mustRun("switch", "work")
	if time.Since(start) < 600*time.Millisecond {
		t.Error("the switch did not wait for .claude.json.lock")
	}
	e.expectClaude(ca)
	if _, cfg := e.files(); !strings.Contains(cfg, `"numStartups": 8`) {
		t.Error("the lock holder's change was clobbered")
	}

	// A malformed .claude.json: a clear error and nothing changes.
	credsBefore, _ := e.files()
	broken := "{\n  \"numStartups\": 8,\n  \"oauthAccount\": {\n"
	os.WriteFile(e.configPath(), []byte(broken), 0o600)
	e.quiet = true // as a user runs it: no debug log lines on stderr
	stdout, stderr, code := e.run(ctx, "switch", "personal")
	e.quiet = false
	if code == 0 || !strings.HasPrefix(stderr, "aimonitor: ") || !strings.Contains(stderr, e.configPath()) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || stdout != "" {
		t.Fatalf("malformed .claude.json: exit %d\n%s%s", code, stdout, stderr)
	}
	if c, g := e.files(); c != credsBefore || g != broken {
		t.Fatal("files changed despite the malformed .claude.json")
	}
	os.WriteFile(e.configPath(), []byte(cfgA), 0o600)
	// A malformed credential file likewise.
	os.WriteFile(e.credsPath(), []byte(`{"claudeAiOauth":{"accessToken":"`), 0o600)
	if _, stderr, code := e.run(ctx, "switch", "personal"); code == 0 || !strings.Contains(stderr, e.credsPath()) {
		t.Fatalf("malformed credentials: exit %d %s", code, stderr)
	}
	if c, _ := e.files(); c != `{"claudeAiOauth":{"accessToken":"` {
		t.Fatal("a malformed credential file was overwritten")
	}
	os.WriteFile(e.credsPath(), []byte(credsBefore), 0o600)
	e.expectClaude(ca)

	// rename / remove never touch the live login.
	e.mustRun("rename", "personal", "home")
	e.mustRun("remove", "home", "--purge", "--yes")
	e.expectClaude(ca)
	if _, err := kr.Get(ctx, keyring.StashService(cb.Identity.AccountUUID), "tester"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("purge left the stash: %v", err)
	}
	if _, stderr, code := e.run(ctx, "switch", "home"); code == 0 || !strings.Contains(stderr, `no such account labelled "home"`) {
		t.Fatalf("switch to a removed account: %d %s", code, stderr)
	}

	// No token anywhere but the keyring and Claude Code's own file.
	e.tokensNow(kr, tokens, uuids...)
	e.mu.Lock()
	printed := e.printed.String()
	e.mu.Unlock()
	// The logs (debug level, on stderr and in the log file) are part of
	// what is scanned; make sure they are really there.
	logFile, err := os.ReadFile(filepath.Join(e.home, ".local", "state", "aimonitor", "aimonitor.log"))
	if err != nil || !bytes.Contains(logFile, []byte("switched Claude Code's login")) || !strings.Contains(printed, "switch step") {
		t.Fatalf("expected switch logs in the log file and on stderr (%v)", err)
	}
	e.scanForTokens(e.home, []string{e.credsPath()}, printed, tokens)
	if fi, err := os.Stat(e.credsPath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credential file mode %v", fi.Mode())
	}
}

// With no Secret Service at all, adopting fails clearly, stores nothing and
// starts no bus.
func TestAdoptWithoutSecretService(t *testing.T) {
	nb := testbus.NewNoBus(t)
	nb.Setenv(t)
	e := newEnv(t, nil, nb.Vars()...)
	ca, err := e.sim.AddAccount(sim.AccountSpec{Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	e.login(ca)
	credsBefore, cfgBefore := e.files()
	stdout, stderr, code := e.run(context.Background(), "add", "--adopt-current", "--label", "work")
	if code == 0 || !strings.Contains(stderr, "Secret Service") || stdout != "" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	if c, g := e.files(); c != credsBefore || g != cfgBefore {
		t.Fatal("Claude Code's files changed")
	}
	if out := e.mustRun("list", "--json"); !strings.Contains(out, `"accounts": []`) {
		t.Fatalf("an account was saved: %s", out)
	}
	if n := e.sim.Log().Total; n != 0 {
		t.Errorf("%d requests reached the simulator before the keyring was checked", n)
	}
	e.mu.Lock()
	printed := e.printed.String()
	e.mu.Unlock()
	e.scanForTokens(e.home, []string{e.credsPath()}, printed, map[string]bool{ca.AccessToken: true, ca.RefreshToken: true})
	if spawned := nb.Spawned(t); len(spawned) > 0 {
		t.Fatalf("processes started without a bus: %v", spawned)
	}
}

func expireStash(t *testing.T, e *env, kr keyring.Keyring, c sim.Credentials) {
	t.Helper()
	ctx := context.Background()
	svc := keyring.StashService(c.Identity.AccountUUID)
	blob, err := kr.Get(ctx, svc, "tester")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := claudecode.ParseCredentials(blob)
	if err != nil {
		t.Fatal(err)
	}
	next, err := claudecode.WithTokens(blob, cur.AccessToken, cur.RefreshToken, time.Now().Add(-time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.Set(ctx, svc, "tester", "", next); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.ExpireAccessTokens(c.Identity.AccountUUID); err != nil {
		t.Fatal(err)
	}
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

func tokenCalls(s *sim.Server, acct string) (ok, failed int) {
	for _, r := range s.Log().Requests {
		if r.Endpoint == sim.EndpointToken && r.Account == acct {
			if r.Status == 200 {
				ok++
			} else {
				failed++
			}
		}
	}
	return ok, failed
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func waitFor(t *testing.T, b *lockedBuffer, text string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute) // a guard against a hang, not a budget
	for !strings.Contains(b.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("never printed %q; got %q", text, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
