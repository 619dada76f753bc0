//go:build linux

package filekeyring

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Key permissions (linux/keyctl.h): everything for the possessor; view, read
// and search for other processes of the same user, so the daemon started by
// systemd finds the key `keyring unlock` kept from an SSH session.
const (
	keyPosAll    = 0x3f000000
	keyUsrView   = 0x00010000
	keyUsrRead   = 0x00020000
	keyUsrSearch = 0x00080000
	keyPerm      = keyPosAll | keyUsrView | keyUsrRead | keyUsrSearch
)

// KernelKeyring keeps keys as "user" keys in the Linux kernel's user keyring
// (keyctl(2), add_key(2)): shared by this user's processes, gone at reboot
// or when the timeout passes, never on disk.
type KernelKeyring struct{}

// NewKernelKeyring returns the kernel key cache.
func NewKernelKeyring() KeyCache { return KernelKeyring{} }

func (KernelKeyring) find(name string) (int, error) {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", name, 0)
	if err != nil {
		return 0, kernelErr(err)
	}
	return id, nil
}

// Load implements KeyCache.
func (k KernelKeyring) Load(name string) ([]byte, error) {
	id, err := k.find(name)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 64)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	if err != nil {
		clear(buf)
		return nil, kernelErr(err)
	}
	if n > len(buf) {
		clear(buf)
		return nil, fmt.Errorf("kernel keyring: the key %s is not one aimonitor kept", name)
	}
	out := append([]byte(nil), buf[:n]...)
	clear(buf)
	return out, nil
}

// Store implements KeyCache.
func (KernelKeyring) Store(name string, key []byte, ttl time.Duration) error {
	id, err := unix.AddKey("user", name, key, unix.KEY_SPEC_USER_KEYRING)
	if err != nil {
		return kernelErr(err)
	}
	if err := unix.KeyctlSetperm(id, keyPerm); err != nil {
		_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		return kernelErr(err)
	}
	secs := int(ttl / time.Second)
	if secs < 1 {
		secs = 1
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, secs, 0, 0); err != nil {
		_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		return kernelErr(err)
	}
	return nil
}

// Drop implements KeyCache.
func (k KernelKeyring) Drop(name string) error {
	id, err := k.find(name)
	if errors.Is(err, ErrNotCached) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0); err != nil {
		// Older kernels lack INVALIDATE: revoke, then unlink.
		_, _ = unix.KeyctlInt(unix.KEYCTL_REVOKE, id, 0, 0, 0)
		if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0); err != nil {
			return kernelErr(err)
		}
	}
	return nil
}

func kernelErr(err error) error {
	switch {
	case errors.Is(err, unix.ENOKEY), errors.Is(err, unix.EKEYEXPIRED), errors.Is(err, unix.EKEYREVOKED):
		return fmt.Errorf("kernel keyring: %w", ErrNotCached)
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOSYS),
		errors.Is(err, unix.EDQUOT), errors.Is(err, unix.EOPNOTSUPP):
		return &CacheUnavailableError{Err: err}
	}
	return fmt.Errorf("kernel keyring: %w", err)
}
