package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/store"
)

// dbAccount is what the checks need of a saved account.
type dbAccount struct {
	ID            int64
	Label         string
	Email         string
	OrgName       string
	AccountUUID   string
	OrgUUID       string
	KeyringRef    string
	NeedsRelogin  bool
	ReloginReason string
}

func (a dbAccount) String() string { return fmt.Sprintf("%q (%s)", a.Label, a.Email) }

// dbState is what the database says, for the later checks. nil: the
// database could not be read.
type dbState struct {
	exists   bool
	accounts []dbAccount
	status   *daemon.Document
}

// checkDatabase checks the data directory and the database, reading it
// through a read-only connection: doctor must not migrate it or fix its
// mode behind the user's back.
func checkDatabase(ctx context.Context, r *Report, p paths.Paths) *dbState {
	if filepath.Base(p.DataDir) == paths.AppName {
		if fi, err := os.Stat(p.DataDir); err == nil {
			checkMode(r, AreaDatabase, "the data directory", p.DataDir, fi.Mode(), true)
		}
	}
	file := p.DBFile
	fi, err := os.Stat(file)
	if errors.Is(err, fs.ErrNotExist) {
		r.add(AreaDatabase, OK, fmt.Sprintf("no database yet at %s: aimonitor creates it on first use", file), "")
		return &dbState{}
	}
	if err != nil {
		r.add(AreaDatabase, Fail, fmt.Sprintf("cannot read %s: %v", file, err), "chmod 600 "+shellQuote(file))
		return nil
	}
	// The database and its WAL companions: one line, one fix.
	var loose, readOnly []string
	existed := map[string]fs.FileMode{}
	for _, f := range []string{file, file + "-wal", file + "-shm"} {
		fi := fi
		if f != file {
			var err error
			if fi, err = os.Stat(f); err != nil {
				continue
			}
			existed[f] = fi.Mode().Perm()
		}
		switch perm := fi.Mode().Perm(); {
		case perm&0o077 != 0:
			loose = append(loose, fmt.Sprintf("%s (mode %04o)", filepath.Base(f), perm))
			readOnly = append(readOnly, shellQuote(f))
		case perm&0o600 != 0o600:
			readOnly = append(readOnly, shellQuote(f))
		}
	}
	switch {
	case len(loose) > 0:
		r.add(AreaDatabase, Fail, "the database can be read by other users: "+strings.Join(loose, ", ")+
			"; it holds your account e-mails and usage history", "chmod 600 "+strings.Join(readOnly, " "))
	case len(readOnly) > 0:
		r.add(AreaDatabase, Warn, "the database is not writable by you, so aimonitor cannot save anything",
			"chmod 600 "+strings.Join(readOnly, " "))
	default:
		r.add(AreaDatabase, OK, fmt.Sprintf("the database %s is private (mode %04o)", file, fi.Mode().Perm()), "")
	}

	conn, err := sqlite.OpenConn(file, sqlite.OpenReadOnly)
	if err != nil {
		r.add(AreaDatabase, Fail, fmt.Sprintf("the database %s cannot be opened: %v", file, err), movedAsideFix(file))
		return nil
	}
	defer func() {
		conn.Close()
		// A reader creates the WAL files if they are missing, and SQLite
		// gives them the database's mode: put back what was there, and
		// keep what the reader created private.
		for _, f := range []string{file + "-wal", file + "-shm"} {
			mode, ok := existed[f]
			if !ok {
				mode = paths.FileMode
			}
			if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != mode {
				_ = os.Chmod(f, mode)
			}
		}
	}()
	conn.SetBusyTimeout(store.DefaultTakeTimeout)
	wantApp, wantVersion, err := currentSchema(ctx)
	if err != nil {
		r.add(AreaDatabase, Warn, "could not work out the schema this aimonitor uses: "+err.Error(), "")
		return nil
	}
	app, err := pragmaInt(conn, "application_id")
	if err != nil {
		r.add(AreaDatabase, Fail, fmt.Sprintf("the database %s cannot be read: %v", file, err), movedAsideFix(file))
		return nil
	}
	if app != wantApp {
		r.add(AreaDatabase, Fail, fmt.Sprintf("%s is not an aimonitor database", file), movedAsideFix(file))
		return nil
	}
	version, err := pragmaInt(conn, "user_version")
	if err != nil {
		r.add(AreaDatabase, Fail, fmt.Sprintf("the database %s cannot be read: %v", file, err), movedAsideFix(file))
		return nil
	}
	switch {
	case version > wantVersion:
		r.add(AreaDatabase, Fail, fmt.Sprintf("the database was written by a newer aimonitor (schema %d; this one knows %d)", version, wantVersion),
			"update aimonitor to the version that wrote it")
		return nil
	case version < wantVersion:
		r.add(AreaDatabase, Warn, fmt.Sprintf("the database schema is %d of %d: it is brought up to date the next time aimonitor opens it", version, wantVersion),
			"run any aimonitor command (for example `aimonitor list`)")
		return &dbState{exists: true}
	}
	st := &dbState{exists: true}
	err = sqlitex.ExecuteTransient(conn, `SELECT id, label, email, org_name, account_uuid, org_uuid, keyring_ref,
		needs_relogin, relogin_reason FROM accounts ORDER BY id`, &sqlitex.ExecOptions{
		ResultFunc: func(s *sqlite.Stmt) error {
			st.accounts = append(st.accounts, dbAccount{ID: s.ColumnInt64(0), Label: s.ColumnText(1), Email: s.ColumnText(2),
				OrgName: s.ColumnText(3), AccountUUID: s.ColumnText(4), OrgUUID: s.ColumnText(5), KeyringRef: s.ColumnText(6),
				NeedsRelogin: s.ColumnInt64(7) != 0, ReloginReason: s.ColumnText(8)})
			return nil
		}})
	if err != nil {
		r.add(AreaDatabase, Fail, fmt.Sprintf("reading the accounts from %s: %v", file, err), movedAsideFix(file))
		return nil
	}
	var raw string
	err = sqlitex.ExecuteTransient(conn, "SELECT value FROM settings WHERE key = ?", &sqlitex.ExecOptions{
		Args:       []any{daemon.StatusKey},
		ResultFunc: func(s *sqlite.Stmt) error { raw = s.ColumnText(0); return nil }})
	if err == nil && raw != "" {
		var doc daemon.Document
		if json.Unmarshal([]byte(raw), &doc) == nil {
			st.status = &doc
		}
	}
	r.add(AreaDatabase, OK, fmt.Sprintf("the database opens, its schema is current (%d) and it holds %d saved accounts", version, len(st.accounts)), "")
	return st
}

func movedAsideFix(file string) string {
	return fmt.Sprintf("quit aimonitor and move %s aside; aimonitor starts a new database (the accounts must then be added again, or imported from a backup)", shellQuote(file))
}

func pragmaInt(conn *sqlite.Conn, name string) (int64, error) {
	var v int64
	err := sqlitex.ExecuteTransient(conn, "PRAGMA "+name+";", &sqlitex.ExecOptions{
		ResultFunc: func(s *sqlite.Stmt) error { v = s.ColumnInt64(0); return nil }})
	return v, err
}

// currentSchema is the application id and schema version this build's
// store writes, read from a scratch database it creates: the store keeps
// both to itself.
func currentSchema(ctx context.Context) (app, version int64, err error) {
	dir, err := os.MkdirTemp("", "aimonitor-doctor-*")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	s, err := store.Open(ctx, filepath.Join(dir, "schema.db"))
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	err = s.Read(ctx, func(conn *sqlite.Conn) error {
		if app, err = pragmaInt(conn, "application_id"); err != nil {
			return err
		}
		version, err = pragmaInt(conn, "user_version")
		return err
	})
	return app, version, err
}
