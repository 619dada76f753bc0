package tokens

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// Reports are cached in token_report_cache under a key that holds
// everything a report depends on besides the ledger itself, whose changes
// token_state.generation counts:
//   - the query: grouping, zone name, dates, and the [from, to) bounds they
//     give in milliseconds;
//   - for days, the local midnights over the data's range (two zones, or
//     one zone before and after a rules update, that put midnight at the
//     same instants map buckets to the same days);
//   - the pricing table;
//   - for accounts, the switch log.
// A run with nothing new to read then costs a lookup instead of a report.

// cacheKey returns the key of a report and the ledger generation it is
// valid for.
func cacheKey(conn *sqlite.Conn, q Query, by string, from, to int64, loc *time.Location, pricingFP string) (string, int64, error) {
	stmt := conn.Prep(`SELECT generation FROM token_state WHERE id = 1`)
	row, err := stmt.Step()
	if err != nil {
		stmt.Reset()
		return "", 0, err
	}
	var gen int64
	if row {
		gen = stmt.ColumnInt64(0)
	}
	stmt.Reset()
	h := fnv.New64a()
	// The zone's name and the dates as given are in the report too.
	fmt.Fprintf(h, "%s|%d|%d|%s|%q|%q|%q|", by, from, to, pricingFP, loc.String(), q.Since, q.Until)
	switch by {
	case ByDay:
		if err := midnights(conn, h, from, to, loc); err != nil {
			return "", 0, err
		}
	case ByAccount:
		if err := switchFingerprint(conn, h); err != nil {
			return "", 0, err
		}
	}
	return by + ":" + strconv.FormatUint(h.Sum64(), 36), gen, nil
}

type hashWriter interface{ Write([]byte) (int, error) }

// midnights writes the local midnights between the first and last quarter
// hour with usage in [from, to).
func midnights(conn *sqlite.Conn, h hashWriter, from, to int64, loc *time.Location) error {
	// Two queries that each read one end of the primary key: min() and
	// max() in one query read every row in the range (this was a fifth of
	// a warm run's CPU time).
	end := func(query string) (int64, bool, error) {
		stmt := conn.Prep(query)
		defer stmt.Reset()
		first, end := warm.BucketRange(from, to)
		stmt.BindInt64(1, first)
		stmt.BindInt64(2, end)
		row, err := stmt.Step()
		if err != nil || !row {
			return 0, false, err
		}
		return stmt.ColumnInt64(0) * bucketMS, true, nil
	}
	first, ok, err := end(`SELECT bucket FROM token_usage WHERE bucket >= ? AND bucket < ? ORDER BY bucket LIMIT 1`)
	if err != nil || !ok {
		return err
	}
	last, _, err := end(`SELECT bucket FROM token_usage WHERE bucket >= ? AND bucket < ? ORDER BY bucket DESC LIMIT 1`)
	if err != nil {
		return err
	}
	warm.WriteMidnights(h, first, last, loc)
	return nil
}

func switchFingerprint(conn *sqlite.Conn, h hashWriter) error {
	stmt := conn.Prep(`SELECT id, ts, to_label, ok FROM switch_log ORDER BY id`)
	defer stmt.Reset()
	for {
		row, err := stmt.Step()
		if err != nil || !row {
			return err
		}
		fmt.Fprintf(h, "%d,%d,%q,%d;", stmt.ColumnInt64(0), stmt.ColumnInt64(1), stmt.ColumnText(2), stmt.ColumnInt64(3))
	}
}

func cached(conn *sqlite.Conn, key string, gen int64) ([]byte, error) {
	stmt := conn.Prep(`SELECT report FROM token_report_cache WHERE key = ? AND generation = ?`)
	defer stmt.Reset()
	stmt.BindText(1, key)
	stmt.BindInt64(2, gen)
	row, err := stmt.Step()
	if err != nil || !row {
		return nil, err
	}
	raw := make([]byte, stmt.ColumnLen(0))
	stmt.ColumnBytes(0, raw)
	return raw, nil
}

// store caches a report computed at generation gen, unless the ledger has
// moved on since. Failing to cache is not an error: it only costs speed.
func (l *Ledger) store(ctx context.Context, key string, gen int64, raw []byte) {
	err := l.db.Write(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT generation FROM token_state WHERE id = 1`)
		row, err := stmt.Step()
		now := stmt.ColumnInt64(0)
		stmt.Reset()
		if err != nil || !row || now != gen {
			return err
		}
		del := conn.Prep(`DELETE FROM token_report_cache WHERE generation <> ?`)
		del.BindInt64(1, gen)
		if _, err := del.Step(); err != nil {
			del.Reset()
			return err
		}
		del.Reset()
		ins := conn.Prep(`INSERT OR REPLACE INTO token_report_cache(key, generation, report) VALUES (?, ?, ?)`)
		ins.BindText(1, key)
		ins.BindInt64(2, gen)
		ins.BindBytes(3, raw)
		_, err = ins.Step()
		ins.Reset()
		return err
	})
	if err != nil {
		l.log.Debug("tokens: could not cache a report", "err", err)
	}
}

// bumpGeneration marks the ledger changed, in the caller's transaction.
func bumpGeneration(conn *sqlite.Conn) error {
	stmt := conn.Prep(`UPDATE token_state SET generation = generation + 1 WHERE id = 1`)
	_, err := stmt.Step()
	stmt.Reset()
	return err
}

// generation reads the ledger's generation.
func generation(conn *sqlite.Conn) (int64, error) {
	stmt := conn.Prep(`SELECT generation FROM token_state WHERE id = 1`)
	defer stmt.Reset()
	if _, err := stmt.Step(); err != nil {
		return 0, err
	}
	return stmt.ColumnInt64(0), nil
}
