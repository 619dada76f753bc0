//go:build darwin

package notify

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/programs"
)

// Options configure a platform Sender.
type Options struct {
	// The D-Bus fields are unused on macOS; they exist so callers build
	// Options the same way everywhere.
	BusAddress  string
	Getenv      func(string) string
	CallTimeout time.Duration
	RetryAfter  time.Duration
	Log         *slog.Logger
	Now         func() time.Time
}

// OSAScript shows notifications through `osascript -e 'display
// notification …'`. It is best effort: macOS attributes them to Script
// Editor, cannot replace or set urgency, and shows nothing if the user has
// muted that app.
type OSAScript struct {
	opts   Options
	mu     sync.Mutex
	warned bool
}

// NewPlatform returns the Sender for this system: osascript on macOS.
func NewPlatform(o Options) Sender {
	if o.CallTimeout <= 0 {
		o.CallTimeout = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = logging.Discard()
	}
	return &OSAScript{opts: o}
}

func (s *OSAScript) Send(ctx context.Context, m Message) (uint32, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	script := "display notification " + appleString(m.Body) + " with title " + appleString(AppName) + " subtitle " + appleString(m.Summary)
	cmd := exec.CommandContext(ctx, "osascript", "-e", script)
	cmd.Env = programs.ForeignEnv(os.Environ())
	if err := cmd.Run(); err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.warned {
			s.warned = true
			s.opts.Log.Info("notify: osascript could not show a notification", "err", err)
		}
		return 0, fmt.Errorf("notify: %w (osascript failed)", ErrUnavailable)
	}
	return 0, nil
}

// appleString quotes s as an AppleScript string literal.
func appleString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
