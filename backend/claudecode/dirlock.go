package claudecode

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
)

// Claude Code guards its files with proper-lockfile style directory locks:
// the lock is held by whoever created the directory, the holder touches its
// mtime every few seconds, and a lock whose mtime is older than the stale
// threshold belongs to a crashed process and may be removed. We take the
// same locks the same way, so neither side ever writes under the other.

// Stale thresholds. Claude Code 2.1 uses 10 s for .claude.json.lock and the
// refresh locks and 15 s for .storage-write.lock, and refreshes a held lock's
// mtime every half threshold. Ours are never shorter than Claude Code's, so
// we never break a lock a live Claude Code still holds; the refresh locks
// get a wider margin because older releases held them without refreshing.
const (
	configLockStale  = 10 * time.Second
	storageLockStale = 15 * time.Second
	refreshLockStale = 60 * time.Second
	// lockTouchEvery keeps our own locks fresh while we hold them: well
	// under the shortest stale threshold Claude Code applies (10 s).
	lockTouchEvery = 3 * time.Second
)

// ErrLockBusy is wrapped by the error returned when one of Claude Code's
// locks stays held past the wait. Nothing was written.
var ErrLockBusy = errors.New("Claude Code is busy with its login files")

// LockBusyError names the lock that was held.
type LockBusyError struct {
	Path string
	Wait time.Duration
}

func (e *LockBusyError) Error() string {
	return fmt.Sprintf("%s: the lock %s was held for more than %s, so aimonitor changed nothing; retry in a moment (if no Claude Code is running and this keeps happening, remove that directory)",
		ErrLockBusy, e.Path, e.Wait.Round(time.Second))
}

func (e *LockBusyError) Unwrap() error { return ErrLockBusy }

type dirLock struct {
	path  string
	stale time.Duration
}

// heldLock is a lock we own.
type heldLock struct {
	path string
	mark *os.File // flock and sticky bit: see dirlock_unix.go
	stop chan struct{}
	done chan struct{}
	log  *slog.Logger
}

// acquire creates the lock directory, waiting up to wait for a live holder
// and removing a stale one.
func acquire(ctx context.Context, l dirLock, wait time.Duration, clk clock.Clock, log *slog.Logger) (*heldLock, error) {
	deadline := clk.Now().Add(wait)
	for {
		err := os.Mkdir(l.path, lockDirMode)
		if err == nil {
			h := &heldLock{path: l.path, mark: markHeld(l.path), stop: make(chan struct{}), done: make(chan struct{}), log: log}
			go h.keepFresh(clk)
			return h, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking Claude Code's lock %s: %w", l.path, err)
		}
		// Left by an aimonitor killed while holding it? Then it is free now.
		if gone, err := reclaimDead(l.path); err != nil {
			return nil, fmt.Errorf("removing the lock %s left by a stopped aimonitor: %w", l.path, err)
		} else if gone {
			log.Info("removed a Claude Code lock left by an aimonitor process that was stopped while holding it", "path", l.path)
			continue
		}
		st, err := os.Stat(l.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // released between our mkdir and stat
		case err != nil:
			return nil, fmt.Errorf("checking Claude Code's lock %s: %w", l.path, err)
		case clk.Now().Sub(st.ModTime()) > l.stale:
			// Its holder died without cleaning up. Remove only an empty
			// directory, as proper-lockfile does, and only the one judged:
			// another process may have broken it and taken the lock anew
			// (a new directory, or the same one touched) since the Stat.
			if cur, err := os.Lstat(l.path); err != nil || !os.SameFile(st, cur) || !cur.ModTime().Equal(st.ModTime()) {
				continue
			}
			if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("removing the stale lock %s: %w", l.path, err)
			}
			log.Info("removed a stale Claude Code lock", "path", l.path, "age", clk.Now().Sub(st.ModTime()).Round(time.Second).String())
			continue
		}
		if !clk.Now().Before(deadline) {
			return nil, &LockBusyError{Path: l.path, Wait: wait}
		}
		// Claude Code retries after 1-2 s for its refresh locks and after
		// tens of milliseconds for the others; we poll in between.
		delay := 50*time.Millisecond + rand.N(100*time.Millisecond)
		t := clk.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for Claude Code's lock %s: %w", l.path, ctx.Err())
		case <-t.C():
		}
	}
}

// keepFresh touches the lock so Claude Code never takes it for stale while
// we hold it (a token refresh can take a while).
func (h *heldLock) keepFresh(clk clock.Clock) {
	defer close(h.done)
	for {
		t := clk.NewTimer(lockTouchEvery)
		select {
		case <-h.stop:
			t.Stop()
			return
		case <-t.C():
			now := clk.Now()
			if err := os.Chtimes(h.path, now, now); err != nil {
				h.log.Warn("could not refresh a held Claude Code lock", "path", h.path, "err", err)
			}
		}
	}
}

// release removes the lock directory.
func (h *heldLock) release() {
	if h == nil {
		return
	}
	close(h.stop)
	<-h.done
	// Remove before unmarking: while the flock is held nobody may take the
	// directory for a dead aimonitor's.
	if err := os.Remove(h.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.log.Warn("could not remove a Claude Code lock we held", "path", h.path, "err", err)
	}
	unmark(h.mark)
}

// acquireAll takes locks in order and returns one release for all of them
// (released in reverse order). On failure nothing stays held.
func acquireAll(ctx context.Context, locks []dirLock, wait time.Duration, clk clock.Clock, log *slog.Logger) (func(), error) {
	var held []*heldLock
	releaseAll := func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i].release()
		}
	}
	for _, l := range locks {
		h, err := acquire(ctx, l, wait, clk, log)
		if err != nil {
			releaseAll()
			return nil, err
		}
		held = append(held, h)
	}
	return releaseAll, nil
}
