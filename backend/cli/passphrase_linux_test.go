//go:build linux

package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
)

// terminal is a pseudo-terminal: the command gets the slave as stdin and
// stderr, the test types on the master and reads what the screen shows.
type terminal struct {
	t      *testing.T
	master *os.File
	slave  *os.File
	mu     sync.Mutex
	screen bytes.Buffer
}

func newTerminal(t *testing.T) *terminal {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Skipf("cannot open the pseudo-terminal: %v", err)
	}
	term := &terminal{t: t, master: master, slave: slave}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			term.mu.Lock()
			term.screen.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { slave.Close(); master.Close() })
	return term
}

func (tm *terminal) shown() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.screen.String()
}

// typeAfter waits until the screen shows prompt (count times in all) and
// the terminal has echo off, then types line.
// answer types line once prompt has been shown count times (echo on).
func (tm *terminal) answer(prompt string, count int, line string) {
	tm.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); strings.Count(tm.shown(), prompt) < count; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			tm.t.Fatalf("no %q; the screen shows %q", prompt, tm.shown())
		}
	}
	if _, err := tm.master.Write([]byte(line + "\n")); err != nil {
		tm.t.Fatal(err)
	}
}

func (tm *terminal) typeAfter(prompt string, count int, line string) {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if strings.Count(tm.shown(), prompt) >= count {
			tio, err := unix.IoctlGetTermios(int(tm.slave.Fd()), unix.TCGETS)
			if err == nil && tio.Lflag&unix.ECHO == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("no %q with echo off; the screen shows %q", prompt, tm.shown())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := tm.master.Write([]byte(line + "\n")); err != nil {
		tm.t.Fatal(err)
	}
}

// waitFor waits until the screen shows text (the reader may lag the
// command by a moment).
func (tm *terminal) waitFor(text string) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if strings.Contains(tm.shown(), text) {
			return true
		}
	}
	return false
}

func (tm *terminal) run(env []string, args ...string) (<-chan result, *bytes.Buffer) {
	done := make(chan result, 1)
	var out bytes.Buffer
	go func() {
		code := Run(context.Background(), args, Deps{Stdin: tm.slave, Stdout: &out, Stderr: tm.slave, Environ: env})
		done <- result{code: code}
	}()
	return done, &out
}

// Without AIMONITOR_PASSPHRASE the passphrase is asked on the terminal
// without echo: twice on export (and a mismatch writes nothing), once on
// import.
func TestPassphrasePrompt(t *testing.T) {
	s := sim.New(clock.Real{})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	work, err := s.AddAccount(sim.AccountSpec{Email: "alice@work.example"})
	if err != nil {
		t.Fatal(err)
	}
	m := newMachine(t, srv.URL)
	m.adopt(work, "work")
	file := filepath.Join(t.TempDir(), "backup.json")
	const secret = "typed passphrase 123"

	tm := newTerminal(t)
	done, _ := tm.run(m.env, "config", "export", "--out", file, "--include-tokens")
	tm.typeAfter("Passphrase for the logins", 1, secret)
	tm.typeAfter("The same passphrase again", 1, secret+"!")
	if r := <-done; r.code != 1 || !tm.waitFor("the two passphrases differ") {
		t.Fatalf("mismatch: exit %d, screen %q", r.code, tm.shown())
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("a file was written after a mismatch")
	}

	done, out := tm.run(m.env, "config", "export", "--out", file, "--include-tokens")
	tm.typeAfter("Passphrase for the logins", 2, secret)
	tm.typeAfter("The same passphrase again", 2, secret)
	if r := <-done; r.code != 0 || !strings.Contains(out.String(), "1 login (encrypted)") {
		t.Fatalf("export: exit %d, screen %q", r.code, tm.shown())
	}

	b := newMachine(t, srv.URL)
	done, out = tm.run(b.env, "config", "import", file)
	tm.typeAfter("Passphrase for the logins", 3, secret)
	// On a terminal the import lists what it will change and asks.
	tm.answer("Apply these changes? Type yes to continue:", 1, "yes")
	if r := <-done; r.code != 0 || !strings.Contains(out.String(), `account "work" (alice@work.example): added`) {
		t.Fatalf("import: exit %d, out %q, screen %q", r.code, out.String(), tm.shown())
	}
	if strings.Contains(tm.shown(), "typed passphrase") {
		t.Fatalf("the passphrase was echoed: %q", tm.shown())
	}
}
