// Package notify shows desktop notifications and decides which ones are
// worth showing. A Sender delivers one message: org.freedesktop.Notifications
// over D-Bus on Linux (never starting a bus of its own), a best-effort
// `osascript` "display notification" on macOS. An Engine turns the app's
// state into notices — usage warnings when auto-swap is off, swap
// pending/done/no candidate, re-login needed, a daily summary — and
// remembers in the database which it has sent, so each fires once per
// crossing, not on every poll, and not again after a restart.
package notify

import (
	"context"
	"errors"
)

// Urgency is the freedesktop urgency level.
type Urgency byte

const (
	Low      Urgency = 0
	Normal   Urgency = 1
	Critical Urgency = 2
)

func (u Urgency) String() string {
	switch u {
	case Low:
		return "low"
	case Critical:
		return "critical"
	}
	return "normal"
}

// AppName is the application name notifications carry.
const AppName = "aimonitor"

// Message is one notification.
type Message struct {
	Summary string
	Body    string
	Urgency Urgency
	// Replaces is the id of an earlier notification this one updates (0:
	// a new one). Senders that cannot replace show a new one.
	Replaces uint32
}

// Sender delivers messages and returns the id the desktop gave the
// notification (0 when it has no ids).
type Sender interface {
	Send(ctx context.Context, m Message) (uint32, error)
}

// ErrUnavailable means there is nowhere to show notifications (no session
// bus, no notification server, an unsupported system).
var ErrUnavailable = errors.New("desktop notifications are not available")

// Discard is a Sender that drops everything.
type Discard struct{}

func (Discard) Send(context.Context, Message) (uint32, error) { return 0, nil }
