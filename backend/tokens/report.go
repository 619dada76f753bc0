package tokens

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// The report's types, its grouping and pricing live in package warm,
// which the launcher's warm path renders with from a snapshot (see
// snapshot.go); these are the ledger's names for them.
const (
	ByDay     = warm.ByDay
	ByModel   = warm.ByModel
	ByProject = warm.ByProject
	ByAccount = warm.ByAccount
	// UnknownAccount labels usage from before aimonitor's first recorded switch.
	UnknownAccount = warm.UnknownAccount
	// NoModel names usage whose transcript lines named no model.
	NoModel = warm.NoModel
)

type (
	Query       = warm.Query
	Totals      = warm.Totals
	Row         = warm.Row
	ModelTotals = warm.ModelTotals
	Report      = warm.Report
)

// Location resolves a time zone name for a Query (warm.Location).
func Location(name string) (*time.Location, error) { return warm.Location(name) }

// Report sums the recorded usage as q asks. Answers are cached until the
// ledger next changes (see cache.go).
func (l *Ledger) Report(ctx context.Context, q Query) (Report, error) {
	rep, raw, _, err := l.report(ctx, q)
	if err != nil || rep != nil {
		if rep == nil {
			return Report{}, err
		}
		return *rep, err
	}
	var out Report
	if err := json.Unmarshal(raw, &out); err != nil {
		return Report{}, fmt.Errorf("reading a cached token report: %w", err)
	}
	return out, nil
}

// ReportJSON is Report encoded as JSON (what `aimonitor tokens --json`
// prints), straight from the cache when it can be.
func (l *Ledger) ReportJSON(ctx context.Context, q Query) ([]byte, error) {
	_, raw, _, err := l.report(ctx, q)
	return raw, err
}

// report answers from the cache (rep nil, raw set) or computes the report
// (both set) and caches it; gen is the ledger's generation it is of.
func (l *Ledger) report(ctx context.Context, q Query) (rep *Report, raw []byte, gen int64, err error) {
	p, err := warm.PlanOf(q)
	if err != nil {
		return nil, nil, 0, err
	}
	var key string
	err = l.db.Read(ctx, func(conn *sqlite.Conn) error {
		if key, gen, err = cacheKey(conn, q, p.By, p.From, p.To, p.Location, l.pricingFP); err != nil {
			return err
		}
		if raw, err = cached(conn, key, gen); err != nil || raw != nil {
			return err
		}
		rep = p.NewReport(q)
		return compute(conn, rep, p)
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("reading token usage: %w", err)
	}
	if rep == nil {
		return nil, raw, gen, nil
	}
	if raw, err = warm.MarshalReport(rep); err != nil {
		return nil, nil, 0, err
	}
	l.store(ctx, key, gen, raw)
	return rep, raw, gen, nil
}

// compute builds the report from token_usage, grouped by package warm (the
// same code the launcher's warm path renders a snapshot with).
func compute(conn *sqlite.Conn, rep *Report, p warm.Plan) error {
	d, err := loadDimNames(conn)
	if err != nil {
		return err
	}
	groups := warm.NewGrouper(d)
	if p.By == ByAccount {
		err = sumByAccount(conn, p.From, p.To, groups)
	} else {
		var addErr error
		err = scanUsage(conn, p.From, p.To, func(r *warm.UsageRow) {
			if addErr == nil {
				addErr = groups.AddBy(p.By, p.Location, r)
			}
		})
		if err == nil {
			err = addErr
		}
	}
	if err != nil {
		return err
	}
	groups.Fill(rep)
	return nil
}

func loadDimNames(conn *sqlite.Conn) (warm.Dims, error) {
	d := warm.Dims{Models: map[int64]string{}, Projects: map[int64]string{}}
	stmt := conn.Prep(`SELECT id, name FROM token_models`)
	for {
		row, err := stmt.Step()
		if err != nil {
			stmt.Reset()
			return d, err
		}
		if !row {
			break
		}
		d.Models[stmt.ColumnInt64(0)] = stmt.ColumnText(1)
	}
	stmt = conn.Prep(`SELECT id, path FROM token_projects`)
	for {
		row, err := stmt.Step()
		if err != nil {
			stmt.Reset()
			return d, err
		}
		if !row {
			return d, nil
		}
		d.Projects[stmt.ColumnInt64(0)] = stmt.ColumnText(1)
	}
}

// scanUsage calls fn for every token_usage row of the quarter hours in
// [from, to), in primary key order (bucket first): the order in which a
// report adds them up, here and from a snapshot. Grouping happens in Go: a
// plain scan is several times faster than SQLite's GROUP BY on this table.
func scanUsage(conn *sqlite.Conn, from, to int64, fn func(*warm.UsageRow)) error {
	stmt := conn.Prep(`SELECT bucket, model_id, project_id, class, messages, input, output, cache_create,
		cache_create_1h, cache_read, cost_usd FROM token_usage WHERE bucket >= ? AND bucket < ?
		ORDER BY bucket, model_id, project_id, class`)
	defer stmt.Reset()
	first, end := warm.BucketRange(from, to)
	stmt.BindInt64(1, first)
	stmt.BindInt64(2, end)
	var r warm.UsageRow
	for {
		row, err := stmt.Step()
		if err != nil || !row {
			return err
		}
		r = warm.UsageRow{Bucket: stmt.ColumnInt64(0), Model: stmt.ColumnInt64(1), Project: stmt.ColumnInt64(2), Class: stmt.ColumnInt(3)}
		r.Sums = warm.Sums{Messages: stmt.ColumnInt64(4), Usage: warm.Usage{Input: stmt.ColumnInt64(5), Output: stmt.ColumnInt64(6),
			CacheCreation: stmt.ColumnInt64(7), CacheCreate1h: stmt.ColumnInt64(8), CacheRead: stmt.ColumnInt64(9)},
			Cost: stmt.ColumnFloat(10)}
		fn(&r)
	}
}

// switchPoint is a successful switch: from At on, usage is Label's.
type switchPoint struct {
	At    int64
	Label string
}

// Old switch_log rows are pruned (backend/usage/retention.go) except the
// successful switches that changed the account, which is all accountAt
// needs: reading more here means revisiting that rule.
func loadSwitches(conn *sqlite.Conn) ([]switchPoint, error) {
	var out []switchPoint
	stmt := conn.Prep(`SELECT ts, to_label FROM switch_log WHERE ok = 1 ORDER BY ts, id`)
	for {
		row, err := stmt.Step()
		if err != nil {
			stmt.Reset()
			return nil, err
		}
		if !row {
			return out, nil
		}
		label := stmt.ColumnText(1)
		if label == "" {
			label = UnknownAccount
		}
		out = append(out, switchPoint{stmt.ColumnInt64(0), label})
	}
}

// accountAt is the account active at ms: the target of the latest
// successful switch at or before it.
func accountAt(sw []switchPoint, ms int64) string {
	i := sort.Search(len(sw), func(i int) bool { return sw[i].At > ms })
	if i == 0 {
		return UnknownAccount
	}
	return sw[i-1].Label
}

// splitsBucket reports whether a switch happens strictly inside bucket b, so
// its usage must be attributed message by message.
func splitsBucket(sw []switchPoint, b int64) bool {
	start, end := b*bucketMS, (b+1)*bucketMS
	i := sort.Search(len(sw), func(i int) bool { return sw[i].At > start })
	return i < len(sw) && sw[i].At < end
}

// sumByAccount attributes each quarter hour to the account active then;
// the few quarter hours a switch cuts in two are read message by message.
func sumByAccount(conn *sqlite.Conn, from, to int64, g *warm.Grouper) error {
	sw, err := loadSwitches(conn)
	if err != nil {
		return err
	}
	var split []int64
	err = scanUsage(conn, from, to, func(r *warm.UsageRow) {
		if splitsBucket(sw, r.Bucket) {
			if len(split) == 0 || split[len(split)-1] != r.Bucket {
				split = append(split, r.Bucket)
			}
			return
		}
		g.Add(accountAt(sw, r.Bucket*bucketMS), r)
	})
	if err != nil {
		return err
	}
	if len(split) == 0 {
		return nil
	}
	// token_messages has no index on ts (every index slows the bulk first
	// scan), so the cut quarter hours are read in one pass over the range.
	stmt := conn.Prep(`SELECT ts, model_id, class, input, output, cache_create, cache_create_1h, cache_read, coalesce(cost_usd, 0)
		FROM token_messages WHERE ts >= ? AND ts < ?`)
	defer stmt.Reset()
	stmt.BindInt64(1, max(split[0]*bucketMS, from))
	stmt.BindInt64(2, min((split[len(split)-1]+1)*bucketMS, to))
	for {
		row, err := stmt.Step()
		if err != nil || !row {
			return err
		}
		ts := stmt.ColumnInt64(0)
		if _, found := slices.BinarySearch(split, bucketOf(ts)); !found {
			continue
		}
		r := warm.UsageRow{Model: stmt.ColumnInt64(1), Class: stmt.ColumnInt(2)}
		r.Sums = warm.Sums{Messages: 1, Usage: warm.Usage{Input: stmt.ColumnInt64(3), Output: stmt.ColumnInt64(4),
			CacheCreation: stmt.ColumnInt64(5), CacheCreate1h: stmt.ColumnInt64(6), CacheRead: stmt.ColumnInt64(7)},
			Cost: stmt.ColumnFloat(8)}
		g.Add(accountAt(sw, ts), &r)
	}
}
