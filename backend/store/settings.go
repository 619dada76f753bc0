package store

import (
	"context"
	"fmt"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// GetSetting returns the value stored under key, and whether there was one.
func (s *Store) GetSetting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.Read(ctx, func(conn *sqlite.Conn) error {
		return sqlitex.Execute(conn, "SELECT value FROM settings WHERE key = ?", &sqlitex.ExecOptions{
			Args: []any{key},
			ResultFunc: func(stmt *sqlite.Stmt) error {
				value, ok = stmt.ColumnText(0), true
				return nil
			},
		})
	})
	if err != nil {
		return "", false, fmt.Errorf("store: reading setting %s: %w", key, err)
	}
	return value, ok, nil
}

// SetSetting stores value under key, replacing any previous value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.Write(ctx, func(conn *sqlite.Conn) error {
		return PutSetting(conn, key, value, time.Now())
	})
}

// PutSetting writes a setting on a connection the caller already holds (for
// use inside a larger Write).
func PutSetting(conn *sqlite.Conn, key, value string, now time.Time) error {
	err := sqlitex.Execute(conn, `INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		&sqlitex.ExecOptions{Args: []any{key, value, now.UnixMilli()}})
	if err != nil {
		return fmt.Errorf("store: writing setting %s: %w", key, err)
	}
	return nil
}
