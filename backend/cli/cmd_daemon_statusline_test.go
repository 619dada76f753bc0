//go:build linux

package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
)

// `aimonitor daemon` keeps the status line's cache current: once it has
// written the status row (which gives the database a new stamp, so the
// entry `aimonitor statusline` kept no longer matches), the launcher's
// fast path still answers, with the daemon's figures.
func TestDaemonKeepsTheStatusLineCacheCurrent(t *testing.T) {
	w := newWorld(t)
	w.add("work", sim.AccountSpec{Email: "me@work.example", Windows: map[string]sim.WindowSpec{
		sim.FiveHour: {Utilization: 37, ResetsIn: 3 * time.Hour},
	}})
	w.must("statusline") // Claude Code ran a line: there is a cache to keep
	s := w.startDaemon() // returns after the daemon's first tick, which publishes
	env := func(key string) (string, bool) {
		v := lookup(w.environ, key)
		return v, v != ""
	}
	s.until(time.Minute, "a status line answered from the cache with the daemon's figures", func() bool {
		got, hit := line.FromCache([]string{"--no-color"}, env, "linux", w.clk.Now(), strings.NewReader(""))
		return hit && strings.HasPrefix(got, "work · 5h 37%")
	})
}
