//go:build linux

package keyring_test

import (
	"context"
	"testing"

	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/keyringtest"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// The real Secret Service behaves like the in-memory keyring other
// packages test against.
func TestSecretServiceConformance(t *testing.T) {
	bus := testbus.NewKeyring(t)
	kr, err := keyring.Open(keyring.Options{BusAddress: bus.Address})
	if err != nil {
		t.Fatal(err)
	}
	keyringtest.Conformance(t, kr)
}

// Open finds the bus through DBUS_SESSION_BUS_ADDRESS, as in the app.
func TestOpenUsesTheSessionBusFromTheEnvironment(t *testing.T) {
	testbus.RequireBinaries(t, "secret-tool")
	bus := testbus.NewKeyring(t)
	bus.Setenv(t)
	kr, err := keyring.Open(keyring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := kr.Set(ctx, "svc", keyring.UserAccount(), "", []byte("via env")); err != nil {
		t.Fatal(err)
	}
	out, err := bus.Command("secret-tool", "lookup", "service", "svc", "account", keyring.UserAccount()).Output()
	if err != nil || string(out) != "via env" {
		t.Fatalf("secret-tool lookup = %q, %v", out, err)
	}
}
