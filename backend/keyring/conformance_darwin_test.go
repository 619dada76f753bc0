//go:build darwin && cgo

package keyring_test

import (
	"os"
	"testing"

	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/keyringtest"
)

// ThrowAwayKeychainEnv says the user's default keychain is a throw-away one
// made for the test run (the macOS CI job creates it): only then do tests
// write to the real Keychain, never to a developer's login keychain.
const ThrowAwayKeychainEnv = "AIMONITOR_TEST_KEYCHAIN"

// The real Keychain behaves like the in-memory keyring other packages test
// against.
func TestKeychainConformance(t *testing.T) {
	if os.Getenv(ThrowAwayKeychainEnv) == "" {
		t.Skipf("writes to the default keychain: set %s=1 where that is a throw-away keychain (see .github/workflows/ci.yml)", ThrowAwayKeychainEnv)
	}
	kr, err := keyring.Open(keyring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keyringtest.Conformance(t, kr)
}
