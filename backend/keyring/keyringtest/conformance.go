package keyringtest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aimonitor/aimonitor/backend/keyring"
)

// Conformance checks the behaviour every keyring.Keyring must have, on an
// empty keyring: round trip, replace on write, per-(service, account)
// separation, delete, not-found, and that the caller's buffers are neither
// kept nor modified. Run it against each implementation.
func Conformance(t *testing.T, kr keyring.Keyring) {
	t.Helper()
	ctx := context.Background()
	const svc = "aimonitor-conformance"

	if _, err := kr.Get(ctx, svc, "alice"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get of a missing item: %v, want ErrNotFound", err)
	}
	if err := kr.Delete(ctx, svc, "alice"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Delete of a missing item: %v, want ErrNotFound", err)
	}

	secret := []byte("first secret \x00\xff")
	if err := kr.Set(ctx, svc, "alice", "conformance", secret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if !bytes.Equal(secret, []byte("first secret \x00\xff")) {
		t.Fatal("Set modified the caller's buffer")
	}
	clear(secret) // the caller wipes its copy; the stored one must survive
	got, err := kr.Get(ctx, svc, "alice")
	if err != nil || !bytes.Equal(got, []byte("first secret \x00\xff")) {
		t.Fatalf("Get after Set = %q, %v", got, err)
	}
	clear(got) // and wiping what Get returned must not touch the store
	if again, err := kr.Get(ctx, svc, "alice"); err != nil || !bytes.Equal(again, []byte("first secret \x00\xff")) {
		t.Fatalf("Get after wiping the previous result = %q, %v", again, err)
	}

	if err := kr.Set(ctx, svc, "alice", "conformance", []byte("second")); err != nil {
		t.Fatalf("replacing Set: %v", err)
	}
	if got, err := kr.Get(ctx, svc, "alice"); err != nil || string(got) != "second" {
		t.Fatalf("Get after replace = %q, %v", got, err)
	}

	if err := kr.Set(ctx, svc, "bob", "conformance", []byte("bob's")); err != nil {
		t.Fatal(err)
	}
	if err := kr.Set(ctx, svc+"-other", "alice", "conformance", []byte("other service")); err != nil {
		t.Fatal(err)
	}
	if got, _ := kr.Get(ctx, svc, "alice"); string(got) != "second" {
		t.Fatalf("writes to other items changed alice's to %q", got)
	}

	if err := kr.Set(ctx, svc, "empty", "conformance", []byte{}); err != nil {
		t.Fatalf("Set of an empty secret: %v", err)
	}
	if got, err := kr.Get(ctx, svc, "empty"); err != nil || len(got) != 0 {
		t.Fatalf("Get of an empty secret = %q, %v", got, err)
	}

	if err := kr.Delete(ctx, svc, "alice"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := kr.Get(ctx, svc, "alice"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if got, err := kr.Get(ctx, svc, "bob"); err != nil || string(got) != "bob's" {
		t.Fatalf("Delete removed a neighbour: %q, %v", got, err)
	}
	if got, err := kr.Get(ctx, svc+"-other", "alice"); err != nil || string(got) != "other service" {
		t.Fatalf("Delete removed the same account of another service: %q, %v", got, err)
	}

	for _, k := range [][2]string{{"", "alice"}, {svc, ""}} {
		if err := kr.Set(ctx, k[0], k[1], "", []byte("x")); err == nil {
			t.Errorf("Set(%q, %q) accepted an empty name", k[0], k[1])
		}
	}
}
