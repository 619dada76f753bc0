package display

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/internal/fakedisplay"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// A short socket directory: unix socket paths are limited to ~100 bytes.
func sockDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "disp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestCheck(t *testing.T) {
	dir := sockDir(t)
	fakedisplay.Listen(t, "unix", filepath.Join(dir, "X7"))
	fakedisplay.Listen(t, "unix", filepath.Join(dir, "wayland-1"))
	tcp := fakedisplay.Listen(t, "tcp", "127.0.0.1:0")
	port := tcp.Addr().(*net.TCPAddr).Port
	if port <= 6000 {
		t.Skipf("ephemeral port %d is below X's range", port)
	}
	tcpDisplay := "127.0.0.1:" + strconv.Itoa(port-6000) + ".0"

	cases := []struct {
		name   string
		getenv func(string) string
		want   string // "" = available; else a word the error must hold
	}{
		{"nothing set", env(), "neither DISPLAY nor WAYLAND_DISPLAY"},
		{"local X socket", env("DISPLAY", ":7"), ""},
		{"local X socket with screen", env("DISPLAY", "unix:7.0"), ""},
		{"X over TCP", env("DISPLAY", tcpDisplay), ""},
		{"X server gone", env("DISPLAY", ":8"), "no X server answers on DISPLAY=:8"},
		{"DISPLAY nonsense", env("DISPLAY", "nonsense"), "not of the form"},
		{"DISPLAY without number", env("DISPLAY", ":x"), "display number"},
		{"Wayland socket", env("WAYLAND_DISPLAY", "wayland-1", "XDG_RUNTIME_DIR", dir), ""},
		{"Wayland absolute", env("WAYLAND_DISPLAY", filepath.Join(dir, "wayland-1")), ""},
		{"Wayland gone", env("WAYLAND_DISPLAY", "wayland-0", "XDG_RUNTIME_DIR", dir), "no Wayland compositor"},
		{"Wayland without runtime dir", env("WAYLAND_DISPLAY", "wayland-1"), "XDG_RUNTIME_DIR is not set"},
		{"Wayland gone, X there", env("WAYLAND_DISPLAY", "wayland-0", "XDG_RUNTIME_DIR", dir, "DISPLAY", ":7"), ""},
		{"both gone", env("WAYLAND_DISPLAY", "wayland-0", "XDG_RUNTIME_DIR", dir, "DISPLAY", ":8"), "no Wayland compositor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Checker{Getenv: c.getenv, XSocketDir: dir, Timeout: 2 * time.Second, GOOS: "linux"}.Check()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Check: %v, want a display", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrNoDisplay) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Check: %v, want ErrNoDisplay saying %q", err, c.want)
			}
		})
	}
}

// On macOS the window server comes with the login session: no variable
// is needed.
func TestCheckDarwin(t *testing.T) {
	if err := (Checker{Getenv: env(), GOOS: "darwin"}).Check(); err != nil {
		t.Fatalf("darwin: %v", err)
	}
}
