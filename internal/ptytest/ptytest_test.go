//go:build linux || darwin

package ptytest

import (
	"bufio"
	"fmt"
	"testing"
	"time"

	"golang.org/x/term"
)

// A prompt that turns echo off gets its answer, and the answer never
// shows on the screen.
func TestAnswerSecretWaitsForEchoOff(t *testing.T) {
	tm := New(t)
	if !tm.echoes() {
		t.Fatal("a new terminal does not echo")
	}
	got := make(chan string, 1)
	go func() {
		fmt.Fprint(tm.TTY, "Secret: ")
		b, err := term.ReadPassword(int(tm.TTY.Fd()))
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- string(b)
	}()
	tm.AnswerSecret("Secret: ", 1, "hunter2", 10*time.Second)
	if s := <-got; s != "hunter2" {
		t.Fatalf("read %q", s)
	}
	if tm.WaitFor("hunter2", 200*time.Millisecond) {
		t.Fatalf("the secret was echoed: %q", tm.Shown())
	}
}

// A plain prompt gets its answer, echoed as a terminal does.
func TestAnswerEchoes(t *testing.T) {
	tm := New(t)
	got := make(chan string, 1)
	go func() {
		fmt.Fprint(tm.TTY, "Name? ")
		line, _ := bufio.NewReader(tm.TTY).ReadString('\n')
		got <- line
	}()
	tm.Answer("Name? ", 1, "alice", 10*time.Second)
	if s := <-got; s != "alice\n" {
		t.Fatalf("read %q", s)
	}
	if !tm.WaitFor("alice", 5*time.Second) {
		t.Fatalf("no echo: %q", tm.Shown())
	}
}
