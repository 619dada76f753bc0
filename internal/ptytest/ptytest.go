//go:build linux || darwin

// Package ptytest gives tests a pseudo-terminal to run a command on: the
// command gets the terminal's tty as stdin and stderr, the test reads what
// the screen shows and types answers — the only way to test a no-echo
// passphrase prompt as a user meets it.
package ptytest

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Terminal is one pseudo-terminal. TTY is the side a command uses.
type Terminal struct {
	TTY *os.File

	t      testing.TB
	master *os.File
	mu     sync.Mutex
	screen bytes.Buffer
}

// New opens a pseudo-terminal, closed when the test ends, or skips the
// test where the system has none.
func New(t testing.TB) *Terminal {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	tm := &Terminal{TTY: tty, t: t, master: master}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			tm.mu.Lock()
			tm.screen.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); master.Close() })
	return tm
}

// Shown is everything the screen has shown so far.
func (tm *Terminal) Shown() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.screen.String()
}

// WaitFor waits up to limit until the screen shows text (the reader may lag
// the command by a moment) and reports whether it did.
func (tm *Terminal) WaitFor(text string, limit time.Duration) bool {
	for deadline := time.Now().Add(limit); ; time.Sleep(5 * time.Millisecond) {
		if strings.Contains(tm.Shown(), text) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// Answer types line once the screen has shown prompt count times in all.
func (tm *Terminal) Answer(prompt string, count int, line string, limit time.Duration) {
	tm.t.Helper()
	tm.await(fmt.Sprintf("%q", prompt), limit, func() bool { return strings.Count(tm.Shown(), prompt) >= count })
	tm.Type(line)
}

// AnswerSecret is Answer for a prompt that must turn echo off first: it
// types only once the terminal no longer echoes, so a prompt that forgot to
// hide the passphrase fails the test instead of showing it.
func (tm *Terminal) AnswerSecret(prompt string, count int, line string, limit time.Duration) {
	tm.t.Helper()
	tm.await(fmt.Sprintf("%q with echo off", prompt), limit, func() bool {
		if strings.Count(tm.Shown(), prompt) < count {
			return false
		}
		return !tm.echoes()
	})
	tm.Type(line)
}

// Type types line and Enter.
func (tm *Terminal) Type(line string) {
	tm.t.Helper()
	if _, err := tm.master.Write([]byte(line + "\n")); err != nil {
		tm.t.Fatal(err)
	}
}

func (tm *Terminal) echoes() bool {
	tio, err := unix.IoctlGetTermios(int(tm.TTY.Fd()), ioctlGetTermios)
	return err != nil || tio.Lflag&unix.ECHO != 0
}

func (tm *Terminal) await(what string, limit time.Duration, cond func() bool) {
	tm.t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			tm.t.Fatalf("no %s within %s; the screen shows %q", what, limit, tm.Shown())
		}
	}
}
