//go:build linux

package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/internal/ptytest"
)

// terminal runs commands in-process on a pseudo-terminal.
type terminal struct{ *ptytest.Terminal }

func newTerminal(t *testing.T) terminal { return terminal{ptytest.New(t)} }

func (tm terminal) run(env []string, args ...string) (<-chan result, *bytes.Buffer) {
	done := make(chan result, 1)
	var out bytes.Buffer
	go func() {
		code := Run(context.Background(), args, Deps{Stdin: tm.TTY, Stdout: &out, Stderr: tm.TTY, Environ: env})
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
	tm.AnswerSecret("Passphrase for the logins", 1, secret, 10*time.Second)
	tm.AnswerSecret("The same passphrase again", 1, secret+"!", 10*time.Second)
	if r := <-done; r.code != 1 || !tm.WaitFor("the two passphrases differ", 5*time.Second) {
		t.Fatalf("mismatch: exit %d, screen %q", r.code, tm.Shown())
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("a file was written after a mismatch")
	}

	done, out := tm.run(m.env, "config", "export", "--out", file, "--include-tokens")
	tm.AnswerSecret("Passphrase for the logins", 2, secret, 10*time.Second)
	tm.AnswerSecret("The same passphrase again", 2, secret, 10*time.Second)
	if r := <-done; r.code != 0 || !strings.Contains(out.String(), "1 login (encrypted)") {
		t.Fatalf("export: exit %d, screen %q", r.code, tm.Shown())
	}

	b := newMachine(t, srv.URL)
	done, out = tm.run(b.env, "config", "import", file)
	tm.AnswerSecret("Passphrase for the logins", 3, secret, 10*time.Second)
	// On a terminal the import lists what it will change and asks.
	tm.Answer("Apply these changes? Type yes to continue:", 1, "yes", 10*time.Second)
	if r := <-done; r.code != 0 || !strings.Contains(out.String(), `account "work" (alice@work.example): added`) {
		t.Fatalf("import: exit %d, out %q, screen %q", r.code, out.String(), tm.Shown())
	}
	if strings.Contains(tm.Shown(), "typed passphrase") {
		t.Fatalf("the passphrase was echoed: %q", tm.Shown())
	}
}
