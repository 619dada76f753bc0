package filekeyring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aimonitor/aimonitor/backend/sealbox"
)

// KeyCache keeps derived keys between processes for a while, under a name.
// KernelKeyring is the real one (Linux only).
type KeyCache interface {
	// Load returns the key kept under name, or an error wrapping
	// ErrNotCached when there is none (or it expired).
	Load(name string) ([]byte, error)
	// Store keeps key under name for ttl, replacing any previous one.
	Store(name string, key []byte, ttl time.Duration) error
	// Drop forgets the key under name; none is not an error.
	Drop(name string) error
}

// ErrNotCached: the cache holds no key under that name.
var ErrNotCached = errors.New("no key is kept")

// CacheUnavailableError: the key cache cannot be used here (the kernel
// keyring is not allowed in some containers, or this is not Linux).
type CacheUnavailableError struct{ Err error }

func (e *CacheUnavailableError) Error() string {
	return fmt.Sprintf("the kernel keyring is not available here (%v), so aimonitor cannot keep the key between commands: each command asks for the passphrase, or reads AIMONITOR_KEYRING_PASSPHRASE_FILE (use that for the daemon)", e.Err)
}
func (e *CacheUnavailableError) Unwrap() error { return e.Err }

// UnlockResult says what Unlock did.
type UnlockResult struct {
	Created bool // there was no store: a new one was made with the passphrase
	Renewed bool // a key was already kept; its timeout was renewed without asking
}

// Unlock opens the store (asking for the passphrase unless a kept key opens
// it; creating the store if there is none) and keeps its key in the cache
// for ttl. A wrong passphrase keeps nothing.
func (s *Store) Unlock(ctx context.Context, ttl time.Duration) (UnlockResult, error) {
	var res UnlockResult
	s.mu.Lock()
	d, err := s.read()
	s.mu.Unlock()
	if err != nil {
		return res, err
	}
	if d == nil {
		if err := s.update(ctx, func(*document, *sealbox.Key) (bool, error) { return false, nil }); err != nil {
			return res, err
		}
		res.Created = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, key, _, err := s.openLocked(ctx, false)
	if err != nil {
		return res, err
	}
	if d == nil {
		return res, fmt.Errorf("file keyring: %s vanished while it was being unlocked", s.Path())
	}
	if s.o.Cache == nil {
		return res, &CacheUnavailableError{Err: errors.New("no key cache on this system")}
	}
	if !res.Created {
		if raw, err := s.o.Cache.Load(cacheName(d)); err == nil {
			clear(raw)
			res.Renewed = true
		}
	}
	raw := key.Bytes()
	defer clear(raw)
	if err := s.o.Cache.Store(cacheName(d), raw, ttl); err != nil {
		return res, err
	}
	return res, nil
}

// Lock forgets the kept key (and this process's copy). It reports whether
// a key was kept.
func (s *Store) Lock(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		s.key.Destroy()
		s.key, s.keySalt = nil, nil
	}
	d, err := s.read()
	if err != nil || d == nil || s.o.Cache == nil {
		return false, err
	}
	raw, err := s.o.Cache.Load(cacheName(d))
	if err != nil {
		if errors.Is(err, ErrNotCached) {
			return false, nil
		}
		return false, err
	}
	clear(raw)
	return true, s.o.Cache.Drop(cacheName(d))
}

// Status is what `doctor` and `keyring status` report. It never asks for a
// passphrase.
type Status struct {
	Path    string
	Exists  bool
	Entries int
	// Unlocked: a key kept in the cache opens the store.
	Unlocked bool
	// CacheErr is why the cache could not be read (nil when it could).
	CacheErr error
	// FormatErr is why the store file cannot be used (nil when it can).
	FormatErr error
}

// Status looks at the store without a passphrase.
func (s *Store) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Path: s.Path()}
	d, err := s.read()
	if err != nil {
		st.Exists = true
		st.FormatErr = err
		return st
	}
	if d == nil {
		return st
	}
	st.Exists, st.Entries = true, len(d.Entries)
	if s.o.Cache == nil {
		st.CacheErr = &CacheUnavailableError{Err: errors.New("no key cache on this system")}
		return st
	}
	raw, err := s.o.Cache.Load(cacheName(d))
	if err != nil {
		if !errors.Is(err, ErrNotCached) {
			st.CacheErr = err
		}
		return st
	}
	key, kerr := sealbox.KeyFromBytes(raw)
	clear(raw)
	st.Unlocked = kerr == nil && verify(key, d)
	return st
}
