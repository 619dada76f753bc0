//go:build !darwin && !linux

package keyring

import (
	"fmt"
	"runtime"
)

const unavailableHint = "aimonitor supports only the Linux Secret Service and the macOS Keychain"

func openPlatform(Options) (Keyring, error) {
	return nil, fmt.Errorf("keyring: %s has no keyring aimonitor can use: %w", runtime.GOOS, ErrUnavailable)
}
