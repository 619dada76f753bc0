//go:build !unix

package notify

import (
	"context"
	"log/slog"
	"time"
)

// Options configure a platform Sender (unused here).
type Options struct {
	BusAddress  string
	Getenv      func(string) string
	CallTimeout time.Duration
	RetryAfter  time.Duration
	Log         *slog.Logger
	Now         func() time.Time
}

type unsupported struct{}

// NewPlatform returns a Sender that always reports ErrUnavailable.
func NewPlatform(Options) Sender { return unsupported{} }

func (unsupported) Send(context.Context, Message) (uint32, error) { return 0, ErrUnavailable }
