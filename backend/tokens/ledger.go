package tokens

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// Options configure a Ledger.
type Options struct {
	// Roots are the transcript directories (DefaultRoots gives the usual ones).
	Roots []string
	// Log receives one debug line per scan; nil discards.
	Log *slog.Logger
	// Workers parse files in parallel; 0 means one per CPU.
	Workers int
	// BatchBytes bounds how much transcript text one write transaction
	// covers, and so the memory a scan holds; 0 means 256 MB.
	BatchBytes int64
	// BeforeRead, if not nil, is called by a parse worker before it reads
	// each file and returns when the worker may go on: a test's way to keep
	// a scan in progress (the widget's end-to-end test, in its sandbox).
	BeforeRead func(ctx context.Context)
	// Snapshot, if not nil, has each scan write the snapshot the
	// launcher's warm path answers from (snapshot.go).
	Snapshot *SnapshotOptions
	// Listing, if not nil, is a listing of Roots started earlier
	// (Prelist); the first Scan uses it instead of listing again.
	Listing *Listing
}

// Listing is a listing of the transcripts under way (Prelist).
type Listing struct {
	roots []string
	done  chan struct{}
	tree  *warm.Tree
	files []fileInfo
	err   error
}

// Prelist starts listing the transcripts under roots on other goroutines,
// for the first Scan of a Ledger over the same roots (Options.Listing): a
// command that opens the database meanwhile (a first one creates it) lists
// the tree at the same time. A file that changes after the listing is read
// by the next scan, as one that changes after a scan's own listing is.
func Prelist(roots []string) *Listing {
	pl := &Listing{roots: append([]string(nil), roots...), done: make(chan struct{})}
	go func() {
		defer close(pl.done)
		pl.tree, pl.files, pl.err = listFiles(pl.roots)
	}()
	return pl
}

// Ledger is the token accounting over one database.
type Ledger struct {
	db         *store.Store
	roots      []string
	log        *slog.Logger
	workers    int
	batchBytes int64
	beforeRead func(ctx context.Context)
	snapshot   *SnapshotOptions
	listing    *Listing   // Options.Listing until the first scan takes it
	pricingFP  string     // identifies the pricing table and the build (its renderer) in report cache keys
	scanMu     sync.Mutex // one scan at a time in this process
}

// New returns a Ledger over db reading opts.Roots.
func New(db *store.Store, opts Options) *Ledger {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 256 << 20
	}
	return &Ledger{db: db, roots: append([]string(nil), opts.Roots...), log: opts.Log,
		workers: opts.Workers, batchBytes: opts.BatchBytes, beforeRead: opts.BeforeRead, snapshot: opts.Snapshot.withDefaults(),
		listing: opts.Listing, pricingFP: warm.PricingFingerprint() + "|" + warm.BuildID()}
}

// Roots are the directories the ledger reads.
func (l *Ledger) Roots() []string { return append([]string(nil), l.roots...) }

// Progress is reported while a scan runs.
type Progress struct {
	FilesTotal int   // files to read in this scan
	FilesDone  int   // of those, read so far
	BytesTotal int64 // bytes to read
	BytesDone  int64
}

// ScanStats describe one scan.
type ScanStats struct {
	Files      int   // transcripts found
	Read       int   // files read because they were new or had changed
	Restarted  int   // of those, read again from the start (truncated, replaced or rewritten)
	Bytes      int64 // bytes read
	Entries    int   // usage entries parsed
	Added      int   // responses counted for the first time
	Improved   int   // responses whose counted copy was replaced by a better one
	Unreadable int   // files that could not be read (tried again next scan)
	Duration   time.Duration
}

// maxTxn bounds how long one write transaction of a scan holds the lock;
// maxIdle how long it stays open waiting for the parsers.
const (
	maxTxn  = time.Second
	maxIdle = 20 * time.Millisecond
)

// bulkBytes is the size of a scan (bytes to read) from which it relaxes
// syncing and checkpoints while it writes.
var bulkBytes int64 = 32 << 20 // a variable for tests

// fileState is a token_files row.
type fileState struct {
	id                      int64
	size, mtimeNS, consumed int64
	inode                   uint64
	tail                    int64
}

// Scan reads whatever is new in the transcripts and records it. Files that
// did not change since the last scan are not opened. onProgress, if not nil,
// is called from Scan's goroutine after each file.
//
// Files are parsed on l.workers goroutines while Scan's own goroutine writes
// what they found, so parsing and the database work overlap; a transaction
// covers at most BatchBytes of input, which bounds both memory and how long
// other aimonitor processes wait for the database.
func (l *Ledger) Scan(ctx context.Context, onProgress func(Progress)) (ScanStats, error) {
	l.scanMu.Lock()
	defer l.scanMu.Unlock()
	var tree *warm.Tree
	st, err := l.scan(ctx, onProgress, &tree)
	l.afterScan(ctx, tree, st, err) // snapshot.go
	return st, err
}

// scan is Scan under scanMu; *listed is set to the tree it listed.
func (l *Ledger) scan(ctx context.Context, onProgress func(Progress), listed **warm.Tree) (ScanStats, error) {
	start := time.Now()
	var st ScanStats
	tree, files, err := l.list()
	if err != nil {
		return st, err
	}
	*listed = tree
	st.Files = len(files)
	known, err := l.fileStates(ctx)
	if err != nil {
		return st, err
	}
	var jobs []readJob
	var prog Progress
	for i, f := range files {
		s, ok := known[f.path]
		switch {
		case !ok, s.inode != f.inode, f.size < s.consumed:
			jobs = append(jobs, readJob{idx: i})
			if ok {
				st.Restarted++
			}
		case f.size == s.size && f.mtimeNS == s.mtimeNS:
			continue // unchanged
		default:
			jobs = append(jobs, readJob{idx: i, from: s.consumed, wantTail: s.tail})
		}
		prog.BytesTotal += f.size - jobs[len(jobs)-1].from
	}
	prog.FilesTotal = len(jobs)
	st.Read = len(jobs)
	if len(jobs) == 0 {
		st.Duration = time.Since(start)
		return st, nil
	}
	if onProgress != nil {
		onProgress(prog)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := l.parse(ctx, files, jobs)
	fileIDs := make(map[string]int64, len(known))
	for path, s := range known {
		fileIDs[path] = s.id
	}
	// One connection for the whole scan, so each transaction finds the
	// pages the last one left in its cache.
	err = l.db.Hold(ctx, func(h *store.Held) error {
		// A transaction larger than SQLite's default 2 MB page cache spills
		// pages to the WAL and writes them again; let the cache hold a
		// scan's working set, and give the memory back after.
		settings := []string{"PRAGMA cache_size = -8192"}
		restore := []string{"PRAGMA cache_size = -2000"}
		if prog.BytesTotal >= bulkBytes {
			// A large scan (a first one) does not sync its commits one by
			// one, and copies the WAL into the database once, at the end,
			// instead of after every 4 MB: it rewrites the same index pages
			// in every transaction, and each sync is a wait. A crash or
			// power loss can lose its last transactions, never corrupt the
			// database; each transaction records the files' offsets with
			// their responses, so what is lost is read again next time.
			settings = append(settings, "PRAGMA synchronous = NORMAL", "PRAGMA wal_autocheckpoint = 0")
			restore = append(restore, "PRAGMA synchronous = FULL", "PRAGMA wal_autocheckpoint = 1000",
				"PRAGMA wal_checkpoint(TRUNCATE)") // and leave no large WAL file behind
		}
		for _, q := range settings {
			if err := h.Exec(q); err != nil {
				return fmt.Errorf("saving token usage: %w", err)
			}
		}
		defer func() {
			for _, q := range restore {
				h.Exec(q)
			}
		}()
		return l.writeAll(ctx, h, results, fileIDs, &st, &prog, onProgress)
	})
	st.Duration = time.Since(start)
	if err != nil {
		return st, err
	}
	l.log.Debug("tokens: scanned transcripts", "files", st.Files, "read", st.Read, "bytes", st.Bytes,
		"entries", st.Entries, "added", st.Added, "improved", st.Improved, "took", st.Duration)
	return st, nil
}

// list lists the transcripts, or takes the listing Options.Listing started.
func (l *Ledger) list() (*warm.Tree, []fileInfo, error) {
	if pl := l.listing; pl != nil {
		l.listing = nil
		if slices.Equal(pl.roots, l.roots) {
			<-pl.done
			return pl.tree, pl.files, pl.err
		}
	}
	return listFiles(l.roots)
}

// writeAll records the parse results in transactions on h.
func (l *Ledger) writeAll(ctx context.Context, h *store.Held, results <-chan *parsed, fileIDs map[string]int64,
	st *ScanStats, prog *Progress, onProgress func(Progress)) error {
	var fresh freshLedger
	var queue insertQueue
	// While the parsers are behind, the writer waits outside a transaction,
	// so a scan held up by a slow disk or a busy machine does not hold the
	// database. Inside one it waits at most maxIdle for the next file.
	idle := time.NewTimer(maxIdle)
	defer idle.Stop()
	var next *parsed
	for first := true; ; first = false {
		if next == nil {
			select {
			case next = <-results:
			case <-ctx.Done():
				return ctx.Err()
			}
			if next == nil {
				return nil // all written
			}
		}
		var batchBytes int64
		txStart := time.Now()
		done := false
		err := l.write(h, &fresh, &queue, first, fileIDs, func(m *merger) error {
			// A transaction ends after BatchBytes of input, after maxTxn,
			// or as soon as another writer of this process waits: others
			// must not wait on a long scan (another process's writer
			// waits at most the busy timeout, 5 s).
			for batchBytes < l.batchBytes && time.Since(txStart) < maxTxn && (batchBytes == 0 || !l.db.WritersWaiting()) {
				r := next
				next = nil
				if r == nil {
					idle.Reset(maxIdle)
					select {
					case r = <-results:
					case <-idle.C:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
					if r == nil {
						done = true
						return nil
					}
				}
				if r.err != nil {
					// One unreadable transcript must not stop the rest; its
					// state is not saved, so the next scan tries it again. A
					// file deleted since it was listed is no news at all.
					if !errors.Is(r.err, fs.ErrNotExist) {
						l.log.Warn("tokens: cannot read a transcript", "path", r.file.path, "err", r.err)
						st.Unreadable++
					}
					continue
				}
				if err := m.file(r); err != nil {
					return err
				}
				batchBytes += r.eof - r.from
				if r.from == 0 && r.job.from > 0 {
					st.Restarted++
				}
				st.Bytes += r.eof - r.from
				st.Entries += r.entries
				prog.FilesDone++
				prog.BytesDone += r.file.size - r.job.from
				if onProgress != nil {
					onProgress(*prog)
				}
			}
			return nil
		}, st)
		if err != nil || done {
			return err
		}
		// Let a writer that made this transaction end go first: SQLite's
		// lock is not fair, and the scan would otherwise take it again.
		for l.db.WritersWaiting() && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}
}

// parsed is one file's parse, ready to merge.
type parsed struct {
	readResult
	file    fileInfo
	job     readJob
	keys    []keyed
	entries int
}

// keyed is a response with the hash of its dedupe key, computed by the
// parser goroutines so the writer has less to do.
type keyed struct {
	id   int64
	fact fact
}

// parse reads jobs on l.workers goroutines, largest files first, and sends
// each file's result as it is done. The channel closes when all are sent or
// ctx ends.
func (l *Ledger) parse(ctx context.Context, files []fileInfo, jobs []readJob) <-chan *parsed {
	sortJobs(jobs, files)
	// Workers take the next job by counting, not from a channel fed by
	// another goroutine: one wake-up less per file.
	var next atomic.Int64
	// Room for a few files' results, so parsing goes on while the writer
	// waits on a commit.
	out := make(chan *parsed, 4*l.workers)
	var wg sync.WaitGroup
	for w := 0; w < min(l.workers, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r reader
			for {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) || ctx.Err() != nil {
					return
				}
				j := jobs[k]
				if l.beforeRead != nil {
					if l.beforeRead(ctx); ctx.Err() != nil {
						return
					}
				}
				f := files[j.idx]
				res, entries := r.read(f.path, j)
				p := &parsed{readResult: res, file: f, job: j, entries: len(entries)}
				p.keys = r.keyEntries(f.path, entries)
				select {
				case out <- p:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// keyEntries settles the copies within one file (they sit on adjacent lines)
// and computes every response's key.
func (r *reader) keyEntries(path string, entries []fileEntry) []keyed {
	out := make([]keyed, 0, len(entries)/2+1)
	if r.index == nil {
		r.index = map[int64]int{}
	}
	index := r.index
	clear(index)
	for i := range entries {
		e := &entries[i]
		f := fact{ts: e.Time, model: e.Model, sidechain: e.Sidechain, class: classOf(&e.Entry), usage: e.Usage, cost: e.CostUSD}
		h := keyHash(dedupeKey(path, e))
		if k, ok := index[h]; ok {
			if better(&f, &out[k].fact) {
				out[k].fact = f
			}
			continue
		}
		index[h] = len(out)
		out = append(out, keyed{id: h, fact: f})
	}
	return out
}

func (l *Ledger) fileStates(ctx context.Context) (map[string]fileState, error) {
	out := map[string]fileState{}
	err := l.db.Read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT path, id, size, mtime_ns, inode, consumed, tail_hash FROM token_files`)
		defer stmt.Reset()
		for {
			row, err := stmt.Step()
			if err != nil || !row {
				return err
			}
			out[stmt.ColumnText(0)] = fileState{id: stmt.ColumnInt64(1), size: stmt.ColumnInt64(2),
				mtimeNS: stmt.ColumnInt64(3), inode: uint64(stmt.ColumnInt64(4)), consumed: stmt.ColumnInt64(5),
				tail: stmt.ColumnInt64(6)}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("reading the token ledger: %w", err)
	}
	return out, nil
}

// ParseOnly reads and parses every transcript under roots as a first scan
// does, on workers goroutines, and records nothing: the floor a scan's
// ledger work sits on, for benchmarks (bench/tokens/run.sh).
func ParseOnly(ctx context.Context, roots []string, workers int) (ScanStats, error) {
	start := time.Now()
	var st ScanStats
	_, files, err := listFiles(roots)
	if err != nil {
		return st, err
	}
	jobs := make([]readJob, len(files))
	for i := range files {
		jobs[i] = readJob{idx: i}
	}
	l := New(nil, Options{Roots: roots, Workers: workers})
	for r := range l.parse(ctx, files, jobs) {
		st.Files++
		st.Bytes += r.eof - r.from
		st.Entries += r.entries
		st.Added += len(r.keys)
	}
	st.Read = st.Files
	st.Duration = time.Since(start)
	return st, ctx.Err()
}
