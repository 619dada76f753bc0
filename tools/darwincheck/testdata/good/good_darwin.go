//go:build darwin && cgo

// Package good uses go-keychain and cgo correctly; darwincheck must accept it.
package good

/*
#include <stdlib.h>
*/
import "C"

import keychain "github.com/keybase/go-keychain"

// Lookup builds a query the way backend/keyring does.
func Lookup(service string) keychain.Item {
	q := keychain.NewItem()
	q.SetSecClass(keychain.SecClassGenericPassword)
	q.SetService(service)
	q.SetMatchLimit(keychain.MatchLimitOne)
	return q
}

// Half shows that C identifiers are accepted without a C toolchain.
func Half(n int) int { return int(C.int(n)) / 2 }
