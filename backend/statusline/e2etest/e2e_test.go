//go:build unix

package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
	"github.com/aimonitor/aimonitor/internal/claudetest"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// asCLI makes this test binary act as aimonitor when Claude Code runs it
// as its status line command (statusline --install names os.Executable()).
const asCLI = "AIMONITOR_E2E_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		os.Exit(cli.Run(context.Background(), os.Args[1:], cli.Deps{}))
	}
	os.Exit(m.Run())
}

// messages is a stand-in for the Messages API: every request gets one text
// block, streamed when asked, numbered so the pane tells which one it shows.
type messages struct {
	mu   sync.Mutex
	seen []request
}

// request is what the stand-in noted of one model request.
type request struct {
	n      int    // the answer's number
	token  string // its bearer token
	prompt string // the text of its last user message
}

// answerTo waits until the pane shows the answer to a request whose last
// user message is prompt (Claude Code also asks for titles and suggestions,
// whose answers may show elsewhere or not at all) and returns that request.
func (m *messages) answerTo(w *world, prompt string, timeout time.Duration) request {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p := w.pane()
		m.mu.Lock()
		seen := append([]request(nil), m.seen...)
		m.mu.Unlock()
		for _, r := range seen {
			if r.prompt == prompt && strings.Contains(p, fmt.Sprintf("Answer number %d from the stand-in.", r.n)) {
				return r
			}
		}
		if time.Now().After(deadline) {
			var asked []string // numbers and prompts, never tokens
			for _, r := range seen {
				asked = append(asked, fmt.Sprintf("%d: %q", r.n, r.prompt))
			}
			w.t.Fatalf("after %v the pane shows no answer to %q; the stand-in was asked %s:\n%s", timeout, prompt, strings.Join(asked, ", "), p)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lastUserText is the text of the last user message of a Messages request.
func lastUserText(body []byte) string {
	var req struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if json.Unmarshal(body, &req) != nil {
		return ""
	}
	for i := len(req.Messages) - 1; i >= 0; i-- {
		msg := req.Messages[i]
		if msg.Role != "user" {
			continue
		}
		var text string
		if json.Unmarshal(msg.Content, &text) == nil {
			return strings.TrimSpace(text)
		}
		var blocks []struct {
			Type, Text string
		}
		_ = json.Unmarshal(msg.Content, &blocks)
		var parts []string
		for _, b := range blocks {
			if b.Type == "text" && !strings.HasPrefix(b.Text, "<system-reminder>") {
				parts = append(parts, strings.TrimSpace(b.Text))
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

func (m *messages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Stream bool   `json:"stream"`
		Model  string `json:"model"`
	}
	_ = json.Unmarshal(body, &req)
	m.mu.Lock()
	n := len(m.seen) + 1
	m.seen = append(m.seen, request{n: n, token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), prompt: lastUserText(body)})
	m.mu.Unlock()
	text := fmt.Sprintf("Answer number %d from the stand-in.", n)
	msg := map[string]any{"id": fmt.Sprintf("msg_%d", n), "type": "message", "role": "assistant", "model": req.Model,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": map[string]int{"input_tokens": 10, "output_tokens": 1}}
	if !req.Stream {
		msg["content"] = []any{map[string]string{"type": "text", "text": text}}
		msg["stop_reason"] = "end_turn"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(msg)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(event string, data any) {
		b, _ := json.Marshal(data)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	}
	send("message_start", map[string]any{"type": "message_start", "message": msg})
	send("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]string{"type": "text", "text": ""}})
	send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]string{"type": "text_delta", "text": text}})
	send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	send("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 8}})
	send("message_stop", map[string]any{"type": "message_stop"})
}

type world struct {
	t       *testing.T
	home    string
	project string
	environ []string
	sim     *sim.Server
	tmux    []string // tmux -S <socket>
	bin     string   // the aimonitor launcher to run; "" for cli.Run in-process
}

func (w *world) aimonitor(args ...string) string {
	w.t.Helper()
	var out, errb bytes.Buffer
	var code int
	if w.bin != "" {
		cmd := exec.Command(w.bin, args...)
		cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = w.environ, strings.NewReader(""), &out, &errb
		if err := cmd.Run(); err != nil {
			code = -1
			if cmd.ProcessState != nil {
				code = cmd.ProcessState.ExitCode()
			}
		}
	} else {
		code = cli.Run(context.Background(), args, cli.Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: w.environ})
	}
	if code != 0 {
		w.t.Fatalf("aimonitor %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String()
}

// login plays Claude Code's /login, with the first-run screens already seen
// and the project trusted, so the session opens straight at its prompt.
func (w *world) login(c sim.Credentials) {
	w.t.Helper()
	dir := filepath.Join(w.home, ".claude")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".credentials.json"), c.ClaudeCodeJSON(), 0o600); err != nil {
		w.t.Fatal(err)
	}
	cfg := map[string]any{
		"numStartups": 3, "hasCompletedOnboarding": true, "lastOnboardingVersion": "2.1.197", "theme": "dark",
		"bypassPermissionsModeAccepted": true, "hasSeenTasksHint": true, "autoUpdates": false,
		"projects":     map[string]any{w.project: map[string]any{"hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true, "allowedTools": []string{}}},
		"oauthAccount": json.RawMessage(c.OAuthAccountJSON()),
	}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(w.home, ".claude.json"), data, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// liveToken is the access token in Claude Code's credential file now.
func (w *world) liveToken() string {
	w.t.Helper()
	data, err := os.ReadFile(filepath.Join(w.home, ".claude", ".credentials.json"))
	if err != nil {
		w.t.Fatal(err)
	}
	var f struct {
		OAuth struct {
			AccessToken string `json:"accessToken"`
		} `json:"claudeAiOauth"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		w.t.Fatal(err)
	}
	return f.OAuth.AccessToken
}

func (w *world) pane() string {
	out, _ := exec.Command(w.tmux[0], append(w.tmux[1:], "capture-pane", "-p", "-t", "cc")...).CombinedOutput()
	return string(out)
}

func (w *world) keys(keys ...string) {
	w.t.Helper()
	if out, err := exec.Command(w.tmux[0], append(append(w.tmux[1:], "send-keys", "-t", "cc"), keys...)...).CombinedOutput(); err != nil {
		w.t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
}

// ask types a prompt and submits it. Enter goes on its own once the text
// shows: older releases (2.1.40 for one) take keys that arrive together as a
// paste, so an Enter sent with the text would only start a new line.
func (w *world) ask(text string) {
	w.t.Helper()
	w.keys("-l", text)
	w.waitPane(text, 30*time.Second)
	w.keys("Enter")
}

// waitPane waits until the pane shows want, failing with the pane.
func (w *world) waitPane(want string, timeout time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p := w.pane()
		if strings.Contains(p, want) {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("after %v the pane does not show %q:\n%s", timeout, want, p)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestStatusLineInTheRealClaudeCode(t *testing.T) {
	claude := claudetest.Bin(t)
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv(claudetest.RequireEnv) != "" {
			t.Fatal("tmux is not installed (make setup installs it)")
		}
		t.Skip("tmux is not installed (make setup installs it)")
	}
	bus := testbus.NewKeyring(t)
	// The command Claude Code runs: this test binary as the CLI, or with
	// AIMONITOR_BIN (make test-static) the built launcher, which answers
	// the line from the cache itself and execs aimonitor-core beside it
	// for the rest.
	w := &world{t: t, home: t.TempDir(), project: t.TempDir()}
	self, err := os.Executable()
	if bin := os.Getenv("AIMONITOR_BIN"); bin != "" {
		self, err = filepath.Abs(bin)
		w.bin = self
	}
	if err != nil {
		t.Fatal(err)
	}
	w.sim = sim.New(clock.Real{})
	mux := http.NewServeMux()
	msgs := &messages{}
	mux.Handle("POST /v1/messages", msgs)
	mux.HandleFunc("POST /v1/messages/count_tokens", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, `{"input_tokens":10}`)
	})
	mux.Handle("/", w.sim)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { w.sim.Close(); srv.Close() })
	w.environ = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + w.home, "USER=tester", "LANG=C.UTF-8", "TERM=xterm-256color",
		"NO_COLOR=1", // plain text in the pane
		"AIMONITOR_API_BASE=" + srv.URL, "AIMONITOR_TOKEN_URL=" + srv.URL + sim.TokenPath,
		"ANTHROPIC_BASE_URL=" + srv.URL,
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_TELEMETRY=1", "DISABLE_AUTOUPDATER=1", "DISABLE_ERROR_REPORTING=1",
		asCLI + "=1",
	}, bus.Vars()...)

	ca, err := w.sim.AddAccount(sim.AccountSpec{Email: "alice@work.example", OrganizationName: "Work Inc"})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := w.sim.AddAccount(sim.AccountSpec{Email: "alice@home.example", OrganizationName: "Alice Personal", SubscriptionType: "pro"})
	if err != nil {
		t.Fatal(err)
	}
	w.login(cb)
	w.aimonitor("add", "--adopt-current", "--label", "personal")
	w.login(ca)
	w.aimonitor("add", "--adopt-current", "--label", "work")
	w.aimonitor("refresh", "--all")
	out := w.aimonitor("statusline", "--install")
	if !strings.Contains(out, self+" statusline") {
		t.Fatalf("install printed %q", out)
	}

	// tmux on its own socket, its server started with exactly our
	// environment, so Claude Code and the status line see nothing else.
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	w.tmux = []string{tmux, "-S", sock, "-f", "/dev/null"}
	start := exec.Command(tmux, append(w.tmux[1:], "new-session", "-d", "-s", "cc", "-x", "160", "-y", "40", "-c", w.project, claude)...)
	start.Env = w.environ
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	pidText, err := exec.Command(tmux, append(w.tmux[1:], "display-message", "-p", "-t", "cc", "#{pane_pid}")...).Output()
	if err != nil {
		t.Fatalf("tmux display-message: %v", err)
	}
	var pid int
	fmt.Sscan(string(pidText), &pid)
	t.Cleanup(func() {
		// Claude Code writes into HOME while it exits: wait for it before
		// the temporary directories go.
		_ = exec.Command(tmux, append(w.tmux[1:], "kill-server")...).Run()
		for end := time.Now().Add(15 * time.Second); pid > 0 && time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if syscall.Kill(pid, 0) != nil {
				return
			}
		}
		if pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			time.Sleep(500 * time.Millisecond)
		}
	})

	// The line names the account Claude Code uses and its windows.
	w.waitPane("work · 5h ", 60*time.Second)
	// Core wrote the cache the launcher answers the next refreshes from.
	if _, err := os.Stat(filepath.Join(w.home, ".local", "share", "aimonitor", line.CacheName)); err != nil {
		t.Errorf("no status line cache: %v", err)
	}
	w.ask("Say hello")
	first := msgs.answerTo(w, "Say hello", 60*time.Second)
	w.waitPane("work · 5h ", 10*time.Second)
	if first.token == "" || first.token != w.liveToken() {
		t.Fatalf("the session asked with another login than Claude Code's own")
	}

	// Switch; the running session follows: its next request carries the
	// new account's login, and the next refresh of the line names it.
	w.aimonitor("switch", "personal")
	w.ask("Again please")
	second := msgs.answerTo(w, "Again please", 60*time.Second)
	if second.token == first.token || second.token != w.liveToken() {
		t.Errorf("after the switch the live session still asks as the old account")
	}
	w.waitPane("personal · 5h ", 60*time.Second)
	if p := w.pane(); strings.Contains(p, "work · 5h ") {
		t.Errorf("the pane still shows the old account:\n%s", p)
	}
	t.Logf("pane after the switch:\n%s", w.pane())

	out = w.aimonitor("statusline", "--uninstall")
	if !strings.Contains(out, "no longer runs aimonitor") {
		t.Fatalf("uninstall printed %q", out)
	}
}
