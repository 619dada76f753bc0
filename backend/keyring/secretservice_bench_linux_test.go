//go:build linux

package keyring

import (
	"context"
	"testing"

	"github.com/aimonitor/aimonitor/internal/testbus"
)

// Each call opens a connection and a DH session of its own; these measure
// what that costs against gnome-keyring on a private bus.
func BenchmarkSecretServiceGet(b *testing.B) {
	bus := testbus.NewKeyring(b)
	kr := newSecretService(Options{BusAddress: bus.Address}, func(string) string { return "" })
	ctx := context.Background()
	if err := kr.Set(ctx, "bench", "alice", "", testSecret); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		secret, err := kr.Get(ctx, "bench", "alice")
		if err != nil {
			b.Fatal(err)
		}
		clear(secret)
	}
}

func BenchmarkSecretServiceSet(b *testing.B) {
	bus := testbus.NewKeyring(b)
	kr := newSecretService(Options{BusAddress: bus.Address}, func(string) string { return "" })
	ctx := context.Background()
	for b.Loop() {
		if err := kr.Set(ctx, "bench", "alice", "", testSecret); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDHKeyExchange(b *testing.B) {
	peer, err := newDHKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		kp, err := newDHKeyPair()
		if err != nil {
			b.Fatal(err)
		}
		key, err := kp.sessionKey(peer.public)
		if err != nil {
			b.Fatal(err)
		}
		clear(key)
		kp.destroy()
	}
}
