//go:build linux

package notify_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/notify"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// dunstrc makes the urgency visible in what dunstctl history reports (the
// history has no urgency field, but it has the formatted message) and keeps
// notifications on screen until closed.
const dunstrc = `[global]
    font = Monospace 8
[urgency_low]
    format = "low|%a|%s|%b"
    timeout = 0
[urgency_normal]
    format = "normal|%a|%s|%b"
    timeout = 0
[urgency_critical]
    format = "critical|%a|%s|%b"
    timeout = 0
`

// startGroup starts cmd in its own process group, killed when the test ends.
func startGroup(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
}

// xvfb starts a virtual X server and returns its DISPLAY value.
func xvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "640x480x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	startGroup(t, cmd)
	w.Close()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb printed no display number")
		}
		return ":" + n
	case <-time.After(15 * time.Second):
		t.Fatal("Xvfb did not start")
	}
	return ""
}

type dunstEntry struct {
	Summary, Body, Message, AppName string
}

func dunstHistory(t *testing.T, env []string) []dunstEntry {
	t.Helper()
	run := func(args ...string) []byte {
		cmd := exec.Command("dunstctl", args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("dunstctl %v: %v", args, err)
		}
		return out
	}
	run("close-all") // displayed notifications move to the history
	var hist struct {
		Data [][]map[string]struct {
			Data any `json:"data"`
		} `json:"data"`
	}
	var out []byte
	for deadline := time.Now().Add(5 * time.Second); ; {
		out = run("history")
		if err := json.Unmarshal(out, &hist); err != nil {
			t.Fatalf("dunstctl history: %v\n%s", err, out)
		}
		if len(hist.Data) > 0 && len(hist.Data[0]) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var entries []dunstEntry
	for _, n := range hist.Data[0] {
		str := func(k string) string { s, _ := n[k].Data.(string); return s }
		entries = append(entries, dunstEntry{Summary: str("summary"), Body: str("body"), Message: str("message"), AppName: str("appname")})
	}
	return entries
}

// TestRealDunst sends through the Engine to a real notification daemon,
// dunst under Xvfb on a private bus, and reads back what it received.
func TestRealDunst(t *testing.T) {
	for _, bin := range []string{"dunst", "dunstctl", "Xvfb", "dbus-daemon"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed", bin)
		}
	}
	bus := testbus.New(t)
	display := xvfb(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "dunstrc")
	if err := os.WriteFile(conf, []byte(dunstrc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "XDG_RUNTIME_DIR=" + dir,
		"DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus.Address}
	cmd := exec.Command("dunst", "-config", conf)
	cmd.Env = env
	startGroup(t, cmd)

	conn := bus.Conn(t)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var owned bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.Notifications").Store(&owned); err != nil {
			t.Fatal(err)
		}
		if owned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("dunst did not take org.freedesktop.Notifications")
		}
	}

	db, err := store.Open(context.Background(), filepath.Join(dir, "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sender := notify.NewDBus(notify.Options{BusAddress: bus.Address})
	defer sender.Close()
	engine := notify.NewEngine(sender, notify.SettingsState{DB: db}, nil)
	cfg := notify.Config{Enabled: true, WarnPct: 80, CritPct: 95, Location: time.UTC}
	resets := t0.Add(4 * time.Hour)
	for _, u := range []float64{50, 81, 83, 90, 96, 98} {
		engine.Observe(context.Background(), cfg, t0, []notify.Account{active(u, 10, resets)})
	}

	got := dunstHistory(t, env)
	if len(got) != 2 {
		t.Fatalf("dunst received %d notifications, want 2 (one per crossing): %+v", len(got), got)
	}
	// The order of the history after close-all is dunst's business.
	if got[0].Summary > got[1].Summary {
		got[0], got[1] = got[1], got[0]
	}
	want := []struct{ urgency, summary string }{{"normal", "work: 5-hour window at 81 %"}, {"critical", "work: 5-hour window at 96 %"}}
	for i, w := range want {
		e := got[i]
		if e.AppName != "aimonitor" || e.Summary != w.summary || !strings.Contains(e.Body, "Resets at 13:00") ||
			!strings.HasPrefix(e.Message, w.urgency+"|aimonitor|"+w.summary+"|") {
			t.Errorf("notification %d: %+v, want %s %q", i, e, w.urgency, w.summary)
		}
	}
}
