// Package display tells whether this process can reach a graphical
// session, before anything tries to open a window. GTK aborts the whole
// process when it cannot open a display; asking first lets aimonitor say so
// in one line and name what still works (the command line, the daemon).
// It is pure Go, so the static command line can use it too.
package display

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Checker finds the display a window would open on. The zero value checks
// the real sockets.
type Checker struct {
	// Getenv reads the environment the window would get.
	Getenv func(string) string
	// XSocketDir is where X servers put their local sockets
	// ("" means /tmp/.X11-unix).
	XSocketDir string
	// Timeout bounds each connection attempt ("" means one second).
	Timeout time.Duration
	// GOOS is the system ("" means runtime.GOOS).
	GOOS string
}

// ErrNoDisplay is what Check's errors wrap.
var ErrNoDisplay = errors.New("no display")

// noDisplay is an ErrNoDisplay whose text is only the reason.
type noDisplay string

func (e noDisplay) Error() string { return string(e) }
func (noDisplay) Unwrap() error   { return ErrNoDisplay }

// Check returns nil when a window could open: on macOS and Windows always
// (the window server belongs to the login session); elsewhere when
// WAYLAND_DISPLAY or DISPLAY names a server that accepts a connection.
// Connecting and closing at once is harmless to either kind of server.
func (c Checker) Check() error {
	goos := c.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	if goos == "darwin" || goos == "windows" || goos == "ios" || goos == "android" {
		return nil
	}
	wayland, x := c.Getenv("WAYLAND_DISPLAY"), c.Getenv("DISPLAY")
	if wayland == "" && x == "" {
		return noDisplay("no display: neither DISPLAY nor WAYLAND_DISPLAY is set")
	}
	var problems []string
	if wayland != "" {
		path := wayland
		if !filepath.IsAbs(path) {
			runtimeDir := c.Getenv("XDG_RUNTIME_DIR")
			if runtimeDir == "" {
				problems = append(problems, fmt.Sprintf("WAYLAND_DISPLAY=%s but XDG_RUNTIME_DIR is not set", wayland))
				path = ""
			} else {
				path = filepath.Join(runtimeDir, wayland)
			}
		}
		if path != "" {
			if c.dial("unix", path) == nil {
				return nil
			}
			problems = append(problems, fmt.Sprintf("no Wayland compositor answers at %s", path))
		}
	}
	if x != "" {
		addrs, err := c.xAddrs(x)
		if err != nil {
			problems = append(problems, err.Error())
		} else {
			for _, a := range addrs {
				if c.dial(a[0], a[1]) == nil {
					return nil
				}
			}
			problems = append(problems, fmt.Sprintf("no X server answers on DISPLAY=%s", x))
		}
	}
	return noDisplay(strings.Join(problems, "; "))
}

// xAddrs turns DISPLAY ([host]:number[.screen], or a socket path as XQuartz
// sets it) into the addresses an X client would try, in order.
func (c Checker) xAddrs(display string) ([][2]string, error) {
	if strings.HasPrefix(display, "/") {
		return [][2]string{{"unix", display}}, nil
	}
	colon := strings.LastIndex(display, ":")
	if colon < 0 {
		return nil, fmt.Errorf("DISPLAY=%s is not of the form host:number", display)
	}
	host, rest := display[:colon], display[colon+1:]
	host = strings.TrimPrefix(strings.TrimPrefix(host, "tcp/"), "unix/")
	num, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 59535 {
		return nil, fmt.Errorf("DISPLAY=%s does not name a display number", display)
	}
	if host == "" || host == "unix" {
		dir := c.XSocketDir
		if dir == "" {
			dir = "/tmp/.X11-unix"
		}
		path := filepath.Join(dir, "X"+num)
		// Linux X servers also listen on an abstract socket of the same
		// name, which works where /tmp is private.
		return [][2]string{{"unix", "@" + path}, {"unix", path}}, nil
	}
	return [][2]string{{"tcp", net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(6000+n))}}, nil
}

func (c Checker) dial(network, addr string) error {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = time.Second
	}
	conn, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return err
	}
	return conn.Close()
}
