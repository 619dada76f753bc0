//go:build unix

package claudecode

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// A lock directory aimonitor holds is marked so that, if aimonitor is
// killed while holding it, the next aimonitor process can tell the leftover
// from a lock a live Claude Code holds and remove it at once instead of
// waiting out the stale threshold (60 s for the refresh locks, longer than
// a switch waits). The mark is the sticky bit, set by mkdir itself (Linux
// honours it; elsewhere Go's Mkdir adds it at once) and never set by Claude
// Code, and liveness is a flock on the directory held for as long as the
// lock is: the kernel drops it when the holder dies. Claude Code ignores
// both, and an empty directory still goes with rmdir, so its own stale
// handling is unchanged.

// lockDirMode is the mode lock directories are created with.
const lockDirMode = 0o700 | fs.ModeSticky

// reclaimGrace covers the moment between a holder's mkdir and its flock: a
// marked directory younger than this may belong to a holder still taking it.
const reclaimGrace = time.Second

// markHeld flocks a lock directory we just created (and marks it, should
// mkdir have dropped the sticky bit). It returns nil when that fails; the
// lock is still ours, it only falls back to the stale threshold if we die
// holding it.
func markHeld(path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		f.Close()
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&fs.ModeSticky == 0 && f.Chmod(lockDirMode) != nil {
		f.Close() // closing drops the flock
		return nil
	}
	return f
}

// unmark drops the flock of a held lock, after its directory is gone.
func unmark(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// reclaimDead removes the lock directory at path when an aimonitor process
// that died holding it left it behind: marked, and nobody holds its flock.
// It reports whether it removed it.
func reclaimDead(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, nil // gone, or not ours to judge: the normal wait decides
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.IsDir() || fi.Mode()&fs.ModeSticky == 0 || time.Since(fi.ModTime()) < reclaimGrace {
		return false, nil
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false, nil // its holder is alive
	}
	// Still the directory we judged (not removed and re-created meanwhile)?
	if cur, err := os.Lstat(path); err != nil || !os.SameFile(fi, cur) {
		return false, nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}
