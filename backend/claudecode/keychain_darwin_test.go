//go:build darwin && cgo

package claudecode

import (
	"context"
	"os"
	"testing"

	"github.com/aimonitor/aimonitor/backend/keyring"
)

// Claude Code's live slot on the real Keychain: written, read back and
// deleted under a service of a config dir only this test uses. It runs only
// where AIMONITOR_TEST_KEYCHAIN says the default keychain is a throw-away one
// (the macOS CI job), never on a developer's login keychain.
func TestKeychainSlotOnTheRealKeychain(t *testing.T) {
	if os.Getenv("AIMONITOR_TEST_KEYCHAIN") == "" {
		t.Skip("writes to the default keychain: set AIMONITOR_TEST_KEYCHAIN=1 where that is a throw-away keychain (see .github/workflows/ci.yml)")
	}
	ctx := context.Background()
	kr, err := keyring.Open(keyring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // CLAUDE_CONFIG_DIR: the slot's service name hashes it
	s, _ := newTestSlot(t, func(o *Options) {
		o.Env.GOOS = "darwin"
		o.Env.ConfigDir = dir
		o.Keyring = kr
	})
	if b, err := s.ReadCredentials(ctx); b != nil || err != nil {
		t.Fatalf("a fresh slot: %q, %v", b, err)
	}
	if err := s.UpdateCredentials(ctx, func([]byte) ([]byte, error) { return []byte(sampleBlob), nil }); err != nil {
		t.Fatal(err)
	}
	got, err := kr.Get(ctx, keyring.ClaudeCodeService(dir), keyring.UserAccount())
	if err != nil || string(got) != sampleBlob {
		t.Fatalf("the Keychain item: %q, %v", got, err)
	}
	if b, err := s.ReadCredentials(ctx); err != nil || string(b) != sampleBlob {
		t.Fatalf("read back: %q, %v", b, err)
	}
	if err := s.UpdateCredentials(ctx, func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(ctx, keyring.ClaudeCodeService(dir), keyring.UserAccount()); err == nil {
		t.Fatal("the item is still there after the slot was cleared")
	}
}
