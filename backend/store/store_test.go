package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

func open(t *testing.T, file string) *Store {
	t.Helper()
	s, err := Open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenCreatesPrivateFilesAndMigrates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "aimonitor")
	file := filepath.Join(dir, "aimonitor.db")
	s := open(t, file)
	ctx := context.Background()
	if err := s.SetSetting(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.GetSetting(ctx, "k")
	if err != nil || !ok || v != "v" {
		t.Fatalf("got %q %v %v", v, ok, err)
	}
	if _, ok, _ := s.GetSetting(ctx, "missing"); ok {
		t.Fatal("missing key reported present")
	}
	for _, f := range []string{file, file + "-wal", file + "-shm"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %o", f, st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %o", st.Mode().Perm())
	}
	var mode string
	var fk int
	s.Read(ctx, func(conn *sqlite.Conn) error {
		sqlitex.ExecuteTransient(conn, "PRAGMA journal_mode", &sqlitex.ExecOptions{ResultFunc: func(st *sqlite.Stmt) error { mode = st.ColumnText(0); return nil }})
		return sqlitex.ExecuteTransient(conn, "PRAGMA foreign_keys", &sqlitex.ExecOptions{ResultFunc: func(st *sqlite.Stmt) error { fk = st.ColumnInt(0); return nil }})
	})
	if mode != "wal" || fk != 1 {
		t.Fatalf("journal_mode=%s foreign_keys=%d", mode, fk)
	}
	// Reopening runs no migration twice.
	s.Close()
	s2 := open(t, file)
	if v, _, _ := s2.GetSetting(ctx, "k"); v != "v" {
		t.Fatal("value lost across reopen")
	}
}

func TestWriteRollsBackOnError(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "a.db"))
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Write(ctx, func(conn *sqlite.Conn) error {
		if err := PutSetting(conn, "x", "1", time.Now()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if _, ok, _ := s.GetSetting(ctx, "x"); ok {
		t.Fatal("write was not rolled back")
	}
}

func TestTakeHonoursDeadline(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "a.db"))
	ctx := context.Background()
	// Hold every connection, then ask for one more with a short deadline.
	var held []*sqlite.Conn
	for i := 0; i < 4; i++ {
		c, err := s.pool.take(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := s.Read(short, func(*sqlite.Conn) error { return nil })
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("want ErrBusy, got %v", err)
	}
	for _, c := range held {
		s.pool.put(c)
	}
}

func TestRefusesForeignDatabase(t *testing.T) {
	file := filepath.Join(t.TempDir(), "other.db")
	conn, err := sqlite.OpenConn(file)
	if err != nil {
		t.Fatal(err)
	}
	sqlitex.ExecuteTransient(conn, "PRAGMA application_id = 12345", nil)
	sqlitex.ExecuteTransient(conn, "CREATE TABLE t(x)", nil)
	conn.Close()
	if _, err := Open(context.Background(), file); err == nil {
		t.Fatal("opened another application's database")
	}
}

func TestMigrationsAreNumberedInSequence(t *testing.T) {
	if _, err := loadSchema(); err != nil {
		t.Fatal(err)
	}
}

// Two processes (this test binary re-executed) write the same file at once:
// every write lands, none fails with "database is locked".
func TestTwoProcessesWrite(t *testing.T) {
	if os.Getenv("STORE_CHILD") != "" {
		return
	}
	file := filepath.Join(t.TempDir(), "shared.db")
	open(t, file).Close()
	const perProc = 150
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for p := 0; p < 2; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestChildWriter$")
			cmd.Env = append(os.Environ(), "STORE_CHILD=1", "STORE_FILE="+file, "STORE_PREFIX=p"+strconv.Itoa(p), "STORE_N="+strconv.Itoa(perProc))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("child %d: %v\n%s", p, err, out)
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := open(t, file)
	var n int
	s.Read(context.Background(), func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, "SELECT count(*) FROM settings", &sqlitex.ExecOptions{ResultFunc: func(st *sqlite.Stmt) error { n = st.ColumnInt(0); return nil }})
	})
	if n != 2*perProc+1 { // +1: the shared counter
		t.Fatalf("rows %d, want %d", n, 2*perProc+1)
	}
	v, _, _ := s.GetSetting(context.Background(), "counter")
	if v != strconv.Itoa(2*perProc) {
		t.Fatalf("counter %s, want %d (a lost update)", v, 2*perProc)
	}
}

func TestChildWriter(t *testing.T) {
	file := os.Getenv("STORE_FILE")
	if os.Getenv("STORE_CHILD") == "" || file == "" {
		t.Skip("helper for TestTwoProcessesWrite")
	}
	s := open(t, file)
	n, _ := strconv.Atoi(os.Getenv("STORE_N"))
	ctx := context.Background()
	for i := 0; i < n; i++ {
		// read-modify-write of a shared counter: only safe in IMMEDIATE mode.
		err := s.Write(ctx, func(conn *sqlite.Conn) error {
			cur := 0
			sqlitex.Execute(conn, "SELECT value FROM settings WHERE key='counter'", &sqlitex.ExecOptions{ResultFunc: func(st *sqlite.Stmt) error { cur, _ = strconv.Atoi(st.ColumnText(0)); return nil }})
			if err := PutSetting(conn, "counter", strconv.Itoa(cur+1), time.Now()); err != nil {
				return err
			}
			return PutSetting(conn, os.Getenv("STORE_PREFIX")+"-"+strconv.Itoa(i), "v", time.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// WriteUnchecked skips foreign-key checks in its own transaction only: the
// connection goes back to the pool enforcing them.
func TestWriteUncheckedRestoresForeignKeys(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "a.db"))
	ctx := context.Background()
	orphan := func(conn *sqlite.Conn) error {
		return sqlitex.ExecuteTransient(conn, `INSERT INTO token_files(path, project_id, size, mtime_ns, inode, consumed, tail_hash)
			VALUES ('x', 999, 0, 0, 0, 0, 0)`, nil)
	}
	if err := s.WriteUnchecked(ctx, func(conn *sqlite.Conn) error {
		if err := orphan(conn); err != nil {
			return err
		}
		return sqlitex.ExecuteTransient(conn, `DELETE FROM token_files`, nil)
	}); err != nil {
		t.Fatalf("unchecked write: %v", err)
	}
	// Every pooled connection enforces them again.
	for i := 0; i < 8; i++ {
		if err := s.Write(ctx, orphan); err == nil {
			t.Fatal("a write with a dangling reference succeeded after WriteUnchecked")
		}
	}
}

// Opening a database whose schema is current only reads it: another
// connection sees no commit (sqlitemigration alone would write
// application_id, with two fsyncs, on every start of every command).
func TestOpenOfCurrentDatabaseWritesNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.db")
	s := open(t, file)
	conn, err := s.pool.take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.pool.put(conn)
	// data_version changes when another connection commits.
	version := func() (v int64) {
		sqlitex.ExecuteTransient(conn, "PRAGMA data_version", &sqlitex.ExecOptions{ResultFunc: func(st *sqlite.Stmt) error { v = st.ColumnInt64(0); return nil }})
		return v
	}
	before := version()
	open(t, file)
	if v := version(); v != before {
		t.Fatalf("opening a current database committed a write (data_version %d -> %d)", before, v)
	}
	if err := sqlitex.ExecuteTransient(conn, "PRAGMA user_version = 1", nil); err != nil {
		t.Fatal(err)
	}
	// A database behind the schema is still migrated (here migration 2
	// fails: its tables exist).
	if _, err := Open(context.Background(), file); err == nil {
		t.Fatal("a database at schema version 1 opened without migrating")
	}
}

// A held connection runs one transaction after another while the rest of
// the pool serves other writers between them.
func TestHeldConnection(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "a.db"))
	ctx := context.Background()
	err := s.Hold(ctx, func(h *Held) error {
		if err := h.Exec("PRAGMA cache_size = -4096"); err != nil {
			return err
		}
		for i := range 3 {
			if err := h.WriteUnchecked(func(conn *sqlite.Conn) error {
				return sqlitex.Execute(conn, "INSERT INTO settings(key, value, updated_at) VALUES (?, 'held', 0)", &sqlitex.ExecOptions{Args: []any{fmt.Sprint("h", i)}})
			}); err != nil {
				return err
			}
			if err := s.SetSetting(ctx, fmt.Sprint("o", i), "other"); err != nil {
				return err
			}
		}
		return h.WriteUnchecked(func(conn *sqlite.Conn) error { return errors.New("rolled back") })
	})
	if err == nil || err.Error() != "rolled back" {
		t.Fatalf("held writes: %v", err)
	}
	for _, k := range []string{"h0", "h2", "o0", "o2"} {
		if _, ok, err := s.GetSetting(ctx, k); !ok || err != nil {
			t.Fatalf("%s missing: %v", k, err)
		}
	}
}

// Connections are opened as they are needed, up to four.
func TestPoolOpensConnectionsOnDemand(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "a.db"))
	ctx := context.Background()
	for range 3 {
		if _, _, err := s.GetSetting(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if n := opened(s); n != 1 {
		t.Fatalf("%d connections open after one-at-a-time reads, want 1", n)
	}
	// Four readers at once, each waiting for the others: four connections.
	var wg sync.WaitGroup
	in := make(chan struct{}, 4)
	release := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Read(ctx, func(*sqlite.Conn) error {
				in <- struct{}{}
				<-release
				return nil
			})
		}()
	}
	for range 4 {
		<-in
	}
	close(release)
	wg.Wait()
	if n := opened(s); n != 4 {
		t.Fatalf("%d connections open after four concurrent reads, want 4", n)
	}
}

func opened(s *Store) int {
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	return s.pool.opened
}
