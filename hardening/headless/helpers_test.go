//go:build linux

package headless

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/hardening/internal/world"
	"github.com/aimonitor/aimonitor/hardening/leak"
	"github.com/aimonitor/aimonitor/internal/claudetest"
	"github.com/aimonitor/aimonitor/internal/ptytest"
)

// BinaryEnv names the aimonitor program to test; empty: this test binary.
const BinaryEnv = "AIMONITOR_TEST_BINARY"

const passphrase = "server passphrase 42"

// slowUnderRace skips a test whose every aimonitor process derives the file
// keyring's key from the passphrase (Argon2id, 64 MiB) when the processes are
// this race-instrumented test binary: that is several times slower, and
// `make test-e2e` runs these tests against the built binary anyway.
func slowUnderRace(t *testing.T) {
	t.Helper()
	if raceEnabled && os.Getenv(BinaryEnv) == "" {
		t.Skip("under -race this runs in make test-e2e instead, against the built binary (" + BinaryEnv + ")")
	}
}

// machine is one headless world plus the way its commands are run.
type machine struct {
	t      *testing.T
	w      *world.World
	claude string
	extra  []string // variables for every command (the passphrase source)
}

func newMachine(t *testing.T, o world.Options) *machine {
	t.Helper()
	o.Binary = os.Getenv(BinaryEnv)
	o.Env = append(o.Env, "AIMONITOR_AUTO_SWAP_GRACE_SEC=0")
	m := &machine{t: t, w: world.New(t, o), claude: claudetest.Bin(t)}
	for _, kv := range m.w.Environ {
		k, _, _ := strings.Cut(kv, "=")
		if k == "DISPLAY" || k == "WAYLAND_DISPLAY" || (k == "DBUS_SESSION_BUS_ADDRESS" && o.Headless) {
			t.Fatalf("the headless sandbox has %s", kv)
		}
	}
	return m
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs one aimonitor process with no terminal (stdin is empty).
func (m *machine) run(args ...string) result {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := m.w.Command(ctx, args...)
	cmd.Env = append(cmd.Env, m.extra...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		m.t.Fatal(err)
	}
	m.w.Record(args, out.String(), errOut.String())
	return result{out.String(), errOut.String(), code}
}

func (m *machine) must(args ...string) string {
	m.t.Helper()
	r := m.run(args...)
	if r.code != 0 {
		m.t.Fatalf("aimonitor %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs a command that must fail with one line naming every word.
func (m *machine) fails(words []string, args ...string) result {
	m.t.Helper()
	r := m.run(args...)
	if r.code == 0 {
		m.t.Fatalf("aimonitor %s succeeded; want an error\n%s", strings.Join(args, " "), r.stdout)
	}
	line := strings.TrimSpace(r.stderr)
	if strings.Count(line, "\n") > 0 {
		m.t.Fatalf("aimonitor %s: the error is not one line:\n%s", strings.Join(args, " "), r.stderr)
	}
	for _, w := range words {
		if !strings.Contains(line, w) {
			m.t.Fatalf("aimonitor %s: the error does not say %q:\n%s", strings.Join(args, " "), w, line)
		}
	}
	return r
}

// start runs a long-lived aimonitor process (the daemon, a capture).
func (m *machine) start(args ...string) (*exec.Cmd, *syncBuffer) {
	m.t.Helper()
	cmd := m.w.Command(context.Background(), args...)
	cmd.Env = append(cmd.Env, m.extra...)
	var out, errOut syncBuffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), &out, &errOut
	if err := cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, &errOut
}

// email asks the real Claude Code who is logged in.
func (m *machine) email() string {
	m.t.Helper()
	return m.w.ClaudeStatus(m.claude).Email
}

// checkNoLeaks scans HOME (config, database, logs, the store file), every
// command's output and extra text for any token the simulator issued, and
// for the keyring passphrase; and aimonitor's files for loose modes.
func (m *machine) checkNoLeaks(extra ...string) {
	m.t.Helper()
	s := m.w.Scanner()
	s.Secret("the keyring passphrase", []byte(passphrase))
	found, files, err := s.ScanTree(m.w.Home)
	if err != nil {
		m.t.Fatal(err)
	}
	found = append(found, s.ScanText("the commands' output", []byte(m.w.Printed()))...)
	for i, e := range extra {
		found = append(found, s.ScanText(fmt.Sprintf("captured output #%d", i+1), []byte(e))...)
	}
	found = append(found, m.w.CheckModes()...)
	if r := leak.Report(found); r != "" {
		m.t.Fatalf("secret exposure (%d secrets looked for in %d files):\n%s", s.Secrets(), files, r)
	}
	m.t.Logf("leak scan: %d secrets, %d files, clean", s.Secrets(), files)
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

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitUntil polls cond until it holds or limit passes.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// runOnTerminal runs one aimonitor command with the terminal as stdin and
// stderr, typing the answers given (prompt -> line, in order).
func (m *machine) runOnTerminal(answers [][2]string, args ...string) (string, string) {
	m.t.Helper()
	tm := ptytest.New(m.t)
	cmd := m.w.Command(context.Background(), args...)
	cmd.Env = append(cmd.Env, m.extra...)
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tm.TTY, &out, tm.TTY
	if err := cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	seen := map[string]int{}
	for _, a := range answers {
		seen[a[0]]++
		tm.AnswerSecret(a[0], seen[a[0]], a[1], 60*time.Second)
	}
	err := cmd.Wait()
	time.Sleep(100 * time.Millisecond) // let the reader catch up with the screen
	screen := tm.Shown()
	m.w.Record(args, out.String(), screen)
	if err != nil {
		m.t.Fatalf("aimonitor %s on a terminal: %v\n%s%s", strings.Join(args, " "), err, out.String(), screen)
	}
	return out.String(), screen
}
