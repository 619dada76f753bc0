// Package filekeyring is the keyring for machines without a Secret Service
// (servers reached over SSH, containers), used only when the user chooses
// it (keyring.backend: file). Each saved login is sealed with AES-256-GCM
// under a key derived from a passphrase with Argon2id (backend/sealbox, as
// backups are), bound to its name, in one 0600 JSON file inside a 0700
// directory of aimonitor's data directory. Writes are atomic and serialised
// across processes, so a kill at any moment leaves the old file or the new
// one. The key can be kept for a while in the Linux kernel's user keyring
// (KeyCache), so one `aimonitor keyring unlock` serves later commands and
// the daemon.
package filekeyring

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/sealbox"
)

// File names inside the store's directory.
const (
	StoreFile = "logins.json"
	lockFile  = "logins.lock"
)

// PassphraseFunc supplies the passphrase. create is true when no store
// exists yet and the passphrase will protect a new one (a prompt asks
// twice). It returns an error wrapping ErrNoPassphrase when it has no way to
// get one.
type PassphraseFunc func(ctx context.Context, create bool) ([]byte, error)

// Errors callers test with errors.Is.
var (
	// ErrWrongPassphrase: the passphrase does not open the store.
	ErrWrongPassphrase = errors.New("the passphrase of the file keyring is wrong; nothing was read or written")
	// ErrNoPassphrase: the store is locked and no passphrase source is
	// available (no terminal, no variable, no unlocked key).
	ErrNoPassphrase = lockedError{"the file keyring is locked and no passphrase is available: run `aimonitor keyring unlock` in a terminal, or set AIMONITOR_KEYRING_PASSPHRASE_FILE to a file holding the passphrase (or AIMONITOR_KEYRING_PASSPHRASE)"}
)

// lockedError reads as its own text but is keyring.ErrLocked to errors.Is,
// so every caller that handles a locked keyring handles this one.
type lockedError struct{ msg string }

func (e lockedError) Error() string        { return e.msg }
func (e lockedError) Is(target error) bool { return target == keyring.ErrLocked }

// Options configure Open.
type Options struct {
	// Dir holds the store file (created 0700 on the first write).
	Dir string
	// Passphrase is asked when no cached key opens the store. Nil: none.
	Passphrase PassphraseFunc
	// Cache keeps derived keys between processes (the kernel keyring). Nil:
	// no cache.
	Cache KeyCache
	// Log gets operational notes, never secrets. Nil discards them.
	Log *slog.Logger
	// LockTimeout bounds the wait for another process's write (default 10 s).
	LockTimeout time.Duration
}

// Store is the file keyring. It implements keyring.Keyring and is safe for
// concurrent use; it remembers the key it unlocked for its lifetime.
type Store struct {
	o  Options
	mu sync.Mutex
	// key opens the store whose KDF salt is keySalt.
	key     *sealbox.Key
	keySalt []byte
	// newParams makes a new store's KDF parameters (tests use cheap ones).
	newParams func() (sealbox.Params, error)
}

var _ keyring.Keyring = (*Store)(nil)

// Open returns the store in o.Dir. It does no I/O.
func Open(o Options) *Store {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 10 * time.Second
	}
	return &Store{o: o, newParams: sealbox.NewParams}
}

// Path is the store file.
func (s *Store) Path() string { return filepath.Join(s.o.Dir, StoreFile) }

// Get implements keyring.Keyring.
func (s *Store) Get(ctx context.Context, service, account string) ([]byte, error) {
	if err := checkKey(service, account); err != nil {
		return nil, err
	}
	s.mu.Lock()
	d, key, _, err := s.openLocked(ctx, false)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if d == nil {
		// No store yet: make one now (asking for a new passphrase), so a
		// first probe finds out whether a passphrase can be had at all.
		if err := s.update(ctx, func(*document, *sealbox.Key) (bool, error) { return false, nil }); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("file keyring: %s: %w", service, keyring.ErrNotFound)
	}
	i := d.find(service, account)
	if i < 0 {
		return nil, fmt.Errorf("file keyring: %s: %w", service, keyring.ErrNotFound)
	}
	e := d.Entries[i]
	pt, err := key.Open(e.Nonce, e.Ciphertext, entryAAD(service, account))
	if err != nil {
		return nil, &FormatError{Path: s.Path(), Reason: fmt.Sprintf("the entry %s does not decrypt", service)}
	}
	return pt, nil
}

// Set implements keyring.Keyring.
func (s *Store) Set(ctx context.Context, service, account, label string, secret []byte) error {
	if err := checkKey(service, account); err != nil {
		return err
	}
	return s.update(ctx, func(d *document, key *sealbox.Key) (bool, error) {
		nonce, ct, err := key.Seal(secret, entryAAD(service, account))
		if err != nil {
			return false, err
		}
		e := entry{Service: service, Account: account, Label: label, Nonce: nonce, Ciphertext: ct}
		if i := d.find(service, account); i >= 0 {
			d.Entries[i] = e
		} else {
			d.Entries = append(d.Entries, e)
		}
		return true, nil
	})
}

// Delete implements keyring.Keyring.
func (s *Store) Delete(ctx context.Context, service, account string) error {
	if err := checkKey(service, account); err != nil {
		return err
	}
	return s.update(ctx, func(d *document, _ *sealbox.Key) (bool, error) {
		i := d.find(service, account)
		if i < 0 {
			return false, fmt.Errorf("file keyring: %s: %w", service, keyring.ErrNotFound)
		}
		d.Entries = append(d.Entries[:i], d.Entries[i+1:]...)
		return true, nil
	})
}

// Item names one saved secret (no secret bytes).
type Item struct {
	Service, Account, Label string
}

// Items lists what the store holds, after unlocking and checking it.
func (s *Store) Items(ctx context.Context) ([]Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, _, _, err := s.openLocked(ctx, false)
	if err != nil || d == nil {
		return nil, err
	}
	out := make([]Item, 0, len(d.Entries))
	for _, e := range d.Entries {
		out = append(out, Item{e.Service, e.Account, e.Label})
	}
	return out, nil
}

// update runs change on the current document under the cross-process lock
// and writes the result atomically when change reports a change. A store
// that does not parse or authenticate is never written over.
func (s *Store) update(ctx context.Context, change func(*document, *sealbox.Key) (bool, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := paths.EnsureDir(s.o.Dir); err != nil {
		return fmt.Errorf("file keyring: %w", err)
	}
	fl := flock.New(filepath.Join(s.o.Dir, lockFile))
	lctx, cancel := context.WithTimeout(ctx, s.o.LockTimeout)
	defer cancel()
	ok, err := fl.TryLockContext(lctx, 20*time.Millisecond)
	if err != nil || !ok {
		return fmt.Errorf("file keyring: another aimonitor is writing %s and did not finish in %s; nothing was changed", s.Path(), s.o.LockTimeout)
	}
	defer fl.Unlock()
	s.sweepTemps()
	d, key, created, err := s.openLocked(ctx, true)
	if err != nil {
		return err
	}
	changed, err := change(d, key)
	if !created && (err != nil || !changed) {
		return err
	}
	changeErr := err
	if d.Seal.Nonce, d.Seal.Ciphertext, err = key.Seal(nil, sealAAD(d)); err != nil {
		return fmt.Errorf("file keyring: %w", err)
	}
	data, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		return fmt.Errorf("file keyring: %w", err)
	}
	if err := paths.WriteFileAtomic(s.Path(), append(data, '\n')); err != nil {
		return fmt.Errorf("file keyring: %w", err)
	}
	return changeErr
}

// sweepTemps removes temp files a killed writer left (we hold the lock, so
// none is in use).
func (s *Store) sweepTemps() {
	matches, _ := filepath.Glob(filepath.Join(s.o.Dir, "."+StoreFile+".tmp-*"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// openLocked reads the store and makes sure s.key opens it. With create, a
// missing store is made in memory (a new passphrase is asked) and returned
// with created set, for the caller to write; without, a missing store is
// (nil, nil, false, nil). s.mu is held.
func (s *Store) openLocked(ctx context.Context, create bool) (d *document, key *sealbox.Key, created bool, err error) {
	if d, err = s.read(); err != nil {
		return nil, nil, false, err
	}
	if d == nil {
		if !create {
			return nil, nil, false, nil
		}
		d, key, err = s.createLocked(ctx)
		return d, key, err == nil, err
	}
	if key, err = s.keyFor(ctx, d); err != nil {
		return nil, nil, false, err
	}
	if _, err := key.Open(d.Seal.Nonce, d.Seal.Ciphertext, sealAAD(d)); err != nil {
		return nil, nil, false, &FormatError{Path: s.Path(), Reason: "its contents do not match their seal"}
	}
	return d, key, false, nil
}

// read loads and parses the store file; a missing file is (nil, nil).
func (s *Store) read() (*document, error) {
	f, err := os.Open(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("file keyring: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("file keyring: reading %s: %w", s.Path(), err)
	}
	if len(data) > MaxFileSize {
		return nil, &FormatError{Path: s.Path(), Reason: "it is far too large"}
	}
	d, err := Parse(data)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.Path = s.Path()
		}
		return nil, err
	}
	return d, nil
}

// keyFor returns a key that passes d's check: the one in memory, a cached
// one, or one derived from the passphrase.
func (s *Store) keyFor(ctx context.Context, d *document) (*sealbox.Key, error) {
	if s.key != nil && bytes.Equal(s.keySalt, d.KDF.Salt) && verify(s.key, d) {
		return s.key, nil
	}
	if key := s.cachedKey(d); key != nil {
		s.remember(key, d)
		return key, nil
	}
	if s.o.Passphrase == nil {
		return nil, ErrNoPassphrase
	}
	pass, err := s.o.Passphrase(ctx, false)
	if err != nil {
		return nil, err
	}
	key, err := sealbox.DeriveKey(pass, d.KDF)
	clear(pass)
	if err != nil {
		return nil, &FormatError{Path: s.Path(), Reason: err.Error()}
	}
	if !verify(key, d) {
		key.Destroy()
		return nil, ErrWrongPassphrase
	}
	s.remember(key, d)
	return key, nil
}

func (s *Store) cachedKey(d *document) *sealbox.Key {
	if s.o.Cache == nil {
		return nil
	}
	raw, err := s.o.Cache.Load(cacheName(d))
	if err != nil {
		if !errors.Is(err, ErrNotCached) {
			s.o.Log.Debug("file keyring: the kernel keyring cannot be read; asking for the passphrase", "err", err)
		}
		return nil
	}
	key, err := sealbox.KeyFromBytes(raw)
	clear(raw)
	if err != nil || !verify(key, d) {
		// A stale or foreign key under our name: drop it.
		_ = s.o.Cache.Drop(cacheName(d))
		return nil
	}
	return key
}

func (s *Store) remember(key *sealbox.Key, d *document) {
	if s.key != nil && s.key != key {
		s.key.Destroy()
	}
	s.key, s.keySalt = key, append([]byte(nil), d.KDF.Salt...)
}

func verify(key *sealbox.Key, d *document) bool {
	pt, err := key.Open(d.Check.Nonce, d.Check.Ciphertext, checkAAD(d))
	return err == nil && bytes.Equal(pt, checkPlaintext)
}

// createLocked makes a new, empty store with a new passphrase.
func (s *Store) createLocked(ctx context.Context) (*document, *sealbox.Key, error) {
	if s.o.Passphrase == nil {
		return nil, nil, ErrNoPassphrase
	}
	pass, err := s.o.Passphrase(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	defer clear(pass)
	if len(pass) < sealbox.MinPassphraseLen {
		return nil, nil, fmt.Errorf("file keyring: %w", sealbox.ErrWeakPassphrase)
	}
	p, err := s.newParams()
	if err != nil {
		return nil, nil, err
	}
	key, err := sealbox.DeriveKey(pass, p)
	if err != nil {
		return nil, nil, err
	}
	d := &document{Format: FormatName, Version: FormatVersion, KDF: p, Cipher: sealbox.CipherName, Entries: []entry{}}
	if d.Check.Nonce, d.Check.Ciphertext, err = key.Seal(checkPlaintext, checkAAD(d)); err != nil {
		key.Destroy()
		return nil, nil, err
	}
	s.remember(key, d)
	s.o.Log.Info("file keyring: created a new store", "path", s.Path())
	return d, key, nil
}

// cacheName is the description of the store's key in the key cache: tied to
// the salt, so a new store never meets an old key.
func cacheName(d *document) string {
	sum := sha256.Sum256(d.KDF.Salt)
	return "aimonitor:file-keyring:" + hex.EncodeToString(sum[:12])
}

func checkKey(service, account string) error {
	if service == "" || account == "" || strings.ContainsRune(service+account, 0) {
		return fmt.Errorf("file keyring: service and account must both be non-empty text (service %q, account %q)", service, account)
	}
	return nil
}
