//go:build darwin && cgo

// Package bad holds a deliberate type error in darwin+cgo code that a Linux
// build never compiles; darwincheck must reject it.
package bad

import keychain "github.com/keybase/go-keychain"

// Lookup passes a keychain.Item where SetService wants the service name.
func Lookup(service string) keychain.Item {
	q := keychain.NewItem()
	q.SetSecClass(keychain.SecClassGenericPassword)
	q.SetService(q)
	return q
}
