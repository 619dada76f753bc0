package tokens

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/aimonitor/aimonitor/backend/clock"
)

// IngesterOptions configure StartIngester.
type IngesterOptions struct {
	// Clock times the debounce and the periodic rescan; nil means the wall clock.
	Clock clock.Clock
	// Debounce is how long a change must be quiet before it is read (Claude
	// Code writes a transcript line by line while it streams); 0 means 2 s.
	Debounce time.Duration
	// MaxDelay bounds how long steady writing can postpone a scan; 0 means
	// five debounces.
	MaxDelay time.Duration
	// Rescan is the period of a safety-net scan, which also notices roots
	// created after start and changes a lost watch missed; 0 means 5 minutes.
	Rescan time.Duration
	// OnProgress receives each scan's progress; OnScan each scan's outcome.
	// Both run on the ingester's goroutine and must not block for long.
	OnProgress func(Progress)
	OnScan     func(ScanStats, error)
}

// Ingester keeps a Ledger up to date in the background: one scan at start,
// then one shortly after the transcripts change (fsnotify, recursively,
// with new project directories watched as they appear), and a periodic
// safety net. Nothing it does runs on the caller's goroutine.
type Ingester struct {
	l      *Ledger
	o      IngesterOptions
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	kick   chan struct{}
	once   sync.Once
}

// StartIngester starts the background ingestion; Stop ends it. The first
// scan starts at once.
func (l *Ledger) StartIngester(ctx context.Context, o IngesterOptions) *Ingester {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Debounce <= 0 {
		o.Debounce = 2 * time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 5 * o.Debounce
	}
	if o.Rescan <= 0 {
		o.Rescan = 5 * time.Minute
	}
	ctx, cancel := context.WithCancel(ctx)
	in := &Ingester{l: l, o: o, log: l.log, cancel: cancel, done: make(chan struct{}), kick: make(chan struct{}, 1)}
	go in.run(ctx)
	return in
}

// Trigger asks for a scan after the debounce, as if a transcript changed
// (for instance right after an account switch).
func (in *Ingester) Trigger() {
	select {
	case in.kick <- struct{}{}:
	default:
	}
}

// Stop ends the ingestion, interrupting a scan in progress, and waits for
// it to finish. It may be called more than once.
func (in *Ingester) Stop() {
	in.once.Do(in.cancel)
	<-in.done
}

func (in *Ingester) run(ctx context.Context) {
	defer close(in.done)
	w, err := fsnotify.NewWatcher()
	if err != nil {
		// Without inotify (or out of instances) the periodic scan still works.
		in.log.Warn("tokens: cannot watch the transcripts; relying on periodic scans", "err", err)
		w = nil
	} else {
		defer w.Close()
	}
	watched := map[string]bool{}
	warned := false
	// watch adds dir and every directory under it, skipping ones already
	// watched. A failure (such as the inotify watch limit) is logged once.
	watch := func(dir string) {
		if w == nil {
			return
		}
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() || watched[path] {
				return nil
			}
			if err := w.Add(path); err != nil {
				if !warned {
					in.log.Warn("tokens: cannot watch every transcript directory; relying on periodic scans for the rest", "dir", path, "err", err)
					warned = true
				}
				return nil
			}
			watched[path] = true
			return nil
		})
	}
	watchRoots := func() {
		for _, r := range in.l.roots {
			if real, err := filepath.EvalSymlinks(r); err == nil {
				watch(real)
			}
		}
	}
	scan := func() {
		st, err := in.l.Scan(ctx, in.o.OnProgress)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			in.log.Warn("tokens: scanning transcripts failed", "err", err)
		}
		if in.o.OnScan != nil {
			in.o.OnScan(st, err)
		}
	}

	watchRoots() // before the first scan, so nothing written during it is missed
	scan()
	rescan := in.o.Clock.NewTimer(in.o.Rescan)
	defer rescan.Stop()
	var debounce clock.Timer
	var pending <-chan time.Time
	var first time.Time // when the pending change was first noticed
	changed := func() {
		now := in.o.Clock.Now()
		switch {
		case debounce == nil:
			debounce = in.o.Clock.NewTimer(in.o.Debounce)
			pending, first = debounce.C(), now
		case pending == nil:
			debounce.Reset(in.o.Debounce)
			pending, first = debounce.C(), now
		case now.Sub(first)+in.o.Debounce <= in.o.MaxDelay:
			debounce.Reset(in.o.Debounce)
		}
	}
	defer func() {
		if debounce != nil {
			debounce.Stop()
		}
	}()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w != nil {
		events, errs = w.Events, w.Errors
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
				delete(watched, ev.Name) // inotify drops the watch; re-add if it comes back
			}
			if ev.Has(fsnotify.Create) {
				if info, err := os.Lstat(ev.Name); err == nil && info.IsDir() {
					watch(ev.Name) // a new project or session directory
					changed()
					continue
				}
			}
			if strings.HasSuffix(ev.Name, ".jsonl") && ev.Op&(fsnotify.Create|fsnotify.Write|fsnotify.Rename|fsnotify.Remove) != 0 {
				changed()
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				changed() // events were lost: read everything that changed
				continue
			}
			in.log.Warn("tokens: watching transcripts", "err", err)
		case <-in.kick:
			changed()
		case <-pending:
			pending = nil
			scan()
		case <-rescan.C():
			watchRoots()
			scan()
			rescan.Reset(in.o.Rescan)
		}
	}
}
