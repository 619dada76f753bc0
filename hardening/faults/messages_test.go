package faults

import (
	"strings"
	"testing"
)

// internals are what a user must never have to read: tokens, Go's own
// formatting of values, stacks.
var internals = []struct{ what, needle string }{
	{"a token", "sk-ant-"},
	{"a bearer header", "Bearer "},
	{"a Go pointer", " 0x"},
	{"a struct dump", "&{"},
	{"a nil value", "<nil>"},
	{"a formatting error", "%!"},
	{"a stack trace", "goroutine "},
	{"a panic", "panic:"},
	{"a Go type name", "*url.Error"},
	{"a Go type name", "*net.OpError"},
	// Go's net/http wording for a request that got no answer: the request
	// line (with its URL) and the dialer's error. egress words these.
	{"Go's request line", `Get "`},
	{"Go's request line", `Post "`},
	{"Go's dialer wording", "dial tcp"},
	{"Go's context wording", "context deadline exceeded"},
}

// checkMessage fails when a message shown to a user is not one clean line.
func checkMessage(t *testing.T, msg string) {
	t.Helper()
	msg = strings.TrimRight(msg, "\n")
	if msg == "" {
		t.Error("an empty message")
		return
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("a message over several lines:\n%s", msg)
	}
	for _, in := range internals {
		if strings.Contains(msg, in.needle) {
			t.Errorf("a message shows %s: %s", in.what, msg)
		}
	}
	if len(msg) > 700 {
		t.Errorf("a message of %d characters: %s", len(msg), msg)
	}
}
