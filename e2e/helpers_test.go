//go:build e2e

// Package e2e drives the built app for real: the Wails window under Xvfb +
// openbox, and the UI in Debian's Chromium through playwright-core against
// `wails dev`. `make test` runs it with -tags e2e after `make build`.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func artifacts(t *testing.T) string {
	dir := filepath.Join(repoRoot(t), "build", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sandbox returns an environment with a private HOME and XDG tree, no
// session bus and the given display, so nothing touches the real user.
func sandbox(t *testing.T, display string) []string {
	t.Helper()
	root := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "CLAUDE_CONFIG_DIR", "AIMONITOR_CONFIG", "AIMONITOR_DATA_DIR":
			continue
		}
		if strings.HasPrefix(k, "XDG_") {
			continue
		}
		env = append(env, kv)
	}
	for _, d := range []string{"home", "config", "data", "state", "cache", "runtime"} {
		os.MkdirAll(filepath.Join(root, d), 0o700)
	}
	// Keep Go's caches where they were: a new HOME would otherwise move them.
	gocache, _ := exec.Command("go", "env", "GOCACHE").Output()
	gomodcache, _ := exec.Command("go", "env", "GOMODCACHE").Output()
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	return append(env,
		"HOME="+filepath.Join(root, "home"),
		"XDG_CONFIG_HOME="+filepath.Join(root, "config"),
		"XDG_DATA_HOME="+filepath.Join(root, "data"),
		"XDG_STATE_HOME="+filepath.Join(root, "state"),
		"XDG_CACHE_HOME="+filepath.Join(root, "cache"),
		"XDG_RUNTIME_DIR="+filepath.Join(root, "runtime"),
		"GOCACHE="+strings.TrimSpace(string(gocache)),
		"GOMODCACHE="+strings.TrimSpace(string(gomodcache)),
		"GOPATH="+strings.TrimSpace(string(gopath)),
		"DISPLAY="+display,
		"DBUS_SESSION_BUS_ADDRESS=disabled:",
		"NO_AT_BRIDGE=1",
	)
}

// startX starts Xvfb on a free display (-displayfd) and openbox on it.
func startX(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	xvfb := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	xvfb.ExtraFiles = []*os.File{w}
	xvfb.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := xvfb.Start(); err != nil {
		t.Fatalf("Xvfb: %v (run make setup)", err)
	}
	w.Close()
	t.Cleanup(func() { xvfb.Process.Kill(); xvfb.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb gave no display: %v", err)
	}
	display := ":" + strings.TrimSpace(line)
	wm := exec.Command("openbox")
	wm.Env = append(os.Environ(), "DISPLAY="+display)
	wm.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := wm.Start(); err != nil {
		t.Fatalf("openbox: %v", err)
	}
	t.Cleanup(func() { wm.Process.Kill(); wm.Wait() })
	// A bound, not a target: on a loaded machine openbox can take over 10 s.
	waitFor(t, 60*time.Second, "openbox to manage the display", func() bool {
		out, _ := x(display, "xprop", "-root", "_NET_SUPPORTING_WM_CHECK")
		return strings.Contains(out, "window id")
	})
	return display
}

func x(display string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// group is a process started in its own process group so the whole tree
// (make → sandbox → dbus-run-session → app → WebKit) is stopped at once.
type group struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

func startGroup(t *testing.T, env []string, dir string, name string, args ...string) *group {
	t.Helper()
	var buf bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	g := &group{cmd: cmd, out: &buf}
	t.Cleanup(g.stop)
	return g
}

func (g *group) stop() {
	if g.cmd.Process == nil {
		return
	}
	syscall.Kill(-g.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { g.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// findWindow waits for the visible top-level window titled "aimonitor". GTK
// can own more than one such window (tiny helper windows among them), so the
// largest is the app's.
func findWindow(t *testing.T, display string, g *group, limit time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, _ := x(display, "xdotool", "search", "--onlyvisible", "--name", "^aimonitor$")
		best, bestArea := "", 0
		for _, id := range strings.Fields(out) {
			if w, h := geometry(t, display, id); w*h > bestArea && w >= 100 {
				best, bestArea = id, w*h
			}
		}
		if best != "" {
			return best
		}
		if g.cmd.ProcessState != nil || time.Now().After(deadline) {
			t.Fatalf("no aimonitor window within %v; output:\n%s", limit, g.out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func xprop(t *testing.T, display, wid string, props ...string) string {
	t.Helper()
	out, err := x(display, "xprop", append([]string{"-id", wid}, props...)...)
	if err != nil {
		t.Fatalf("xprop: %v\n%s", err, out)
	}
	return out
}

func geometry(t *testing.T, display, wid string) (w, h int) {
	t.Helper()
	out, _ := x(display, "xdotool", "getwindowgeometry", wid)
	for _, line := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "Geometry: "); ok {
			fmt.Sscanf(s, "%dx%d", &w, &h)
		}
	}
	return
}

func screenshot(t *testing.T, display, name string) {
	t.Helper()
	path := filepath.Join(artifacts(t), name)
	if out, err := x(display, "import", "-window", "root", path); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	t.Logf("screenshot: %s", path)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func runCLI(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot(t), "build", "bin", "aimonitor"), args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// browse runs the Chromium script frontend/e2e/<script> with args and calls
// onLine with each line it prints (its "step:" lines let the test act at the
// right moment). The script, Chromium with it, is bounded, so a UI that
// stops answering fails the test and the clean-ups still run.
func browse(t *testing.T, env []string, dev *group, onLine func(string), script string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	root := repoRoot(t)
	node := exec.CommandContext(ctx, "node", append([]string{filepath.Join(root, "frontend", "e2e", script)}, args...)...)
	node.Dir = filepath.Join(root, "frontend")
	node.Env = env
	node.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	node.Cancel = func() error { return syscall.Kill(-node.Process.Pid, syscall.SIGKILL) }
	node.WaitDelay = 10 * time.Second
	stdout, err := node.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	node.Stderr = &stderr
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if onLine != nil {
			onLine(sc.Text())
		}
	}
	if err := node.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s\n%s\nwails dev:\n%s", script, err, strings.Join(lines, "\n"), stderr.String(), dev.out.String())
	}
	return strings.Join(lines, "\n")
}
