//go:build linux

package keyring

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/internal/testbus"
	"github.com/godbus/dbus/v5"
)

// testSecret looks like the credential blobs this package exists for, with
// bytes that stress encodings (newline, NUL, non-ASCII).
var testSecret = []byte("{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat01-TESTSECRET-\u00e9\u2603\",\"refreshToken\":\"sk-ant-ort01-TESTSECRET\"}}\n\x00end")

// fixture is a Secret Service client on a private bus, with its logs and
// session algorithms recorded.
type fixture struct {
	*secretService
	logs *syncBuffer

	mu         sync.Mutex
	algorithms []string
}

func newFixture(t *testing.T, address string, opts Options) *fixture {
	t.Helper()
	f := &fixture{logs: &syncBuffer{}}
	opts.BusAddress = address
	opts.Logger = slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.secretService = newSecretService(opts, func(string) string { return "" })
	f.sessionOpened = func(alg string) {
		f.mu.Lock()
		f.algorithms = append(f.algorithms, alg)
		f.mu.Unlock()
	}
	return f
}

func (f *fixture) sessionAlgorithms() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.algorithms)
}

func TestSecretServiceRoundTripIsEncrypted(t *testing.T) {
	bus := testbus.NewKeyring(t)
	mon := bus.Monitor(t)
	f := newFixture(t, bus.Address, Options{})
	ctx := context.Background()
	service := StashService("0b8c5d1e-3c1a-4c53-9d7e-2f4f8e6a1b22")

	if err := f.Set(ctx, service, "alice", "aimonitor test", testSecret); err != nil {
		t.Fatal(err)
	}
	got, err := f.Get(ctx, service, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, testSecret) {
		t.Fatalf("Get = %q, want %q", got, testSecret)
	}
	if algs := f.sessionAlgorithms(); !slices.Equal(algs, []string{algorithmDH}) {
		t.Fatalf("sessions used %v, want one %s session (kept from Set for Get)", algs, algorithmDH)
	}
	// What other processes on the bus could see: the DH handshake, but not
	// one recognisable piece of the secret, in either direction.
	if !mon.Contains([]byte(algorithmDH)) {
		t.Fatal("the monitor did not see the session being opened; it proves nothing")
	}
	for _, piece := range [][]byte{[]byte("TESTSECRET"), []byte("claudeAiOauth")} {
		if mon.Contains(piece) {
			t.Fatalf("%q crossed the bus in the clear", piece)
		}
	}
	if f.logs.Len() != 0 {
		t.Errorf("a clean round trip logged: %s", f.logs)
	}
}

// The plain session path works, and the monitor check above would catch a
// missing encryption: here, with encryption off, it sees the secret.
func TestSecretServicePlainSessionIsVisibleOnTheBus(t *testing.T) {
	bus := testbus.NewKeyring(t)
	mon := bus.Monitor(t)
	f := newFixture(t, bus.Address, Options{})
	f.forcePlain = true
	ctx := context.Background()
	if err := f.Set(ctx, "svc", "alice", "", testSecret); err != nil {
		t.Fatal(err)
	}
	got, err := f.Get(ctx, "svc", "alice")
	if err != nil || !bytes.Equal(got, testSecret) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if algs := f.sessionAlgorithms(); !slices.Equal(algs, []string{algorithmPlain}) {
		t.Fatalf("sessions %v", algs)
	}
	if !mon.Contains([]byte("TESTSECRET")) {
		t.Fatal("a plain session did not expose the secret to the monitor: the encryption test is blind")
	}
}

func TestSecretServiceReplaceDeleteNotFound(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	ctx := context.Background()
	conn := bus.Conn(t)

	countItems := func() int {
		t.Helper()
		var unlocked, locked []dbus.ObjectPath
		err := conn.Object(ssBusName, ssPath).Call(ssIface+".SearchItems", 0, map[string]string{"service": "svc", "account": "bob"}).Store(&unlocked, &locked)
		if err != nil {
			t.Fatal(err)
		}
		return len(unlocked) + len(locked)
	}

	if _, err := f.Get(ctx, "svc", "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set: %v, want ErrNotFound", err)
	}
	if err := f.Delete(ctx, "svc", "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete before Set: %v, want ErrNotFound", err)
	}
	for _, v := range []string{"first", "second", "third"} {
		if err := f.Set(ctx, "svc", "bob", "label "+v, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if n := countItems(); n != 1 {
		t.Fatalf("%d items after three writes, want 1 (replace on write)", n)
	}
	got, err := f.Get(ctx, "svc", "bob")
	if err != nil || string(got) != "third" {
		t.Fatalf("Get = %q, %v; want the last write", got, err)
	}
	// Items are keyed by both attributes.
	if err := f.Set(ctx, "svc", "carol", "", []byte("carol's")); err != nil {
		t.Fatal(err)
	}
	if err := f.Set(ctx, "other", "bob", "", []byte("other's")); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Get(ctx, "svc", "bob"); string(got) != "third" {
		t.Fatalf("neighbouring items changed the value to %q", got)
	}
	if err := f.Delete(ctx, "svc", "bob"); err != nil {
		t.Fatal(err)
	}
	if n := countItems(); n != 0 {
		t.Fatalf("%d items left after Delete", n)
	}
	if _, err := f.Get(ctx, "svc", "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := f.Delete(ctx, "svc", "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
	if got, err := f.Get(ctx, "svc", "carol"); err != nil || string(got) != "carol's" {
		t.Fatalf("Delete took a neighbour with it: %q, %v", got, err)
	}
}

// secret-tool (libsecret, the reference client) and aimonitor must read
// each other's items byte for byte.
func TestSecretServiceInteropWithSecretTool(t *testing.T) {
	testbus.RequireBinaries(t, "secret-tool")
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	ctx := context.Background()
	service, account := StashService("5e0f7a44-9a55-4b8e-a0c5-0d7f2f6a9e01"), "alice"

	if err := f.Set(ctx, service, account, "aimonitor: alice", testSecret); err != nil {
		t.Fatal(err)
	}
	out, err := bus.Command("secret-tool", "lookup", "service", service, "account", account).Output()
	if err != nil {
		t.Fatalf("secret-tool lookup: %v", err)
	}
	if !bytes.Equal(out, testSecret) {
		t.Fatalf("secret-tool read %q, want %q", out, testSecret)
	}
	// The label we gave is what keyring managers show.
	search, err := bus.Command("secret-tool", "search", "service", service, "account", account).CombinedOutput()
	if err != nil || !strings.Contains(string(search), "label = aimonitor: alice") {
		t.Fatalf("secret-tool search: %v\n%s", err, search)
	}

	store := bus.Command("secret-tool", "store", "--label=from secret-tool", "service", "st-svc", "account", account)
	store.Stdin = bytes.NewReader([]byte("written by libsecret"))
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
	got, err := f.Get(ctx, "st-svc", account)
	if err != nil || string(got) != "written by libsecret" {
		t.Fatalf("Get of a libsecret item = %q, %v", got, err)
	}
}

func TestSecretServiceLocked(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{PromptTimeout: 30 * time.Second})
	ctx := context.Background()
	if err := f.Set(ctx, "svc", "alice", "", testSecret); err != nil {
		t.Fatal(err)
	}
	bus.Lock(t)

	// Headless gnome-keyring dismisses the unlock prompt at once: each call
	// tries one unlock and reports the keyring locked.
	_, err := f.Get(ctx, "svc", "alice")
	checkLocked(t, "Get", err)
	checkLocked(t, "Set", f.Set(ctx, "svc", "alice", "", []byte("new")))
	checkLocked(t, "Delete", f.Delete(ctx, "svc", "alice"))

	// Nothing was deleted or overwritten behind the lock.
	conn := bus.Conn(t)
	var unlocked, locked []dbus.ObjectPath
	if err := conn.Object(ssBusName, ssPath).Call(ssIface+".SearchItems", 0, map[string]string{"service": "svc", "account": "alice"}).Store(&unlocked, &locked); err != nil {
		t.Fatal(err)
	}
	if len(unlocked) != 0 || len(locked) != 1 {
		t.Fatalf("after the failed calls: %d unlocked, %d locked items; want the one locked item", len(unlocked), len(locked))
	}
	if !strings.Contains(f.logs.String(), "unlock") {
		t.Errorf("the unlock attempt was not logged: %s", f.logs)
	}
	if strings.Contains(f.logs.String(), "TESTSECRET") {
		t.Error("the secret reached the log")
	}
}

func checkLocked(t *testing.T, op string, err error) {
	t.Helper()
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("%s on a locked keyring: %v, want ErrLocked", op, err)
	}
	if !strings.Contains(err.Error(), "unlock") {
		t.Errorf("%s: %q does not tell the user to unlock the keyring", op, err)
	}
}

func TestSecretServiceNoProvider(t *testing.T) {
	bus := testbus.New(t)
	f := newFixture(t, bus.Address, Options{})
	ctx := context.Background()
	_, err := f.Get(ctx, "svc", "alice")
	checkUnavailable(t, "Get", err)
	checkUnavailable(t, "Set", f.Set(ctx, "svc", "alice", "", testSecret))
	checkUnavailable(t, "Delete", f.Delete(ctx, "svc", "alice"))
}

func checkUnavailable(t *testing.T, op string, err error) {
	t.Helper()
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("%s: %v, want ErrUnavailable", op, err)
	}
	for _, words := range []string{"Secret Service", "gnome-keyring", "KeePassXC"} {
		if !strings.Contains(err.Error(), words) {
			t.Errorf("%s: %q does not mention %s", op, err, words)
		}
	}
}

// With no session bus at all, every call fails with ErrUnavailable and no
// D-Bus daemon (or keyring) is started behind our back. Open is used as the
// app uses it: from the environment.
func TestSecretServiceNoBus(t *testing.T) {
	tests := []struct {
		name    string
		address string // "" leaves DBUS_SESSION_BUS_ADDRESS unset
	}{
		{"unset", ""},
		{"autolaunch", "autolaunch:"},
		{"disabled", "disabled:"},
		{"dead socket", "unix:path=/nonexistent/aimonitor-test-bus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nobus := testbus.NewNoBus(t)
			nobus.Setenv(t)
			if tt.address != "" {
				t.Setenv("DBUS_SESSION_BUS_ADDRESS", tt.address)
			}
			kr, err := Open(Options{CallTimeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			_, err = kr.Get(ctx, "svc", "alice")
			checkUnavailable(t, "Get", err)
			checkUnavailable(t, "Set", kr.Set(ctx, "svc", "alice", "", testSecret))
			checkUnavailable(t, "Delete", kr.Delete(ctx, "svc", "alice"))
			if spawned := nobus.Spawned(t); len(spawned) != 0 {
				t.Fatalf("processes started without a bus: %v", spawned)
			}
		})
	}
}

// Several goroutines sharing one Keyring, each on its own item.
func TestSecretServiceConcurrent(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			account := "user" + string(rune('a'+i))
			for j := range 3 {
				want := []byte(account + strings.Repeat("!", j))
				if err := f.Set(ctx, "svc", account, "", want); err != nil {
					errs <- err
					return
				}
				got, err := f.Get(ctx, "svc", account)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, want) {
					errs <- errors.New(account + ": read back " + string(got))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSecretServiceCallerCancellation(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.Get(ctx, "svc", "alice")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get with a cancelled context: %v, want context.Canceled only", err)
	}
}

func TestSecretServiceRejectsEmptyKeys(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	ctx := context.Background()
	if err := f.Set(ctx, "svc", "alice", "", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, k := range [][2]string{{"", "alice"}, {"svc", ""}, {"", ""}} {
		if err := f.Delete(ctx, k[0], k[1]); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Delete(%q, %q) = %v, want a usage error", k[0], k[1], err)
		}
		if _, err := f.Get(ctx, k[0], k[1]); err == nil {
			t.Errorf("Get(%q, %q) succeeded", k[0], k[1])
		}
		if err := f.Set(ctx, k[0], k[1], "", []byte("x")); err == nil {
			t.Errorf("Set(%q, %q) succeeded", k[0], k[1])
		}
	}
	if got, err := f.Get(ctx, "svc", "alice"); err != nil || string(got) != "x" {
		t.Fatalf("the item was touched: %q %v", got, err)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Len()
}

// One DH shared secret in 256 has a leading zero byte. Both sides must pad
// it to the prime's length before HKDF, or exactly those sessions garble
// every secret. Open sessions until one has such a secret, and check that
// gnome-keyring (through secret-tool) and we agree on what was stored.
func TestSecretServiceDHSharedSecretWithLeadingZero(t *testing.T) {
	testbus.RequireBinaries(t, "secret-tool")
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	ctx := context.Background()
	conn, err := f.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for try := 0; try < 4000; try++ {
		kp, err := newDHKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		var output dbus.Variant
		var path dbus.ObjectPath
		err = conn.Object(ssBusName, ssPath).Call(ssIface+".OpenSession", 0, algorithmDH, dbus.MakeVariant(kp.public)).Store(&output, &path)
		if err != nil {
			t.Fatal(err)
		}
		peer, _ := output.Value().([]byte)
		shared := new(big.Int).Exp(new(big.Int).SetBytes(peer), kp.private, kp.prime)
		if shared.BitLen() > (modpGroup2Bytes-1)*8 {
			conn.Object(ssBusName, path).Call(ssSession+".Close", 0)
			continue
		}
		key, err := kp.sessionKey(peer)
		if err != nil {
			t.Fatal(err)
		}
		sess := &ssSessionConn{ss: f.secretService, conn: conn, path: path, key: key, algorithm: algorithmDH}
		collection, err := sess.defaultCollection(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := sess.seal(testSecret)
		if err != nil {
			t.Fatal(err)
		}
		props := map[string]dbus.Variant{
			ssItem + ".Label":      dbus.MakeVariant("leading zero"),
			ssItem + ".Attributes": dbus.MakeVariant(itemAttributes("lz", "alice")),
		}
		var item, prompt dbus.ObjectPath
		if err := sess.call(ctx, collection, ssCollection+".CreateItem", props, sealed, true).Store(&item, &prompt); err != nil {
			t.Fatalf("after %d sessions: CreateItem: %v", try+1, err)
		}
		var back secretStruct
		if err := sess.call(ctx, item, ssItem+".GetSecret", path).Store(&back); err != nil {
			t.Fatal(err)
		}
		got, err := sess.open(back)
		if err != nil || !bytes.Equal(got, testSecret) {
			t.Fatalf("after %d sessions: read back %q, %v", try+1, got, err)
		}
		out, err := bus.Command("secret-tool", "lookup", "service", "lz", "account", "alice").Output()
		if err != nil || !bytes.Equal(out, testSecret) {
			t.Fatalf("after %d sessions: gnome-keyring stored %q (%v): the shared secret padding disagrees", try+1, out, err)
		}
		t.Logf("session %d had a %d-bit shared secret", try+1, shared.BitLen())
		return
	}
	t.Fatal("no session with a short shared secret in 4000 tries")
}

// Without a "default" alias new items go to the login keyring; without
// that either, the provider is asked to create a keyring (a prompt, which
// headless gnome-keyring dismisses) and the session keyring is never used.
func TestSecretServiceDefaultCollectionFallbacks(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	ctx := context.Background()
	conn := bus.Conn(t)
	svc := conn.Object(ssBusName, ssPath)
	if err := svc.Call(ssIface+".SetAlias", 0, "default", dbus.ObjectPath("/")).Err; err != nil {
		t.Fatal(err)
	}
	if err := f.Set(ctx, "svc", "alice", "", []byte("in login")); err != nil {
		t.Fatal(err)
	}
	var unlocked, locked []dbus.ObjectPath
	if err := svc.Call(ssIface+".SearchItems", 0, map[string]string{"service": "svc", "account": "alice"}).Store(&unlocked, &locked); err != nil {
		t.Fatal(err)
	}
	if len(unlocked) != 1 || !strings.HasPrefix(string(unlocked[0]), string(ssLoginPath)+"/") {
		t.Fatalf("item stored at %v, want inside %s", unlocked, ssLoginPath)
	}

	var prompt dbus.ObjectPath
	if err := conn.Object(ssBusName, ssLoginPath).Call(ssCollection+".Delete", 0).Store(&prompt); err != nil || prompt != "/" {
		t.Fatalf("deleting the login keyring: %v (prompt %s)", err, prompt)
	}
	err := f.Set(ctx, "svc", "bob", "", []byte("nowhere"))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no default keyring") {
		t.Fatalf("Set with no keyring to write to: %v", err)
	}
	if err := svc.Call(ssIface+".SearchItems", 0, map[string]string{"service": "svc", "account": "bob"}).Store(&unlocked, &locked); err != nil {
		t.Fatal(err)
	}
	if len(unlocked)+len(locked) != 0 {
		t.Fatalf("the secret went somewhere after all: %v %v", unlocked, locked)
	}
}

// The operations of one command share a session; it is closed when it has
// been idle for keep, and the next operation opens a new one.
func TestSecretServiceKeepsASessionBriefly(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	f.keep = 100 * time.Millisecond
	ctx := context.Background()
	if err := f.Set(ctx, "svc", "alice", "", testSecret); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := f.Get(ctx, "svc", "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.sessionAlgorithms()); n != 1 {
		t.Fatalf("%d sessions for four operations in a row, want 1", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.idleSession() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the idle session was never closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := f.Get(ctx, "svc", "alice"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sessionAlgorithms()); n != 2 {
		t.Fatalf("%d sessions, want a second one after the first was closed", n)
	}
}

// A session whose operation failed is not kept.
func TestSecretServiceDropsASessionAfterAFailure(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	f.keep = time.Minute
	ctx := context.Background()
	if _, err := f.Get(ctx, "svc", "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get: %v, want ErrNotFound", err)
	}
	if f.idleSession() != nil {
		t.Fatal("the session of a failed operation was kept")
	}
	if err := f.Set(ctx, "svc", "alice", "", testSecret); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sessionAlgorithms()); n != 2 {
		t.Fatalf("%d sessions, want 2", n)
	}
}

// A kept session is not used once the keyring daemon was restarted (its
// sessions died with it): the next operation opens a new one and works.
func TestSecretServiceNewSessionAfterKeyringRestart(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	f.keep = time.Minute
	ctx := context.Background()
	if err := f.Set(ctx, "svc", "alice", "", testSecret); err != nil {
		t.Fatal(err)
	}
	if f.idleSession() == nil {
		t.Fatal("no session kept: this test would prove nothing")
	}
	bus.RestartKeyring(t)
	got, err := f.Get(ctx, "svc", "alice")
	if err != nil {
		t.Fatalf("Get after the keyring restarted: %v", err)
	}
	if !bytes.Equal(got, testSecret) {
		t.Fatalf("Get = %q", got)
	}
	if n := len(f.sessionAlgorithms()); n != 2 {
		t.Fatalf("%d sessions, want a new one after the restart", n)
	}
}

func (f *fixture) idleSession() *ssSessionConn {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secretService.mu.Lock()
	defer f.secretService.mu.Unlock()
	return f.idle
}

// Prepare opens the session in the background; the next operation uses it
// (one session in all, encrypted) whether it comes before or after the
// session is ready.
func TestSecretServicePrepareOpensTheNextSession(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	f.keep = time.Minute
	ctx := context.Background()
	if err := f.Set(ctx, "svc", "alice", "", testSecret); err != nil {
		t.Fatal(err)
	}
	f.idleSession().end(ctx)
	f.secretService.mu.Lock()
	f.idle = nil
	f.secretService.mu.Unlock()

	// An operation right after Prepare waits for its session.
	Prepare(ctx, f.secretService)
	Prepare(ctx, f.secretService) // a second call while one is on the way adds nothing
	got, err := f.Get(ctx, "svc", "alice")
	if err != nil || !bytes.Equal(got, testSecret) {
		t.Fatalf("Get after Prepare = %q, %v", got, err)
	}
	if algs := f.sessionAlgorithms(); !slices.Equal(algs, []string{algorithmDH, algorithmDH}) {
		t.Fatalf("sessions %v: want the Set's and the one Prepare opened, both encrypted", algs)
	}
	// Prepare with a good session idle opens nothing.
	Prepare(ctx, f.secretService)
	if _, err := f.Get(ctx, "svc", "alice"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sessionAlgorithms()); n != 2 {
		t.Fatalf("%d sessions, want still 2", n)
	}

	// With nothing idle, Prepare opens a session by itself, and the next
	// operation uses it.
	f.idleSession().end(ctx)
	f.secretService.mu.Lock()
	f.idle = nil
	f.secretService.mu.Unlock()
	Prepare(ctx, f.secretService)
	deadline := time.Now().Add(10 * time.Second)
	for f.idleSession() == nil {
		if time.Now().After(deadline) {
			t.Fatal("Prepare opened no session")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(f.sessionAlgorithms()); n != 3 {
		t.Fatalf("%d sessions after Prepare, want 3", n)
	}
	if _, err := f.Get(ctx, "svc", "alice"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sessionAlgorithms()); n != 3 {
		t.Fatalf("%d sessions, want the prepared one used", n)
	}
}

// A Prepare that cannot reach a Secret Service fails silently: the
// operation after it reports ErrUnavailable as it would have anyway.
func TestSecretServicePrepareWithoutProvider(t *testing.T) {
	bus := testbus.New(t)
	f := newFixture(t, bus.Address, Options{})
	ctx := context.Background()
	Prepare(ctx, f.secretService)
	_, err := f.Get(ctx, "svc", "alice")
	checkUnavailable(t, "Get after Prepare", err)
	if f.logs.Len() != 0 {
		t.Errorf("Prepare logged: %s", f.logs)
	}
}

// Release drops the kept session at once (no timer left behind) and keeps
// none afterwards; operations still work.
func TestSecretServiceRelease(t *testing.T) {
	bus := testbus.NewKeyring(t)
	f := newFixture(t, bus.Address, Options{})
	f.keep = time.Minute
	ctx := context.Background()
	if err := f.Set(ctx, "svc", "alice", "", testSecret); err != nil {
		t.Fatal(err)
	}
	kept := f.idleSession()
	if kept == nil {
		t.Fatal("no session kept: this test would prove nothing")
	}
	Release(f.secretService)
	if f.idleSession() != nil || kept.conn.Connected() || len(kept.key) == 0 || !bytes.Equal(kept.key, make([]byte, len(kept.key))) {
		t.Fatalf("the kept session survived Release (connected %v, key wiped %v)", kept.conn.Connected(), bytes.Equal(kept.key, make([]byte, len(kept.key))))
	}
	f.secretService.mu.Lock()
	timer := f.idleTimer
	f.secretService.mu.Unlock()
	if timer != nil {
		t.Fatal("a timer is left after Release")
	}
	got, err := f.Get(ctx, "svc", "alice")
	if err != nil || !bytes.Equal(got, testSecret) {
		t.Fatalf("Get after Release = %q, %v", got, err)
	}
	if f.idleSession() != nil {
		t.Fatal("a session was kept after Release")
	}
}
