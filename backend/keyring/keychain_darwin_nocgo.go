//go:build darwin && !cgo

package keyring

import "fmt"

// The Keychain is reachable only through cgo (Security.framework); a build
// without it cannot store secrets, and must say so instead of pretending.
func openPlatform(Options) (Keyring, error) {
	return nil, fmt.Errorf("keyring: this aimonitor was built without cgo and cannot use the macOS Keychain; use a release build: %w", ErrUnavailable)
}
