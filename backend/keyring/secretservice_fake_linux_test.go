//go:build linux

package keyring

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/internal/testbus"
	"github.com/godbus/dbus/v5"
)

// fakeProvider is a deliberately misbehaving Secret Service, for the cases
// gnome-keyring cannot be made to produce: refusing DH, never answering,
// prompts nobody answers.
type fakeProvider struct {
	refuseDH bool
	badDH    bool          // answer DH with a degenerate public key
	hang     chan struct{} // when non-nil, OpenSession blocks until it is closed
	crash    bool          // OpenSession drops the provider off the bus instead of answering

	conn *dbus.Conn // the provider's connection, set by serve

	mu        sync.Mutex
	opened    []string
	prompted  int
	dismissed int
}

const fakeItem = dbus.ObjectPath("/org/freedesktop/secrets/collection/login/1")
const fakePrompt = dbus.ObjectPath("/org/freedesktop/secrets/prompt/p1")

func (f *fakeProvider) OpenSession(algorithm string, input dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	if f.hang != nil {
		<-f.hang
	}
	if f.crash {
		f.conn.Close()
		return dbus.Variant{}, "", dbus.NewError(errNameNotSupported, nil) // never delivered
	}
	f.mu.Lock()
	f.opened = append(f.opened, algorithm)
	f.mu.Unlock()
	switch {
	case algorithm == algorithmPlain:
		return dbus.MakeVariant(""), "/org/freedesktop/secrets/session/s1", nil
	case algorithm == algorithmDH && f.badDH:
		return dbus.MakeVariant([]byte{1}), "/org/freedesktop/secrets/session/s2", nil
	case algorithm == algorithmDH && !f.refuseDH:
		kp, _ := newDHKeyPair()
		return dbus.MakeVariant(kp.public), "/org/freedesktop/secrets/session/s2", nil
	}
	return dbus.Variant{}, "", dbus.NewError(errNameNotSupported, []any{"algorithm not supported"})
}

// SearchItems finds one locked item for everything.
func (f *fakeProvider) SearchItems(map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	return []dbus.ObjectPath{}, []dbus.ObjectPath{fakeItem}, nil
}

// Unlock always needs a prompt.
func (f *fakeProvider) Unlock([]dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	return []dbus.ObjectPath{}, fakePrompt, nil
}

type fakePromptObject struct{ f *fakeProvider }

// Prompt "shows" the prompt; the user never answers.
func (p fakePromptObject) Prompt(string) *dbus.Error {
	p.f.mu.Lock()
	p.f.prompted++
	p.f.mu.Unlock()
	return nil
}

func (p fakePromptObject) Dismiss() *dbus.Error {
	p.f.mu.Lock()
	p.f.dismissed++
	p.f.mu.Unlock()
	return nil
}

type fakeSessionObject struct{}

func (fakeSessionObject) Close() *dbus.Error { return nil }

// serve puts f on a private bus as org.freedesktop.secrets.
func (f *fakeProvider) serve(t *testing.T) *testbus.Bus {
	t.Helper()
	bus := testbus.New(t)
	conn := bus.Conn(t)
	f.conn = conn
	for path, obj := range map[dbus.ObjectPath]any{ssPath: f, fakePrompt: fakePromptObject{f}} {
		iface := ssIface
		if path == fakePrompt {
			iface = ssPrompt
		}
		if err := conn.Export(obj, path, iface); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []dbus.ObjectPath{"/org/freedesktop/secrets/session/s1", "/org/freedesktop/secrets/session/s2"} {
		if err := conn.Export(fakeSessionObject{}, p, ssSession); err != nil {
			t.Fatal(err)
		}
	}
	reply, err := conn.RequestName(ssBusName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("taking %s: %v (%v)", ssBusName, reply, err)
	}
	return bus
}

func TestSecretServiceFallsBackToPlainOnceWarned(t *testing.T) {
	fake := &fakeProvider{refuseDH: true}
	bus := fake.serve(t)
	f := newFixture(t, bus.Address, Options{PromptTimeout: 50 * time.Millisecond})
	for range 3 {
		// The fake's item is locked and its prompt unanswered: ErrLocked,
		// but only after a session was negotiated.
		if _, err := f.Get(context.Background(), "svc", "alice"); !errors.Is(err, ErrLocked) {
			t.Fatalf("Get: %v, want ErrLocked", err)
		}
	}
	fake.mu.Lock()
	opened := strings.Join(fake.opened, ",")
	fake.mu.Unlock()
	if want := strings.Repeat(algorithmDH+","+algorithmPlain+",", 3); opened+"," != want {
		t.Fatalf("sessions requested: %s; want DH then plain, three times", opened)
	}
	if n := strings.Count(f.logs.String(), "does not support encrypted sessions"); n != 1 {
		t.Fatalf("the plain-session warning was logged %d times, want once:\n%s", n, f.logs)
	}
}

// Only "not supported" allows the plain fallback; a DH session that goes
// wrong in any other way is an error, never a silent downgrade.
func TestSecretServiceNoDowngradeOnOtherErrors(t *testing.T) {
	fake := &fakeProvider{badDH: true}
	bus := fake.serve(t)
	f := newFixture(t, bus.Address, Options{PromptTimeout: 50 * time.Millisecond})
	_, err := f.Get(context.Background(), "svc", "alice")
	if err == nil || !strings.Contains(err.Error(), "invalid encryption key") {
		t.Fatalf("Get: %v, want the bad key reported", err)
	}
	if errors.Is(err, ErrLocked) || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get went on after a failed key exchange: %v", err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.opened) != 1 || fake.opened[0] != algorithmDH {
		t.Fatalf("sessions requested: %v, want one DH", fake.opened)
	}
}

// An unanswered unlock prompt ends in ErrLocked after PromptTimeout, and is
// never dismissed.
func TestSecretServicePromptTimeout(t *testing.T) {
	fake := &fakeProvider{}
	bus := fake.serve(t)
	f := newFixture(t, bus.Address, Options{PromptTimeout: 100 * time.Millisecond})
	_, err := f.Get(context.Background(), "svc", "alice")
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "prompt") {
		t.Fatalf("Get: %v, want ErrLocked about the prompt", err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.prompted != 1 {
		t.Errorf("Prompt called %d times, want 1", fake.prompted)
	}
	if fake.dismissed != 0 {
		t.Errorf("Dismiss called %d times on a visible prompt", fake.dismissed)
	}
}

// A provider that takes the name but never answers must not hang the app.
func TestSecretServiceHungProvider(t *testing.T) {
	fake := &fakeProvider{hang: make(chan struct{})}
	bus := fake.serve(t)
	t.Cleanup(func() { close(fake.hang) })
	f := newFixture(t, bus.Address, Options{CallTimeout: 200 * time.Millisecond})
	err := withinGuard(t, func() error {
		_, err := f.Get(context.Background(), "svc", "alice")
		return err
	})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("Get: %v, want ErrUnavailable saying the service did not answer", err)
	}
}

// A provider that drops off the bus in the middle of a call (a crash) is
// reported as having stopped, not as slow: the bus answers at once.
func TestSecretServiceProviderQuitsMidCall(t *testing.T) {
	fake := &fakeProvider{crash: true}
	bus := fake.serve(t)
	f := newFixture(t, bus.Address, Options{CallTimeout: 5 * time.Second})
	got := withinGuard(t, func() error {
		_, err := f.Get(context.Background(), "svc", "alice")
		return err
	})
	checkUnavailable(t, "Get", got)
	if !strings.Contains(got.Error(), "stopped") || strings.Contains(got.Error(), "did not answer") {
		t.Fatalf("Get: %v, want it to say the Secret Service stopped", got)
	}
}

// A "bus" that accepts the connection and then says nothing.
func TestSecretServiceHungBus(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "bus")
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	f := newFixture(t, "unix:path="+socket, Options{CallTimeout: 200 * time.Millisecond})
	err = withinGuard(t, func() error { return f.Set(context.Background(), "svc", "alice", "", testSecret) })
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("Set: %v, want ErrUnavailable saying the bus did not answer", err)
	}
}

// withinGuard runs fn and fails the test if it hangs; the guard is far
// above any timeout involved, so it only catches hangs.
func withinGuard(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the call hung")
		return nil
	}
}

// No secret byte may appear in any error or log line, whatever goes wrong.
func TestSecretServiceErrorsAndLogsNeverContainTheSecret(t *testing.T) {
	secret := []byte("sk-ant-ort01-HYGIENE-CHECK-" + strings.Repeat("Z", 20))
	check := func(t *testing.T, f *fixture, err error) {
		t.Helper()
		for _, s := range []string{errString(err), f.logs.String()} {
			if strings.Contains(s, "HYGIENE") || bytes.Contains([]byte(s), secret[:12]) {
				t.Fatalf("secret leaked into %q", s)
			}
		}
	}
	t.Run("locked", func(t *testing.T) {
		bus := testbus.NewKeyring(t)
		f := newFixture(t, bus.Address, Options{})
		if err := f.Set(context.Background(), "svc", "alice", "", secret); err != nil {
			t.Fatal(err)
		}
		bus.Lock(t)
		check(t, f, f.Set(context.Background(), "svc", "alice", "", secret))
		_, err := f.Get(context.Background(), "svc", "alice")
		check(t, f, err)
	})
	t.Run("no provider", func(t *testing.T) {
		f := newFixture(t, testbus.New(t).Address, Options{})
		check(t, f, f.Set(context.Background(), "svc", "alice", "", secret))
	})
	t.Run("plain fallback", func(t *testing.T) {
		fake := &fakeProvider{refuseDH: true}
		f := newFixture(t, fake.serve(t).Address, Options{PromptTimeout: 50 * time.Millisecond})
		check(t, f, f.Set(context.Background(), "svc", "alice", "", secret))
	})
	t.Run("hung", func(t *testing.T) {
		fake := &fakeProvider{hang: make(chan struct{})}
		bus := fake.serve(t)
		t.Cleanup(func() { close(fake.hang) })
		f := newFixture(t, bus.Address, Options{CallTimeout: 100 * time.Millisecond})
		check(t, f, f.Set(context.Background(), "svc", "alice", "", secret))
	})
	t.Run("bad ciphertext", func(t *testing.T) {
		// A provider sending garbage: the decrypt error must not quote it.
		sess := &ssSessionConn{key: bytes.Repeat([]byte{1}, 16)}
		_, err := sess.open(secretStruct{Parameters: make([]byte, 16), Value: secret[:32]})
		if err == nil {
			t.Fatal("garbage decrypted")
		}
		check(t, &fixture{logs: &syncBuffer{}}, err)
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
