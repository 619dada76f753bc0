//go:build unix

// Package testbus gives tests a private D-Bus session bus, optionally with a
// real gnome-keyring Secret Service on it (unlocked or locked), so code that
// uses the OS keyring is tested against the real thing without touching the
// machine's own bus, keyring or home directory.
//
// Each Bus lives in its own temporary directory with its own
// XDG_RUNTIME_DIR, XDG_DATA_HOME and HOME for the daemons it starts; the
// test process's environment is never changed unless the test asks for it
// (Bus.Setenv). Every daemon runs in its own process group and is killed
// when the test ends.
//
// The binaries come from the Debian packages dbus-daemon, dbus-bin,
// gnome-keyring and libsecret-tools. When they are missing, tests skip,
// unless AIMONITOR_REQUIRE_KEYRING is set (as `make test` does), in which
// case they fail.
package testbus

import (
	"bufio"
	"bytes"
	"fmt"
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

// RequireEnv, when set to anything, turns a missing keyring toolchain from
// a skip into a failure.
const RequireEnv = "AIMONITOR_REQUIRE_KEYRING"

// Password unlocks the keyring of NewKeyring.
const Password = "testbus-password"

// SecretsName is the bus name of the Secret Service.
const SecretsName = "org.freedesktop.secrets"

// startTimeout bounds how long a daemon may take to come up.
const startTimeout = 15 * time.Second

// Bus is a private D-Bus session bus.
type Bus struct {
	// Address is the bus address, for DBUS_SESSION_BUS_ADDRESS.
	Address string
	// Dir is the temporary directory holding the socket and the daemons'
	// runtime, data and home directories.
	Dir string

	mu    sync.Mutex
	procs []*daemon
}

// daemon is a child process with its stderr kept for diagnostics.
type daemon struct {
	name   string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan struct{}
	err    error // valid after exited is closed
}

// New starts a private session bus with no Secret Service on it (and with
// no service activation, so nothing can start one behind the test's back).
func New(t testing.TB) *Bus {
	t.Helper()
	requireBinaries(t, "dbus-daemon")
	dir, err := os.MkdirTemp("", "tbus") // short: socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	b := &Bus{Dir: dir}
	t.Cleanup(func() {
		if t.Failed() {
			b.reportExited(t)
		}
		b.stopAll()
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("testbus: removing %s: %v", dir, err)
		}
	})
	for _, sub := range []string{"run", "data", "config", "cache", "home"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	socket := filepath.Join(dir, "bus")
	config := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(config, []byte(busConfig(socket)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+config, "--nofork", "--print-address=1")
	cmd.Env = b.childEnv()
	// Our own pipe rather than StdoutPipe: Wait (in another goroutine) must
	// not close it under the reader.
	stdout, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	d := b.start(t, "dbus-daemon", cmd)
	w.Close()
	lines := make(chan string, 1)
	go func() {
		defer stdout.Close()
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, br)
	}()
	select {
	case addr := <-lines:
		if addr == "" {
			t.Fatalf("testbus: dbus-daemon printed no address; stderr: %s", d.stderr.String())
		}
		b.Address = addr
	case <-d.exited:
		t.Fatalf("testbus: dbus-daemon exited at start (%v); stderr: %s", d.err, d.stderr.String())
	case <-time.After(startTimeout):
		t.Fatalf("testbus: dbus-daemon did not start within %s; stderr: %s", startTimeout, d.stderr.String())
	}
	return b
}

// NewKeyring starts a private session bus with a real gnome-keyring Secret
// Service whose "login" keyring (the default) is unlocked with Password.
func NewKeyring(t testing.TB) *Bus {
	t.Helper()
	requireBinaries(t, "dbus-daemon", "gnome-keyring-daemon")
	b := New(t)
	b.StartKeyring(t)
	return b
}

// NewLockedKeyring is NewKeyring with every keyring locked afterwards.
func NewLockedKeyring(t testing.TB) *Bus {
	t.Helper()
	b := NewKeyring(t)
	b.Lock(t)
	return b
}

// StartKeyring starts gnome-keyring-daemon on the bus, unlocked with
// Password, and waits until it owns org.freedesktop.secrets.
func (b *Bus) StartKeyring(t testing.TB) {
	t.Helper()
	requireBinaries(t, "gnome-keyring-daemon")
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = append(b.childEnv(), "DBUS_SESSION_BUS_ADDRESS="+b.Address)
	cmd.Stdin = strings.NewReader(Password) // --unlock reads the password until EOF
	d := b.start(t, "gnome-keyring-daemon", cmd)
	deadline := time.Now().Add(startTimeout)
	conn := b.Conn(t)
	for {
		var owned bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, SecretsName).Store(&owned)
		if err != nil {
			t.Fatalf("testbus: asking the bus for %s: %v", SecretsName, err)
		}
		if owned {
			return
		}
		select {
		case <-d.exited:
			t.Fatalf("testbus: gnome-keyring-daemon exited at start (%v); stderr: %s", d.err, d.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("testbus: gnome-keyring-daemon did not take %s within %s; stderr: %s", SecretsName, startTimeout, d.stderr.String())
		}
	}
}

// Lock locks every collection of the Secret Service (gnome-keyring does it
// without a prompt) and checks that the default one reports Locked.
func (b *Bus) Lock(t testing.TB) {
	t.Helper()
	conn := b.Conn(t)
	svc := conn.Object(SecretsName, "/org/freedesktop/secrets")
	var collections dbus.Variant
	if err := svc.Call("org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.Secret.Service", "Collections").Store(&collections); err != nil {
		t.Fatalf("testbus: listing collections: %v", err)
	}
	paths, _ := collections.Value().([]dbus.ObjectPath)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := svc.Call("org.freedesktop.Secret.Service.Lock", 0, paths).Store(&locked, &prompt); err != nil {
		t.Fatalf("testbus: locking the keyring: %v", err)
	}
	if prompt != "/" {
		t.Fatalf("testbus: locking the keyring wants a prompt (%s)", prompt)
	}
	var def dbus.ObjectPath
	if err := svc.Call("org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&def); err != nil {
		t.Fatalf("testbus: reading the default alias: %v", err)
	}
	var isLocked dbus.Variant
	if err := conn.Object(SecretsName, def).Call("org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.Secret.Collection", "Locked").Store(&isLocked); err != nil {
		t.Fatalf("testbus: reading Locked of %s: %v", def, err)
	}
	if v, _ := isLocked.Value().(bool); !v {
		t.Fatalf("testbus: %s is still unlocked after Lock", def)
	}
}

// Vars are the variables that point a client at this bus, as KEY=VALUE.
func (b *Bus) Vars() []string {
	return []string{"DBUS_SESSION_BUS_ADDRESS=" + b.Address}
}

// Env is os.Environ() pointed at this bus, for exec.Cmd.Env of a program
// under test. DISPLAY and WAYLAND_DISPLAY are removed so that nothing the
// program starts can open a window or find another bus through X11.
func (b *Bus) Env() []string {
	return mergeEnv(os.Environ(), b.Vars(), "DISPLAY", "WAYLAND_DISPLAY")
}

// Setenv points the test process at this bus for the rest of the test
// (t.Setenv: not usable in parallel tests).
func (b *Bus) Setenv(t testing.TB) {
	t.Helper()
	for _, kv := range b.Vars() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Command is exec.Command with Env set to b.Env(), e.g. for secret-tool.
func (b *Bus) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = b.Env()
	return cmd
}

// Conn returns a new authenticated connection to the bus, closed when the
// test ends.
func (b *Bus) Conn(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := b.dial()
	if err != nil {
		t.Fatalf("testbus: connecting to %s: %v", b.Address, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func (b *Bus) dial(opts ...dbus.ConnOption) (*dbus.Conn, error) {
	conn, err := dbus.Dial(b.Address, opts...)
	if err != nil {
		return nil, err
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// childEnv is the whole environment of a daemon: fresh XDG directories and
// HOME inside b.Dir, no display, nothing inherited but PATH.
func (b *Bus) childEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(b.Dir, "home"),
		"XDG_RUNTIME_DIR=" + filepath.Join(b.Dir, "run"),
		"XDG_DATA_HOME=" + filepath.Join(b.Dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(b.Dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(b.Dir, "cache"),
		"LANG=C.UTF-8",
	}
}

func (b *Bus) start(t testing.TB, name string, cmd *exec.Cmd) *daemon {
	t.Helper()
	d := &daemon{name: name, cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = d.stderr
	cmd.SysProcAttr = daemonProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("testbus: starting %s: %v", name, err)
	}
	go func() {
		d.err = cmd.Wait()
		close(d.exited)
	}()
	b.mu.Lock()
	b.procs = append(b.procs, d)
	b.mu.Unlock()
	return d
}

// reportExited logs every daemon that is gone before the test ends, with
// what it said: a test that failed because its keyring or bus vanished
// then says so instead of only "no Secret Service is running".
func (b *Bus) reportExited(t testing.TB) {
	b.mu.Lock()
	procs := b.procs
	b.mu.Unlock()
	for _, d := range procs {
		select {
		case <-d.exited:
			t.Logf("testbus: %s (pid %d) had already exited when the test ended (%v); its stderr:\n%s", d.name, d.cmd.Process.Pid, d.err, d.stderr.String())
		default:
		}
	}
}

// stopAll stops the daemons in reverse start order: each process group gets
// SIGTERM, then SIGKILL if it lingers.
func (b *Bus) stopAll() {
	b.mu.Lock()
	procs := b.procs
	b.procs = nil
	b.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		d := procs[i]
		pgid := d.cmd.Process.Pid // Setpgid: the group id is the leader's pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-d.exited
		}
		// Anything the daemon forked into its group goes too.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

func busConfig(socket string) string {
	// No <servicedir>: the bus activates nothing, so a test that wants no
	// Secret Service gets none.
	return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=` + xmlEscape(socket) + `</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`
}

func xmlEscape(s string) string {
	var buf bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			buf.WriteString("&lt;")
		case '>':
			buf.WriteString("&gt;")
		case '&':
			buf.WriteString("&amp;")
		default:
			buf.WriteRune(r)
		}
	}
	return buf.String()
}

// requireBinaries skips (or, with RequireEnv set, fails) the test when a
// program it needs is not installed.
func requireBinaries(t testing.TB, names ...string) {
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
	msg := fmt.Sprintf("testbus: %s not installed (Debian: apt-get install --no-install-recommends dbus-daemon dbus-bin gnome-keyring libsecret-tools)", strings.Join(missing, ", "))
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("%s, and %s is set", msg, RequireEnv)
		return
	}
	t.Skip(msg)
}

// RequireBinaries is requireBinaries for callers that need other tools of
// the same packages, such as secret-tool or dbus-send.
func RequireBinaries(t testing.TB, names ...string) {
	t.Helper()
	requireBinaries(t, names...)
}

// mergeEnv returns base with the KEY=VALUE pairs of set replacing or adding
// to it and the keys in drop removed.
func mergeEnv(base, set []string, drop ...string) []string {
	remove := map[string]bool{}
	for _, k := range drop {
		remove[k] = true
	}
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		remove[k] = true
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !remove[k] {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// RestartKeyring stops the running gnome-keyring-daemon, waits until the
// bus has dropped its name, and starts a new one on the same data (a
// keyring daemon restarted under a client, which gets a new unique name).
func (b *Bus) RestartKeyring(t testing.TB) {
	t.Helper()
	b.mu.Lock()
	var old *daemon
	for i, d := range b.procs {
		if d.name == "gnome-keyring-daemon" {
			old = d
			b.procs = append(b.procs[:i:i], b.procs[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	if old == nil {
		t.Fatal("testbus: no gnome-keyring-daemon to restart")
	}
	_ = syscall.Kill(-old.cmd.Process.Pid, syscall.SIGKILL)
	<-old.exited
	conn := b.Conn(t)
	deadline := time.Now().Add(startTimeout)
	for {
		var owned bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, SecretsName).Store(&owned); err != nil {
			t.Fatalf("testbus: asking the bus for %s: %v", SecretsName, err)
		}
		if !owned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("testbus: %s still owned %s after its daemon exited", SecretsName, startTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StartKeyring(t)
}
