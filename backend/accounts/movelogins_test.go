package accounts_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/keyringtest"
)

// MoveLogins copies, checks, commits, and only then deletes; a failure on
// the way leaves the old keyring whole and takes back the copies it made.
func TestMoveLogins(t *testing.T) {
	h := newHarness(t)
	for _, e := range []string{"a@example.com", "b@example.com"} {
		h.login(h.account(e))
		if _, err := h.m.AdoptCurrent(h.ctx, e[:1]); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := h.m.List(h.ctx)
	old := h.kr
	before := map[string][]byte{}
	for _, a := range list {
		before[a.Label] = h.stash(&a)
	}

	// The second copy fails: nothing is committed, the first copy is taken back.
	dest := keyringtest.New()
	n := 0
	dest.FailWith(func(op keyringtest.Op, _, _ string) error {
		if op == keyringtest.OpSet {
			if n++; n == 2 {
				return errors.New("disk full")
			}
		}
		return nil
	})
	committed := false
	if _, err := h.m.MoveLogins(h.ctx, dest, func() error { committed = true; return nil }); err == nil || committed {
		t.Fatalf("a failed copy: %v, committed %v", err, committed)
	}
	for _, a := range list {
		if _, err := dest.Get(h.ctx, a.KeyringRef, krAccount); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("a copy of %s was left in the new keyring: %v", a.Label, err)
		}
		if got := h.stash(&a); !bytes.Equal(got, before[a.Label]) {
			t.Fatalf("the old copy of %s changed", a.Label)
		}
	}

	// The commit fails: the copies go, the old keyring stays.
	dest.FailWith(nil)
	if _, err := h.m.MoveLogins(h.ctx, dest, func() error { return errors.New("config is read-only") }); err == nil {
		t.Fatal("a failed commit was not reported")
	}
	for _, a := range list {
		if _, err := dest.Get(h.ctx, a.KeyringRef, krAccount); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("a copy of %s was left after a failed commit: %v", a.Label, err)
		}
	}

	// It works: everything is in the new keyring, byte for byte, and gone
	// from the old one.
	rep, err := h.m.MoveLogins(h.ctx, dest, func() error { committed = true; return nil })
	if err != nil || !committed || len(rep.Moved) != 2 {
		t.Fatalf("move: %+v %v", rep, err)
	}
	for _, a := range list {
		got, err := dest.Get(h.ctx, a.KeyringRef, krAccount)
		if err != nil || !bytes.Equal(got, before[a.Label]) {
			t.Fatalf("%s in the new keyring: %v", a.Label, err)
		}
		if _, err := old.Get(h.ctx, a.KeyringRef, krAccount); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("%s is still in the old keyring: %v", a.Label, err)
		}
	}
}
