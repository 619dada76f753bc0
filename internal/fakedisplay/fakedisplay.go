// Package fakedisplay gives tests a display server's socket that accepts
// connections and closes them: enough for code that only asks whether a
// display is there, never for drawing.
package fakedisplay

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// Listen serves connections on network/addr, closing each at once, until
// the test ends.
func Listen(t testing.TB, network, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l
}

// Wayland starts a Wayland socket and returns the environment of a session
// that uses it (WAYLAND_DISPLAY, XDG_RUNTIME_DIR).
func Wayland(t testing.TB) []string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wl") // short: socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	Listen(t, "unix", filepath.Join(dir, "wayland-0"))
	return []string{"WAYLAND_DISPLAY=wayland-0", "XDG_RUNTIME_DIR=" + dir}
}
