//go:build !linux

package store

// pinAllocatorPages is a no-op here; see pin_linux.go.
func pinAllocatorPages() {}
