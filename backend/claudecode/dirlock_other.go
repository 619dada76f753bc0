//go:build !unix

package claudecode

import "os"

const lockDirMode = 0o700

// Without flock there is no way to tell a dead holder's lock from a live
// one: leftovers wait out the stale threshold.
func markHeld(string) *os.File         { return nil }
func unmark(*os.File)                  {}
func reclaimDead(string) (bool, error) { return false, nil }
