package statusline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
	"github.com/aimonitor/aimonitor/backend/store"
)

// Refresher keeps the status line cache current from inside the process
// that polls. The poller rewrites the status row at every change and at
// least every heartbeat, and each write gives the database a new stamp, so
// without it nearly every line after a pause would miss the cache and pay
// for aimonitor-core's start. After each write the poller calls Refresh,
// which does what a status line does on a miss, on the poller's own pooled
// connection: the stamps, then the read, then the entry, written the same
// way. A line run next with the same inputs is then a hit.
//
// It only refreshes a cache that exists: a user who never ran the status
// line gets no file and no work beyond one stat.
type Refresher struct {
	db      *store.Store
	in      line.Inputs
	environ []string

	mu sync.Mutex
	// The configuration's style, loaded again only when config.yaml's
	// stamp moves (the environment's overrides cannot change in-process).
	cfgStamp  string
	style     line.Style
	badConfig bool
	configEnv []string
	// The login in .claude.json (megabytes of history to search), read
	// again only when the file's stamp moves.
	idStamp string
	id      *claudecode.Identity
}

// NewRefresher returns a Refresher for the status line cache of the
// environment environ (the poller's own), read from db.
func NewRefresher(db *store.Store, environ []string, goos string) (*Refresher, error) {
	in, err := line.Locate(paths.EnvIn(environ), goos)
	if err != nil {
		return nil, err
	}
	if in.DBFile != db.Path() {
		// Not the database a status line run here would read.
		return nil, fmt.Errorf("statusline: the store %s is not %s", db.Path(), in.DBFile)
	}
	return &Refresher{db: db, in: in, environ: environ, configEnv: config.EnvVars()}, nil
}

// Hook sets d.AfterPublish to refresh the cache after each publish of the
// status row (the daemon's and the widget's poller both call it). When the
// refresher cannot be made the poller runs as before.
func Hook(d *daemon.Deps, environ []string, goos string) error {
	r, err := NewRefresher(d.Store, environ, goos)
	if err != nil {
		return err
	}
	d.AfterPublish = r.Refresh
	return nil
}

// Refresh writes the cache entry a status line run at now would write,
// when a cache file exists. It is called after the status row's write has
// committed, and only reads.
func (r *Refresher) Refresh(ctx context.Context, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := os.Lstat(r.in.CacheFile); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	stamps := line.StampsOf(r.in) // before reading what they stamp, as a line does
	if s := line.FileStamp(r.in.ConfigFile); s != r.cfgStamp {
		r.style, r.badConfig = loadStyle(r.in.ConfigFile, r.environ)
		r.cfgStamp = s
	}
	e := &line.Entry{ConfigEnv: r.configEnv, Style: r.style, BadConfig: r.badConfig}
	src := Source{DBFile: r.in.DBFile, Claude: r.in.Claude, WithTokens: e.Style.WantsTokens(), Identity: r.identity}
	err := r.db.Read(ctx, func(conn *sqlite.Conn) (err error) {
		e.Stored, err = readOn(conn, src, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("statusline: refreshing the cache: %w", err)
	}
	return line.WriteCache(r.in, stamps, e, now)
}

// identity is claudecode.QuickIdentityFile, answered from the last read
// while path's stamp is the same.
func (r *Refresher) identity(path string) (*claudecode.Identity, error) {
	stamp := line.FileStamp(path) // before the read, as the cache's stamps
	if stamp == r.idStamp && stamp != "-" {
		return r.id, nil
	}
	id, err := claudecode.QuickIdentityFile(path)
	if err != nil {
		r.idStamp = ""
		return nil, err
	}
	r.id, r.idStamp = id, stamp
	return id, nil
}
