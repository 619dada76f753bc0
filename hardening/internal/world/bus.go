//go:build unix

package world

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// RequireKeyringEnv turns a missing keyring toolchain from a skip into a
// failure (make test sets it).
const RequireKeyringEnv = "AIMONITOR_REQUIRE_KEYRING"

const keyringPassword = "hardening-password"

// Bus is a private D-Bus session bus with an unlocked gnome-keyring on it:
// the same pattern as backend/internal/testbus, which this tree cannot
// import. Both daemons die with the test.
type Bus struct {
	Address string
	dir     string

	mu    sync.Mutex
	procs []*exec.Cmd
}

// NewKeyring starts the bus and the keyring, or skips the test when the
// binaries are missing (fails with AIMONITOR_REQUIRE_KEYRING set).
func NewKeyring(t testing.TB) *Bus {
	t.Helper()
	require(t, RequireKeyringEnv, "dbus-daemon", "gnome-keyring-daemon")
	dir, err := os.MkdirTemp("", "hbus") // short: socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	b := &Bus{dir: dir}
	t.Cleanup(func() {
		b.stop()
		os.RemoveAll(dir)
	})
	for _, sub := range []string{"run", "data", "config", "cache", "home"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	socket := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	// No <servicedir>: nothing is activated behind the test's back.
	busConf := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=` + socket + `</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`
	if err := os.WriteFile(conf, []byte(busConf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	cmd.Env = b.childEnv()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b.start(t, cmd)
	w.Close()
	lines := make(chan string, 1)
	go func() {
		defer r.Close()
		br := bufio.NewReader(r)
		line, _ := br.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, br)
	}()
	select {
	case b.Address = <-lines:
	case <-time.After(15 * time.Second):
		t.Fatalf("dbus-daemon did not start: %s", stderr.String())
	}
	if b.Address == "" {
		t.Fatalf("dbus-daemon printed no address: %s", stderr.String())
	}

	kr := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	kr.Env = append(b.childEnv(), "DBUS_SESSION_BUS_ADDRESS="+b.Address)
	kr.Stdin = strings.NewReader(keyringPassword)
	b.start(t, kr)
	conn, err := dbus.Dial(b.Address)
	if err == nil {
		err = conn.Auth(nil)
	}
	if err == nil {
		err = conn.Hello()
	}
	if err != nil {
		t.Fatalf("connecting to the private bus: %v", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var owned bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&owned); err != nil {
			t.Fatal(err)
		}
		if owned {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatal("gnome-keyring-daemon did not take org.freedesktop.secrets")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (b *Bus) childEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(b.dir, "home"),
		"XDG_RUNTIME_DIR=" + filepath.Join(b.dir, "run"),
		"XDG_DATA_HOME=" + filepath.Join(b.dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(b.dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(b.dir, "cache"),
		"LANG=C.UTF-8",
	}
}

func (b *Bus) start(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	go func() { _ = cmd.Wait() }() // reap it; stop kills the group
	b.mu.Lock()
	b.procs = append(b.procs, cmd)
	b.mu.Unlock()
}

func (b *Bus) stop() {
	b.mu.Lock()
	procs := b.procs
	b.procs = nil
	b.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		// Each daemon leads its own group: this ends it and anything it forked.
		_ = syscall.Kill(-procs[i].Process.Pid, syscall.SIGKILL)
	}
}

// require skips (or fails, when env is set) unless every program is on PATH.
func require(t testing.TB, env string, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "not installed: " + strings.Join(missing, ", ") + " (Debian: dbus-daemon gnome-keyring)"
	if os.Getenv(env) != "" {
		t.Fatalf("%s, and %s is set", msg, env)
	}
	t.Skip(msg)
}
