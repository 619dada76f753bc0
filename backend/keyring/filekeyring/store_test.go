package filekeyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/keyringtest"
	"github.com/aimonitor/aimonitor/backend/sealbox"
)

const testPass = "correct horse battery"

// cheapParams keep unit tests fast; the format and code paths are the same.
func cheapParams() (sealbox.Params, error) {
	p, err := sealbox.NewParams()
	p.Time, p.MemoryKiB, p.Threads = 1, 64, 1
	return p, err
}

func passFrom(p string) PassphraseFunc {
	return func(context.Context, bool) ([]byte, error) { return []byte(p), nil }
}

func newStore(t *testing.T, dir string, pass PassphraseFunc, cache KeyCache) *Store {
	t.Helper()
	s := Open(Options{Dir: dir, Passphrase: pass, Cache: cache})
	s.newParams = cheapParams
	return s
}

var ctx = context.Background()

const secretA = `{"claudeAiOauth":{"accessToken":"sk-ant-oat01-AAAA","refreshToken":"sk-ant-ort01-AAAA"}}`

func TestRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keyring")
	s := newStore(t, dir, passFrom(testPass), nil)
	if err := s.Set(ctx, "aimonitor-a", "me", "aimonitor: a", []byte(secretA)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "aimonitor-b", "me", "", []byte("second")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "aimonitor-b", "me", "", []byte("second, replaced")); err != nil {
		t.Fatal(err)
	}
	// A fresh process: a new Store with only the passphrase.
	s2 := newStore(t, dir, passFrom(testPass), nil)
	got, err := s2.Get(ctx, "aimonitor-a", "me")
	if err != nil || string(got) != secretA {
		t.Fatalf("get a: %q %v", got, err)
	}
	if got, _ := s2.Get(ctx, "aimonitor-b", "me"); string(got) != "second, replaced" {
		t.Fatalf("get b: %q", got)
	}
	if _, err := s2.Get(ctx, "aimonitor-a", "someone-else"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("other account: %v", err)
	}
	items, err := s2.Items(ctx)
	if err != nil || len(items) != 2 || items[0].Label != "aimonitor: a" {
		t.Fatalf("items %+v %v", items, err)
	}
	if err := s2.Delete(ctx, "aimonitor-a", "me"); err != nil {
		t.Fatal(err)
	}
	if err := s2.Delete(ctx, "aimonitor-a", "me"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Get(ctx, "aimonitor-a", "me"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("deleted entry still read by the first store: %v", err)
	}
	data, _ := os.ReadFile(s.Path())
	for _, secret := range []string{"sk-ant-", "second", testPass} {
		if bytes.Contains(data, []byte(secret)) {
			t.Fatalf("%q in plaintext in the store file", secret)
		}
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, s.Path(): 0o600} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: mode %v (want %04o) %v", p, fi.Mode().Perm(), want, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func TestFirstUseCreatesTheStore(t *testing.T) {
	dir := t.TempDir()
	var creates int
	s := newStore(t, dir, func(_ context.Context, create bool) ([]byte, error) {
		if create {
			creates++
		}
		return []byte(testPass), nil
	}, nil)
	// add's probe: a Get of nothing makes the store and says not found.
	if _, err := s.Get(ctx, "aimonitor-probe", "me"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path()); err != nil || creates != 1 {
		t.Fatalf("store not created once: %v, %d", err, creates)
	}
	weak := newStore(t, t.TempDir(), passFrom("short"), nil)
	if err := weak.Set(ctx, "x", "me", "", []byte("s")); !errors.Is(err, sealbox.ErrWeakPassphrase) {
		t.Fatalf("weak passphrase: %v", err)
	}
	if _, err := os.Stat(weak.Path()); !os.IsNotExist(err) {
		t.Fatal("a store was written with a weak passphrase")
	}
}

// seeded returns a store directory holding two entries, and the file's bytes.
func seeded(t *testing.T) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	s := newStore(t, dir, passFrom(testPass), nil)
	for _, n := range []string{"a", "b"} {
		if err := s.Set(ctx, "aimonitor-"+n, "me", "", []byte(secretA+n)); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return dir, data
}

// unchanged fails unless the store file still holds exactly want.
func unchanged(t *testing.T, dir string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, StoreFile))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the store file changed (%v)", err)
	}
}

func TestWrongOrMissingPassphraseChangesNothing(t *testing.T) {
	dir, before := seeded(t)
	wrong := newStore(t, dir, passFrom("incorrect horse"), nil)
	if _, err := wrong.Get(ctx, "aimonitor-a", "me"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("get: %v", err)
	}
	if err := wrong.Set(ctx, "aimonitor-c", "me", "", []byte("x")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("set: %v", err)
	}
	if err := wrong.Delete(ctx, "aimonitor-a", "me"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("delete: %v", err)
	}
	if strings.Contains(ErrWrongPassphrase.Error(), "\n") {
		t.Fatal("not one line")
	}
	none := newStore(t, dir, nil, nil)
	_, err := none.Get(ctx, "aimonitor-a", "me")
	if !errors.Is(err, keyring.ErrLocked) || !strings.Contains(err.Error(), "keyring unlock") {
		t.Fatalf("no passphrase: %v", err)
	}
	failing := newStore(t, dir, func(context.Context, bool) ([]byte, error) {
		return nil, fmt.Errorf("no terminal: %w", ErrNoPassphrase)
	}, nil)
	if err := failing.Set(ctx, "aimonitor-c", "me", "", []byte("x")); !errors.Is(err, keyring.ErrLocked) {
		t.Fatalf("no passphrase source: %v", err)
	}
	unchanged(t, dir, before)
}

func TestDamagedStoresAreRefusedAndKept(t *testing.T) {
	cases := map[string]func([]byte) []byte{
		"truncated":       func(b []byte) []byte { return b[:len(b)/2] },
		"empty":           func([]byte) []byte { return nil },
		"not json":        func([]byte) []byte { return []byte("hello") },
		"newer format":    func(b []byte) []byte { return bytes.Replace(b, []byte(`"version": 1`), []byte(`"version": 2`), 1) },
		"foreign":         func(b []byte) []byte { return bytes.Replace(b, []byte(FormatName), []byte("something-else"), 1) },
		"unknown field":   func(b []byte) []byte { return bytes.Replace(b, []byte(`"cipher"`), []byte(`"extra": 1, "cipher"`), 1) },
		"entry removed":   func(b []byte) []byte { return removeEntry(t, b) },
		"names swapped":   func(b []byte) []byte { return swapNames(b) },
		"ciphertext flip": func(b []byte) []byte { return flipInEntry(t, b) },
		"salt changed":    func(b []byte) []byte { return bytes.Replace(b, []byte(`"salt": "`), []byte(`"salt": "AAAA`), 1) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			dir, data := seeded(t)
			bad := mutate(append([]byte(nil), data...))
			if err := os.WriteFile(filepath.Join(dir, StoreFile), bad, 0o600); err != nil {
				t.Fatal(err)
			}
			s := newStore(t, dir, passFrom(testPass), nil)
			_, gerr := s.Get(ctx, "aimonitor-a", "me")
			serr := s.Set(ctx, "aimonitor-c", "me", "", []byte("x"))
			derr := s.Delete(ctx, "aimonitor-b", "me")
			for _, err := range []error{gerr, serr, derr} {
				var fe *FormatError
				if name == "salt changed" {
					// A changed salt derives another key: it reads as a wrong passphrase.
					if !errors.Is(err, ErrWrongPassphrase) {
						t.Fatalf("got %v", err)
					}
					continue
				}
				if !errors.As(err, &fe) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), s.Path()) {
					t.Fatalf("got %v", err)
				}
				if fe.Newer != (name == "newer format") {
					t.Fatalf("newer=%v for %s: %v", fe.Newer, name, err)
				}
			}
			unchanged(t, dir, bad)
			if st := s.Status(); st.FormatErr == nil && name != "salt changed" && name != "entry removed" && name != "names swapped" && name != "ciphertext flip" {
				t.Fatalf("status saw no problem")
			}
		})
	}
}

func removeEntry(t *testing.T, b []byte) []byte {
	d, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	d.Entries = d.Entries[:1]
	return marshal(t, d)
}

func swapNames(b []byte) []byte {
	b = bytes.Replace(b, []byte(`"aimonitor-a"`), []byte(`"aimonitor-X"`), 1)
	b = bytes.Replace(b, []byte(`"aimonitor-b"`), []byte(`"aimonitor-a"`), 1)
	return bytes.Replace(b, []byte(`"aimonitor-X"`), []byte(`"aimonitor-b"`), 1)
}

func flipInEntry(t *testing.T, b []byte) []byte {
	d, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	d.Entries[0].Ciphertext[3] ^= 1
	return marshal(t, d)
}

func TestKeyCache(t *testing.T) {
	dir, _ := seeded(t)
	cache := &memCache{m: map[string][]byte{}}
	asks := 0
	s := newStore(t, dir, func(context.Context, bool) ([]byte, error) { asks++; return []byte(testPass), nil }, cache)
	res, err := s.Unlock(ctx, time.Minute)
	if err != nil || asks != 1 || res.Created || res.Renewed {
		t.Fatalf("unlock: %+v %v asks=%d", res, err, asks)
	}
	// Another process with no passphrase at all reads through the cache.
	other := newStore(t, dir, nil, cache)
	if got, err := other.Get(ctx, "aimonitor-a", "me"); err != nil || string(got) != secretA+"a" {
		t.Fatalf("cached get: %q %v", got, err)
	}
	if st := other.Status(); !st.Unlocked || st.Entries != 2 {
		t.Fatalf("status %+v", st)
	}
	if res, _ := s.Unlock(ctx, time.Minute); !res.Renewed || asks != 1 {
		t.Fatalf("renew asked again: %+v asks=%d", res, asks)
	}
	if dropped, err := newStore(t, dir, nil, cache).Lock(ctx); !dropped || err != nil {
		t.Fatalf("lock: %v %v", dropped, err)
	}
	if _, err := newStore(t, dir, nil, cache).Get(ctx, "aimonitor-a", "me"); !errors.Is(err, keyring.ErrLocked) {
		t.Fatalf("after lock: %v", err)
	}
	// A wrong passphrase keeps nothing.
	if _, err := newStore(t, dir, passFrom("incorrect horse"), cache).Unlock(ctx, time.Minute); !errors.Is(err, ErrWrongPassphrase) || len(cache.m) != 0 {
		t.Fatalf("wrong unlock: %v, %d kept", err, len(cache.m))
	}
	// A stale key under our name is dropped, and the passphrase asked.
	cache.m[cacheNameOf(t, dir)] = bytes.Repeat([]byte{7}, sealbox.KeyLen)
	if _, err := newStore(t, dir, passFrom(testPass), cache).Get(ctx, "aimonitor-a", "me"); err != nil || len(cache.m) != 0 {
		t.Fatalf("stale key: %v, %d kept", err, len(cache.m))
	}
}

func TestKeyCacheRefused(t *testing.T) {
	dir, _ := seeded(t)
	refused := refusingCache{}
	s := newStore(t, dir, passFrom(testPass), refused)
	_, err := s.Unlock(ctx, time.Minute)
	var cu *CacheUnavailableError
	if !errors.As(err, &cu) || !strings.Contains(err.Error(), "not available here") {
		t.Fatalf("unlock: %v", err)
	}
	// Everything else falls back to asking.
	if _, err := newStore(t, dir, passFrom(testPass), refused).Get(ctx, "aimonitor-a", "me"); err != nil {
		t.Fatal(err)
	}
}

func TestKernelKeyring(t *testing.T) {
	dir, _ := seeded(t)
	kernel := NewKernelKeyring()
	s := newStore(t, dir, passFrom(testPass), kernel)
	_, err := s.Unlock(ctx, time.Minute)
	var cu *CacheUnavailableError
	if errors.As(err, &cu) {
		t.Skipf("the kernel keyring is not allowed here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = newStore(t, dir, nil, kernel).Lock(ctx) })
	if _, err := newStore(t, dir, nil, kernel).Get(ctx, "aimonitor-b", "me"); err != nil {
		t.Fatalf("get through the kernel keyring: %v", err)
	}
	if dropped, err := newStore(t, dir, nil, kernel).Lock(ctx); !dropped || err != nil {
		t.Fatalf("lock: %v %v", dropped, err)
	}
	if _, err := newStore(t, dir, nil, kernel).Get(ctx, "aimonitor-b", "me"); !errors.Is(err, keyring.ErrLocked) {
		t.Fatalf("after lock: %v", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	dir, _ := seeded(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newStore(t, dir, passFrom(testPass), nil) // a separate "process"
			for i := 0; i < 4; i++ {
				if err := s.Set(ctx, fmt.Sprintf("aimonitor-w%d-%d", w, i), "me", "", []byte("v")); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	items, err := newStore(t, dir, passFrom(testPass), nil).Items(ctx)
	if err != nil || len(items) != 2+16 {
		t.Fatalf("%d items (want 18), %v: a write was lost", len(items), err)
	}
}

type memCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *memCache) Load(name string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[name]
	if !ok {
		return nil, ErrNotCached
	}
	return append([]byte(nil), k...), nil
}
func (c *memCache) Store(name string, key []byte, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[name] = append([]byte(nil), key...)
	return nil
}
func (c *memCache) Drop(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, name)
	return nil
}

type refusingCache struct{}

var errRefused = &CacheUnavailableError{Err: errors.New("operation not permitted")}

func (refusingCache) Load(string) ([]byte, error)               { return nil, errRefused }
func (refusingCache) Store(string, []byte, time.Duration) error { return errRefused }
func (refusingCache) Drop(string) error                         { return errRefused }

func cacheNameOf(t *testing.T, dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return cacheName(d)
}

// The file keyring behaves as every keyring.Keyring must.
func TestConformance(t *testing.T) {
	keyringtest.Conformance(t, newStore(t, t.TempDir(), passFrom(testPass), nil))
}
