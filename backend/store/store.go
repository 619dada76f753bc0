// Package store is aimonitor's SQLite database: a pool of connections with
// numbered migrations, WAL, foreign keys, IMMEDIATE write transactions and a
// deadline on every connection take, so the widget and the daemon can share
// one file. It holds settings, history and keyring_ref pointers, never tokens.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitemigration"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/paths"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// appID marks the file as aimonitor's ("aimo"), so we refuse to migrate a
// foreign database by accident.
const appID = 0x61696d6f

const (
	// DefaultTakeTimeout bounds how long a caller waits for a connection when
	// its context has no deadline of its own.
	DefaultTakeTimeout = 10 * time.Second
	busyTimeout        = 5 * time.Second
)

// ErrBusy is returned when no connection could be had in time.
var ErrBusy = errors.New("the database is busy (another aimonitor process holds it); try again")

// Store is an open database.
type Store struct {
	waiting   atomic.Int32 // Write calls waiting for their transaction to start
	pool      *pool
	path      string
	closeOnce sync.Once
	closeErr  error
}

// Open creates (0600, in a 0700 directory) or opens the database at file and
// brings its schema up to date.
func Open(ctx context.Context, file string) (*Store, error) {
	if err := paths.CreatePrivate(file); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	pinAllocatorPages()
	p := newPool(file, sqlite.OpenReadWrite|sqlite.OpenCreate|sqlite.OpenWAL, 4, prepareConn) // no-mutex is implied
	// One connection is opened now, so a file SQLite cannot open fails Open;
	// the others only when they are needed.
	conn, err := p.take(ctx)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("store: opening %s: %w", file, err)
	}
	p.put(conn)
	s := &Store{pool: p, path: file}
	schema, err := loadSchema()
	if err != nil {
		p.close()
		return nil, err
	}
	err = s.withConn(ctx, func(conn *sqlite.Conn) error {
		// Migrate always writes (it sets application_id in a write
		// transaction, two fsyncs); a database already current is only read.
		if current, err := isCurrent(conn, schema); err != nil || current {
			return err
		}
		// Each migration commits on its own; in WAL mode NORMAL syncs at
		// checkpoints only, which still never corrupts the database (a
		// migration lost to a power cut runs again at the next start), and
		// a new database costs no sync per migration.
		if err := sqlitex.ExecuteTransient(conn, "PRAGMA synchronous = NORMAL", nil); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		defer sqlitex.ExecuteTransient(conn, "PRAGMA synchronous = FULL", nil)
		if err := sqlitemigration.Migrate(ctx, conn, schema); err != nil {
			return fmt.Errorf("store: %s: %w", file, err)
		}
		return nil
	})
	if err != nil {
		p.close()
		return nil, err
	}
	// WAL and SHM files inherit the database's mode, but tighten them in case
	// they predate us.
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = chmodIfExists(file+suffix, paths.FileMode)
	}
	return s, nil
}

// isCurrent reports whether the database has every migration of schema and
// is ours (its application_id).
func isCurrent(conn *sqlite.Conn, schema sqlitemigration.Schema) (bool, error) {
	var appID, version int32
	err := sqlitex.ExecuteTransient(conn, "SELECT * FROM pragma_application_id, pragma_user_version", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error {
			appID, version = stmt.ColumnInt32(0), stmt.ColumnInt32(1)
			return nil
		},
	})
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	return appID == schema.AppID && int(version) == len(schema.Migrations), nil
}

func prepareConn(conn *sqlite.Conn) error {
	// A second process waits for the write lock instead of failing at once.
	conn.SetBusyTimeout(busyTimeout)
	// foreign_keys has no effect inside a transaction or savepoint, so it is
	// set per connection here rather than in a migration.
	return sqlitex.ExecuteTransient(conn, "PRAGMA foreign_keys = ON;", nil)
}

func chmodIfExists(name string, mode os.FileMode) error {
	err := os.Chmod(name, mode)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close releases every connection; later calls are no-ops.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.pool.close() })
	return s.closeErr
}

// Read runs fn on a connection outside any write transaction.
func (s *Store) Read(ctx context.Context, fn func(conn *sqlite.Conn) error) error {
	return s.withConn(ctx, fn)
}

// WritersWaiting reports whether a Write in this process waits for its
// transaction to start. A long writer (the first scan of a large transcript
// history) ends its transaction early when one does, so an account switch
// is not held up behind it.
func (s *Store) WritersWaiting() bool { return s.waiting.Load() > 0 }

// Write runs fn inside an IMMEDIATE transaction: the write lock is taken up
// front, so two processes never deadlock upgrading a read to a write. fn's
// error rolls the transaction back.
func (s *Store) Write(ctx context.Context, fn func(conn *sqlite.Conn) error) error {
	return s.write(ctx, true, fn)
}

// WriteUnchecked is Write with foreign keys not enforced, for a bulk writer
// that creates every row it refers to in the same transaction (the token
// ledger): checking them costs two lookups per inserted row, about a tenth
// of a first transcript scan.
func (s *Store) WriteUnchecked(ctx context.Context, fn func(conn *sqlite.Conn) error) error {
	return s.write(ctx, false, fn)
}

func (s *Store) write(ctx context.Context, foreignKeys bool, fn func(conn *sqlite.Conn) error) error {
	s.waiting.Add(1)
	waiting := true
	defer func() {
		if waiting {
			s.waiting.Add(-1)
		}
	}()
	return s.withConn(ctx, func(conn *sqlite.Conn) error {
		return s.transaction(conn, foreignKeys, &waiting, fn)
	})
}

// transaction runs fn in an IMMEDIATE transaction on conn; *waiting is set
// false (and the waiting count dropped) once the lock is had or refused.
func (s *Store) transaction(conn *sqlite.Conn, foreignKeys bool, waiting *bool, fn func(conn *sqlite.Conn) error) (err error) {
	if !foreignKeys {
		// Only outside a transaction does this pragma take effect.
		if err := sqlitex.ExecuteTransient(conn, "PRAGMA foreign_keys = OFF", nil); err != nil {
			return fmt.Errorf("store: starting a write: %w", err)
		}
		defer sqlitex.ExecuteTransient(conn, "PRAGMA foreign_keys = ON", nil)
	}
	end, err := sqlitex.ImmediateTransaction(conn)
	s.waiting.Add(-1)
	*waiting = false
	if err != nil {
		return fmt.Errorf("store: starting a write: %w", err)
	}
	defer end(&err)
	return fn(conn)
}

// Held is one connection kept for a run of write transactions (a long
// scan). Its page cache stays valid from one transaction to the next: the
// pool hands out its connections in turn, so separate Writes would each
// find a connection whose cache the previous one made stale, free it and
// read the pages again.
type Held struct {
	s    *Store
	conn *sqlite.Conn
}

// Hold runs fn with one connection taken from the pool for its whole run.
// Other goroutines keep the rest of the pool, and between fn's
// transactions other processes and connections may write.
func (s *Store) Hold(ctx context.Context, fn func(h *Held) error) error {
	return s.withConn(ctx, func(conn *sqlite.Conn) error { return fn(&Held{s: s, conn: conn}) })
}

// Exec runs a statement outside a transaction (a pragma for the held
// connection, such as its cache size).
func (h *Held) Exec(query string) error {
	return sqlitex.ExecuteTransient(h.conn, query, nil)
}

// WriteUnchecked is Store.WriteUnchecked on the held connection.
func (h *Held) WriteUnchecked(fn func(conn *sqlite.Conn) error) error {
	h.s.waiting.Add(1)
	waiting := true
	defer func() {
		if waiting {
			h.s.waiting.Add(-1)
		}
	}()
	return h.s.transaction(h.conn, false, &waiting, fn)
}

func (s *Store) withConn(ctx context.Context, fn func(conn *sqlite.Conn) error) error {
	takeCtx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		takeCtx, cancel = context.WithTimeout(ctx, DefaultTakeTimeout)
		defer cancel()
	}
	conn, err := s.pool.take(takeCtx)
	if err != nil {
		if takeCtx.Err() != nil {
			return fmt.Errorf("store: %w", ErrBusy)
		}
		return fmt.Errorf("store: %w", err)
	}
	defer s.pool.put(conn)
	// The timeout bounds the wait for a connection, not the work: a long
	// write (the first scan of a large transcript history on a busy
	// machine) must not be interrupted by it. The caller's ctx still is.
	conn.SetInterrupt(ctx.Done())
	return fn(conn)
}

// loadSchema reads migrations/NNNN_*.sql in order and insists the numbers run
// 1, 2, 3… so a missing or duplicated file is caught at start-up.
func loadSchema() (sqlitemigration.Schema, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return sqlitemigration.Schema{}, fmt.Errorf("store: reading migrations: %w", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	schema := sqlitemigration.Schema{AppID: appID}
	for i, name := range names {
		num, _, _ := strings.Cut(name, "_")
		n, err := strconv.Atoi(num)
		if err != nil || n != i+1 {
			return schema, fmt.Errorf("store: migration %s is out of sequence (want number %d)", name, i+1)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join("migrations", name))
		if err != nil {
			return schema, fmt.Errorf("store: %w", err)
		}
		schema.Migrations = append(schema.Migrations, string(body))
	}
	return schema, nil
}
