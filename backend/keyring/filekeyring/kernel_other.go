//go:build !linux

package filekeyring

import (
	"errors"
	"runtime"
	"time"
)

// KernelKeyring exists only on Linux; elsewhere it is always unavailable.
type KernelKeyring struct{}

// NewKernelKeyring returns the kernel key cache.
func NewKernelKeyring() KeyCache { return KernelKeyring{} }

var errNoKernelKeyring = &CacheUnavailableError{Err: errors.New("there is no kernel keyring on " + runtime.GOOS)}

func (KernelKeyring) Load(string) ([]byte, error)               { return nil, errNoKernelKeyring }
func (KernelKeyring) Store(string, []byte, time.Duration) error { return errNoKernelKeyring }
func (KernelKeyring) Drop(string) error                         { return errNoKernelKeyring }
