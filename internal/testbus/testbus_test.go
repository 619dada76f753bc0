//go:build linux

package testbus

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"
)

func TestNewKeyringServesSecrets(t *testing.T) {
	home := os.Getenv("HOME")
	b := NewKeyring(t)
	if got := os.Getenv("HOME"); got != home {
		t.Errorf("HOME of the test process changed from %q to %q", home, got)
	}
	if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got == b.Address {
		t.Error("NewKeyring pointed the test process at the bus without being asked")
	}
	RequireBinaries(t, "secret-tool")
	store := b.Command("secret-tool", "store", "--label=testbus", "service", "testbus-svc", "account", "me")
	store.Stdin = strings.NewReader("s3cret")
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
	out, err := b.Command("secret-tool", "lookup", "service", "testbus-svc", "account", "me").Output()
	if err != nil {
		t.Fatalf("secret-tool lookup: %v", err)
	}
	if string(out) != "s3cret" {
		t.Errorf("lookup = %q, want %q", out, "s3cret")
	}
}

func TestNewHasNoSecretService(t *testing.T) {
	b := New(t)
	conn := b.Conn(t)
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, SecretsName).Store(&owned); err != nil {
		t.Fatal(err)
	}
	if owned {
		t.Fatal("a bare bus has a Secret Service")
	}
	// And none can be activated, even though gnome-keyring is installed.
	err := conn.Object(SecretsName, "/org/freedesktop/secrets").Call("org.freedesktop.Secret.Service.ReadAlias", 0, "default").Err
	var de dbus.Error
	if !errors.As(err, &de) || de.Name != "org.freedesktop.DBus.Error.ServiceUnknown" {
		t.Fatalf("calling the Secret Service on a bare bus: %v, want ServiceUnknown", err)
	}
}

func TestNewLockedKeyringIsLocked(t *testing.T) {
	b := NewLockedKeyring(t)
	RequireBinaries(t, "secret-tool")
	// secret-tool cannot store into a locked keyring (the unlock prompt is
	// dismissed at once: there is no display).
	store := b.Command("secret-tool", "store", "--label=x", "service", "s", "account", "a")
	store.Stdin = strings.NewReader("v")
	if err := store.Run(); err == nil {
		t.Fatal("secret-tool stored into a locked keyring")
	}
}

func TestCleanupKillsDaemons(t *testing.T) {
	var pids []int
	t.Run("bus", func(t *testing.T) {
		b := NewKeyring(t)
		b.mu.Lock()
		for _, d := range b.procs {
			pids = append(pids, d.cmd.Process.Pid)
		}
		b.mu.Unlock()
		if len(pids) != 2 {
			t.Fatalf("started %d daemons, want dbus-daemon and gnome-keyring-daemon", len(pids))
		}
	})
	for _, pid := range pids {
		// Signal 0 checks existence; reaped children are gone entirely.
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("daemon pid %d still exists after cleanup (kill 0: %v)", pid, err)
		}
	}
}

// failingTB is a test that can be made to have failed, and that keeps
// its log lines and cleanups for the caller to run.
type failingTB struct {
	testing.TB
	failed   bool
	logs     []string
	cleanups []func()
}

func (r *failingTB) Failed() bool            { return r.failed }
func (r *failingTB) Logf(f string, a ...any) { r.logs = append(r.logs, fmt.Sprintf(f, a...)) }
func (r *failingTB) Cleanup(f func())        { r.cleanups = append(r.cleanups, f) }

func (r *failingTB) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// A failed test names the daemon that died under it, with its stderr; a
// running one is not reported.
func TestFailedTestReportsADeadDaemon(t *testing.T) {
	rec := &failingTB{TB: t}
	b := NewKeyring(rec)
	b.mu.Lock()
	var keyring *daemon
	for _, d := range b.procs {
		if d.name == "gnome-keyring-daemon" {
			keyring = d
		}
	}
	b.mu.Unlock()
	if keyring == nil {
		rec.runCleanups()
		t.Fatal("no gnome-keyring-daemon started")
	}
	_ = syscall.Kill(-keyring.cmd.Process.Pid, syscall.SIGKILL)
	<-keyring.exited
	rec.failed = true
	rec.runCleanups()
	logs := strings.Join(rec.logs, "\n")
	if !strings.Contains(logs, "testbus: gnome-keyring-daemon (pid ") || !strings.Contains(logs, "had already exited") {
		t.Errorf("the dead keyring was not reported: %q", logs)
	}
	if strings.Contains(logs, "dbus-daemon") {
		t.Errorf("the running bus was reported as dead: %q", logs)
	}

	// A test that passed says nothing.
	rec = &failingTB{TB: t}
	b = NewKeyring(rec)
	b.mu.Lock()
	pid := b.procs[len(b.procs)-1].cmd.Process.Pid
	b.mu.Unlock()
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	rec.runCleanups()
	if len(rec.logs) != 0 {
		t.Errorf("a passing test logged %q", rec.logs)
	}
}

func TestMonitorSeesTraffic(t *testing.T) {
	b := New(t)
	m := b.Monitor(t)
	conn := b.Conn(t)
	conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "com.example.VisibleOnTheWire")
	// The reply arrives after the call; wait for the monitor to catch up.
	for i := 0; i < 1000 && !m.Contains([]byte("com.example.VisibleOnTheWire")); i++ {
		conn.BusObject().Call("org.freedesktop.DBus.GetId", 0)
	}
	if !m.Contains([]byte("com.example.VisibleOnTheWire")) {
		t.Fatal("the monitor missed a method call")
	}
	if m.Contains([]byte("com.example.NeverSent")) {
		t.Fatal("the monitor reports a message nobody sent")
	}
	m.Stop()
	m.Stop() // idempotent
}

func TestNoBusSpawned(t *testing.T) {
	n := NewNoBus(t)
	if got := n.Spawned(t); len(got) != 0 {
		t.Fatalf("processes before anything ran: %v", got)
	}
	// A process started from the environment is found; one started from
	// another environment is not.
	marked := exec.Command("sleep", "60")
	marked.Env = n.Env()
	unmarked := exec.Command("sleep", "60")
	for _, c := range []*exec.Cmd{marked, unmarked} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	}
	got := n.Spawned(t)
	want := fmt.Sprintf("pid %d: sleep 60", marked.Process.Pid)
	if !slices.Equal(got, []string{want}) {
		t.Fatalf("Spawned = %v, want [%s]", got, want)
	}
}

func TestNoBusEnv(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	t.Setenv("DISPLAY", ":0")
	n := NewNoBus(t)
	env := n.Env()
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "DBUS_SESSION_BUS_ADDRESS" || k == "DISPLAY" {
			t.Errorf("Env keeps %s", kv)
		}
	}
	if !slices.Contains(env, "XDG_RUNTIME_DIR="+n.RuntimeDir) {
		t.Error("Env lacks the empty runtime dir")
	}
	t.Run("setenv", func(t *testing.T) {
		n.Setenv(t)
		if _, ok := os.LookupEnv("DBUS_SESSION_BUS_ADDRESS"); ok {
			t.Error("Setenv left DBUS_SESSION_BUS_ADDRESS set")
		}
	})
	if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != "unix:path=/nonexistent" {
		t.Errorf("after the subtest DBUS_SESSION_BUS_ADDRESS = %q, want it restored", got)
	}
}

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name string
		base []string
		set  []string
		drop []string
		want []string
	}{
		{"replace", []string{"A=1", "B=2"}, []string{"A=3"}, nil, []string{"B=2", "A=3"}},
		{"add", []string{"A=1"}, []string{"C=3"}, nil, []string{"A=1", "C=3"}},
		{"drop", []string{"A=1", "DISPLAY=:0"}, nil, []string{"DISPLAY"}, []string{"A=1"}},
		{"value with =", []string{"A=x=y"}, []string{"B=p=q"}, nil, []string{"A=x=y", "B=p=q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeEnv(tt.base, tt.set, tt.drop...); !slices.Equal(got, tt.want) {
				t.Errorf("mergeEnv = %v, want %v", got, tt.want)
			}
		})
	}
}

// recordingTB captures Skip and Fatal instead of ending the test.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()                        {}
func (r *recordingTB) Skip(args ...any)               { r.skipped = fmt.Sprint(args...) }
func (r *recordingTB) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestRequireBinaries(t *testing.T) {
	tests := []struct {
		name              string
		require           string
		wantSkip, wantErr bool
	}{
		{"missing skips", "", true, false},
		{"missing fails when required", "1", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(RequireEnv, tt.require)
			r := &recordingTB{TB: t}
			requireBinaries(r, "aimonitor-no-such-binary")
			if (r.skipped != "") != tt.wantSkip || (r.failed != "") != tt.wantErr {
				t.Fatalf("skipped %q, failed %q", r.skipped, r.failed)
			}
			if msg := r.skipped + r.failed; !strings.Contains(msg, "aimonitor-no-such-binary") || !strings.Contains(msg, "apt-get install") {
				t.Errorf("message %q does not say what is missing and how to install it", msg)
			}
		})
	}
	r := &recordingTB{TB: t}
	requireBinaries(r, "sh")
	if r.skipped != "" || r.failed != "" {
		t.Errorf("an installed binary was reported missing: %q %q", r.skipped, r.failed)
	}
}
