// Package keyringtest is an in-memory keyring.Keyring for unit tests of
// packages that take a Keyring (accounts, claudecode, the CLI...). It can
// simulate a locked or unavailable keyring and arbitrary failures on
// demand, and records calls (never secrets) for assertions.
//
// Only tests may use it: New panics outside `go test`, so a release build
// can never end up storing credentials in memory.
package keyringtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aimonitor/aimonitor/backend/keyring"
)

// Op names a Keyring method.
type Op string

const (
	OpGet    Op = "Get"
	OpSet    Op = "Set"
	OpDelete Op = "Delete"
)

// Call records one call (secrets are never recorded).
type Call struct {
	Op               Op
	Service, Account string
}

// Key identifies an item.
type Key struct{ Service, Account string }

type item struct {
	label  string
	secret []byte
}

// Memory is the in-memory Keyring. The zero value is not usable; call New.
type Memory struct {
	mu     sync.Mutex
	items  map[Key]item
	calls  []Call
	state  error // ErrLocked or ErrUnavailable for every call, or nil
	failFn func(op Op, service, account string) error
}

var _ keyring.Keyring = (*Memory)(nil)

// New returns an empty keyring. It panics when not running under go test.
func New() *Memory {
	if !testing.Testing() {
		panic("keyringtest: the in-memory keyring is for tests only")
	}
	return &Memory{items: map[Key]item{}}
}

// SetLocked makes every call fail with keyring.ErrLocked until cleared.
func (m *Memory) SetLocked(locked bool) { m.setState(locked, keyring.ErrLocked) }

// SetUnavailable makes every call fail with keyring.ErrUnavailable until
// cleared.
func (m *Memory) SetUnavailable(unavailable bool) { m.setState(unavailable, keyring.ErrUnavailable) }

func (m *Memory) setState(on bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case on:
		m.state = err
	case m.state == err:
		m.state = nil
	}
}

// FailWith installs fn, consulted before every call: a non-nil result is
// returned instead of performing the call. nil removes it. Use it for
// "the third Set fails" or "only this account is locked".
func (m *Memory) FailWith(fn func(op Op, service, account string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failFn = fn
}

// FailNext makes the next call of op fail with err, once.
func (m *Memory) FailNext(op Op, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	prev := m.failFn
	fired := false
	m.failFn = func(o Op, service, account string) error {
		if o == op && !fired {
			fired = true
			return err
		}
		if prev != nil {
			return prev(o, service, account)
		}
		return nil
	}
}

func (m *Memory) begin(ctx context.Context, op Op, service, account string) error {
	m.calls = append(m.calls, Call{op, service, account})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyringtest: %w", err)
	}
	if service == "" || account == "" {
		return fmt.Errorf("keyringtest: service and account must both be non-empty")
	}
	if m.state != nil {
		return fmt.Errorf("keyringtest: simulated: %w", m.state)
	}
	if m.failFn != nil {
		if err := m.failFn(op, service, account); err != nil {
			return err
		}
	}
	return nil
}

// Get returns a copy of the stored secret.
func (m *Memory) Get(ctx context.Context, service, account string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx, OpGet, service, account); err != nil {
		return nil, err
	}
	it, ok := m.items[Key{service, account}]
	if !ok {
		return nil, fmt.Errorf("keyringtest: nothing stored for service %q, account %q: %w", service, account, keyring.ErrNotFound)
	}
	return slices.Clone(it.secret), nil
}

// Set stores a copy of secret (so callers may zero theirs right after).
func (m *Memory) Set(ctx context.Context, service, account, label string, secret []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx, OpSet, service, account); err != nil {
		return err
	}
	k := Key{service, account}
	if old, ok := m.items[k]; ok {
		clear(old.secret)
	}
	m.items[k] = item{label: label, secret: append([]byte{}, secret...)}
	return nil
}

// Delete removes the item; keyring.ErrNotFound if there is none.
func (m *Memory) Delete(ctx context.Context, service, account string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx, OpDelete, service, account); err != nil {
		return err
	}
	k := Key{service, account}
	old, ok := m.items[k]
	if !ok {
		return fmt.Errorf("keyringtest: nothing stored for service %q, account %q: %w", service, account, keyring.ErrNotFound)
	}
	clear(old.secret)
	delete(m.items, k)
	return nil
}

// Peek returns a copy of a stored secret without recording a call or
// consulting the simulated failures, for assertions.
func (m *Memory) Peek(service, account string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[Key{service, account}]
	return slices.Clone(it.secret), ok
}

// Label returns the label an item was stored with.
func (m *Memory) Label(service, account string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[Key{service, account}]
	return it.label, ok
}

// Keys lists the stored items, sorted.
func (m *Memory) Keys() []Key {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]Key, 0, len(m.items))
	for k := range m.items {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Account, b.Account))
	})
	return keys
}

// Calls returns every call made so far, in order.
func (m *Memory) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}
