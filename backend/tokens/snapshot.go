package tokens

import (
	"bytes"
	"context"
	"fmt"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// SnapshotOptions have every scan leave the snapshot (package warm) from
// which the launcher answers `aimonitor tokens` without the database when
// no transcript changed.
type SnapshotOptions struct {
	// Path is the snapshot file: warm.SnapshotName beside the database.
	Path string
	// Build identifies the binary (warm.BuildID, the default); with none,
	// no snapshot is written and an old one is removed.
	Build string
	// ConfigStamp returns the warm.FileStamp of the configuration file
	// when that file loads without errors (and without the environment's
	// overrides), "" otherwise; nil means "".
	ConfigStamp func() string
}

func (o *SnapshotOptions) withDefaults() *SnapshotOptions {
	if o == nil || o.Path == "" {
		return nil
	}
	c := *o
	if c.Build == "" {
		c.Build = warm.BuildID()
	}
	return &c
}

// afterScan writes the snapshot of a scan that read everything it had to,
// or removes the old one: after a failed scan, or one that left a file
// unread, no snapshot may claim the ledger is current.
func (l *Ledger) afterScan(ctx context.Context, tree *warm.Tree, st ScanStats, scanErr error) {
	o := l.snapshot
	if o == nil {
		return
	}
	if scanErr == nil && tree != nil && st.Unreadable == 0 && o.Build != "" {
		err := l.writeSnapshot(ctx, o, tree, st.Read == 0)
		if err == nil {
			return
		}
		l.log.Debug("tokens: could not write the snapshot", "err", err)
	}
	if err := warm.RemoveSnapshot(o.Path); err != nil {
		l.log.Debug("tokens: could not remove the snapshot", "err", err)
	}
}

// writeSnapshot records tree and the ledger's aggregates. When the scan
// read nothing, a snapshot already current is left as it is.
func (l *Ledger) writeSnapshot(ctx context.Context, o *SnapshotOptions, tree *warm.Tree, readNothing bool) error {
	s := &warm.Snapshot{Build: o.Build, Ledger: warm.FileIdentity(l.db.Path()), Tree: tree}
	if o.ConfigStamp != nil {
		s.Config = o.ConfigStamp()
	}
	var old *warm.Snapshot
	if readNothing {
		if prev, err := warm.ReadSnapshot(o.Path); err == nil && prev.Build == s.Build && prev.Ledger == s.Ledger &&
			prev.Config == s.Config && prev.Tree.Equal(tree) {
			old = prev
		}
	}
	var data []byte
	err := l.db.Read(ctx, func(conn *sqlite.Conn) error {
		var err error
		if s.Generation, err = generation(conn); err != nil || (old != nil && old.Generation == s.Generation) {
			return err
		}
		if s.Dims, err = loadDimNames(conn); err != nil {
			return err
		}
		// The rows go straight from the database into the encoding.
		data, err = s.EncodeFrom(func(fn func(*warm.UsageRow)) error { return scanUsage(conn, -1<<62, 1<<62, fn) })
		return err
	})
	if err != nil {
		return fmt.Errorf("reading the ledger for its snapshot: %w", err)
	}
	if data == nil {
		return nil // current
	}
	return warm.WriteSnapshotData(o.Path, data)
}

// Answer is what `aimonitor tokens` prints for q: the report as indented
// JSON (asJSON) or as a table, through warm.Print, the code the launcher
// prints with. The answer is remembered in the snapshot when that holds
// the rows it was computed from, so the launcher can print it again.
func (l *Ledger) Answer(ctx context.Context, q Query, asJSON bool) ([]byte, error) {
	rep, raw, gen, err := l.report(ctx, q)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := warm.Print(&out, rep, raw, asJSON); err != nil {
		return nil, err
	}
	if err := l.remember(q, asJSON, gen, out.Bytes()); err != nil {
		l.log.Debug("tokens: could not remember an answer in the snapshot", "err", err)
	}
	return out.Bytes(), nil
}

// remember adds an answer computed at generation gen to the snapshot, if
// the snapshot is of that generation (of this build, over this database).
func (l *Ledger) remember(q Query, asJSON bool, gen int64, out []byte) error {
	o := l.snapshot
	if o == nil || o.Build == "" {
		return nil
	}
	s, err := warm.ReadSnapshot(o.Path)
	if err != nil || s.Build != o.Build || s.Generation != gen || s.Ledger != warm.FileIdentity(l.db.Path()) {
		return nil // none, or not of these rows: the next scan writes one
	}
	if !s.Remember(warm.OutputKey(s, q, asJSON), out) {
		return nil
	}
	return warm.WriteSnapshot(o.Path, s)
}
