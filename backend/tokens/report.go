package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // Location must work where the system has no zone database

	"zombiezen.com/go/sqlite"
)

// Report groupings.
const (
	ByDay     = "day"
	ByModel   = "model"
	ByProject = "project"
	ByAccount = "account"
)

// UnknownAccount labels usage from before aimonitor's first recorded switch.
const UnknownAccount = "unknown"

// Location resolves a time zone name for a Query: "" or "local" is the
// system's zone, anything else an IANA name such as "UTC" or
// "Europe/Paris" (the zone database is compiled in, so this works where the
// system has none).
func Location(name string) (*time.Location, error) {
	switch strings.ToLower(name) {
	case "", "local":
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a time zone name like UTC or Europe/Paris", name)
	}
	return loc, nil
}

// Query selects a report. Since and Until are dates (YYYY-MM-DD, both
// included) in Location; zero values mean no bound, By "" means ByDay and a
// nil Location means time.Local.
type Query struct {
	Since, Until string
	By           string
	Location     *time.Location
}

// Totals are token counts and their estimated cost. CostUSD is nil when
// none of the usage is priced; when only part of it is, it prices that part
// and UnpricedModels names the rest.
type Totals struct {
	InputTokens         int64    `json:"input_tokens"`
	OutputTokens        int64    `json:"output_tokens"`
	CacheCreationTokens int64    `json:"cache_creation_input_tokens"`
	CacheReadTokens     int64    `json:"cache_read_input_tokens"`
	CostUSD             *float64 `json:"cost_usd"`
	Messages            int64    `json:"messages"`
	UnpricedModels      []string `json:"unpriced_models,omitempty"`
}

// TotalTokens is all four kinds together.
func (t Totals) TotalTokens() int64 {
	return t.InputTokens + t.OutputTokens + t.CacheCreationTokens + t.CacheReadTokens
}

// Row is one group of a report. Exactly one of Date, Model, Project and
// Account is set, per the report's By. Models breaks the row down by model
// (empty in a by-model report).
type Row struct {
	Date    string `json:"date,omitempty"`
	Model   string `json:"model,omitempty"`
	Project string `json:"project,omitempty"`
	Account string `json:"account,omitempty"`
	Totals
	Models []ModelTotals `json:"models,omitempty"`
}

// ModelTotals is one model's part of a row.
type ModelTotals struct {
	Model string `json:"model"`
	Totals
}

// Report is the answer to a Query.
type Report struct {
	By          string `json:"by" tstype:"'day' | 'model' | 'project' | 'account'"`
	TimeZone    string `json:"time_zone"`
	Since       string `json:"since,omitempty"`
	Until       string `json:"until,omitempty"`
	Totals      Totals `json:"totals"`
	Rows        []Row  `json:"rows"`
	PricingDate string `json:"pricing_date"`
}

// NoModel names usage whose transcript lines named no model (Claude Code's
// synthetic error messages, which carry no tokens, among them).
const NoModel = "unknown"

const dayLayout = "2006-01-02"

// Report sums the recorded usage as q asks. Answers are cached until the
// ledger next changes (see cache.go).
func (l *Ledger) Report(ctx context.Context, q Query) (Report, error) {
	rep, raw, err := l.report(ctx, q)
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
	_, raw, err := l.report(ctx, q)
	return raw, err
}

// report answers from the cache (rep nil, raw set) or computes the report
// (both set) and caches it.
func (l *Ledger) report(ctx context.Context, q Query) (rep *Report, raw []byte, err error) {
	loc := q.Location
	if loc == nil {
		loc = time.Local
	}
	by := q.By
	if by == "" {
		by = ByDay
	}
	from, to, err := dayRange(q.Since, q.Until, loc)
	if err != nil {
		return nil, nil, err
	}
	var key string
	var gen int64
	err = l.db.Read(ctx, func(conn *sqlite.Conn) error {
		if key, gen, err = cacheKey(conn, q, by, from, to, loc, l.pricingFP); err != nil {
			return err
		}
		if raw, err = cached(conn, key, gen); err != nil || raw != nil {
			return err
		}
		rep = &Report{By: by, TimeZone: loc.String(), Since: q.Since, Until: q.Until, PricingDate: PricingDate, Rows: []Row{}}
		return compute(conn, rep, by, from, to, loc)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading token usage: %w", err)
	}
	if rep == nil {
		return nil, raw, nil
	}
	if raw, err = json.Marshal(rep); err != nil {
		return nil, nil, err
	}
	raw = append(raw, '\n')
	l.store(ctx, key, gen, raw)
	return rep, raw, nil
}

// compute builds the report from token_usage.
func compute(conn *sqlite.Conn, rep *Report, by string, from, to int64, loc *time.Location) error {
	d, err := loadDimNames(conn)
	if err != nil {
		return err
	}
	groups := newGrouper(d)
	switch by {
	case ByDay:
		var days dayMapper
		err = scanUsage(conn, from, to, func(r *aggRow) {
			groups.add(days.day(r.bucket, loc), r)
		})
	case ByModel:
		err = scanUsage(conn, from, to, func(r *aggRow) {
			groups.add(displayModel(d.model(r.modelID)), r)
		})
	case ByProject:
		err = scanUsage(conn, from, to, func(r *aggRow) {
			groups.add(d.project(r.projectID), r)
		})
	case ByAccount:
		err = sumByAccount(conn, from, to, groups)
	default:
		err = fmt.Errorf("unknown report grouping %q (use day, model, project or account)", by)
	}
	if err != nil {
		return err
	}
	total := acc{}
	for _, key := range groups.order() {
		gr := groups.rows[key]
		all, models := acc{}, map[string]acc{}
		if by == ByModel {
			models = nil
		}
		groups.named(gr, all, models)
		groups.named(gr, total, nil)
		row := Row{Totals: all.totals()}
		if by == ByModel && row.TotalTokens() == 0 {
			continue // responses without usage (synthetic error messages)
		}
		switch by {
		case ByDay:
			row.Date = key
		case ByModel:
			row.Model = key
		case ByProject:
			row.Project = key
		case ByAccount:
			row.Account = key
		}
		for _, m := range sortedKeys(models) {
			if t := models[m].totals(); t.TotalTokens() > 0 {
				row.Models = append(row.Models, ModelTotals{Model: m, Totals: t})
			}
		}
		rep.Rows = append(rep.Rows, row)
	}
	rep.Totals = total.totals()
	if by != ByDay {
		// Largest first: what a reader of a model or project table wants.
		sort.SliceStable(rep.Rows, func(i, j int) bool { return rep.Rows[i].TotalTokens() > rep.Rows[j].TotalTokens() })
	}
	return nil
}

// dayRange turns inclusive dates into [from, to) unix milliseconds; an
// absent bound is open.
func dayRange(since, until string, loc *time.Location) (from, to int64, err error) {
	from, to = -1<<62, 1<<62
	if since != "" {
		t, err := time.ParseInLocation(dayLayout, since, loc)
		if err != nil {
			return 0, 0, fmt.Errorf("since: %q is not a date like 2025-06-01", since)
		}
		from = t.UnixMilli()
	}
	if until != "" {
		t, err := time.ParseInLocation(dayLayout, until, loc)
		if err != nil {
			return 0, 0, fmt.Errorf("until: %q is not a date like 2025-06-01", until)
		}
		to = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc).UnixMilli()
	}
	if from >= to {
		return 0, 0, errors.New("since is after until")
	}
	return from, to, nil
}

// usageSums accumulates usage of one model in one prompt class.
type usageSums struct {
	messages int64
	usage    Usage
	cost     float64 // recorded costs (class 3)
}

// acc accumulates a group's usage per model and class, which is what a cost
// needs.
type acc map[modelClass]*usageSums

type modelClass struct {
	model string
	class int
}

func (a acc) add(model string, class int, s *usageSums) {
	k := modelClass{model, class}
	t := a[k]
	if t == nil {
		t = &usageSums{}
		a[k] = t
	}
	t.messages += s.messages
	t.usage.add(s.usage)
	t.cost += s.cost
}

func (a acc) totals() Totals {
	var t Totals
	priced := false
	var cost float64
	unpriced := map[string]bool{}
	for k, s := range a {
		t.InputTokens += s.usage.Input
		t.OutputTokens += s.usage.Output
		t.CacheCreationTokens += s.usage.CacheCreation
		t.CacheReadTokens += s.usage.CacheRead
		t.Messages += s.messages
		c, ok := costOf(k.model, k.class, s.usage, s.cost)
		switch {
		case ok:
			cost += c
			priced = true
		case s.usage.Total() > 0:
			name := k.model
			if name == "" {
				name = NoModel
			}
			unpriced[name] = true
		}
	}
	if priced || len(unpriced) == 0 {
		t.CostUSD = &cost
	}
	t.UnpricedModels = sortedKeys(unpriced)
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// grouper collects a report's groups. Rows arrive in bucket order, so
// consecutive rows mostly share a group; sums are kept per model id and
// class (integer keys) and named only when the report is built.
type grouper struct {
	d       dims
	rows    map[string]*group
	lastKey string
	last    *group
}

type group struct {
	sums map[idClass]*usageSums
}

type idClass struct {
	model int64
	class int
}

func newGrouper(d dims) *grouper { return &grouper{d: d, rows: map[string]*group{}} }

func (g *grouper) add(key string, r *aggRow) {
	gr := g.last
	if gr == nil || key != g.lastKey {
		gr = g.rows[key]
		if gr == nil {
			gr = &group{sums: map[idClass]*usageSums{}}
			g.rows[key] = gr
		}
		g.last, g.lastKey = gr, key
	}
	k := idClass{r.modelID, r.class}
	s := gr.sums[k]
	if s == nil {
		s = &usageSums{}
		gr.sums[k] = s
	}
	s.messages += r.sums.messages
	s.usage.add(r.sums.usage)
	s.cost += r.sums.cost
}

// named folds a group's sums by model name into one acc for the whole group
// and one per displayed model.
func (g *grouper) named(gr *group, all acc, models map[string]acc) {
	for k, s := range gr.sums {
		name := g.d.model(k.model)
		all.add(name, k.class, s)
		if models != nil {
			m := models[displayModel(name)]
			if m == nil {
				m = acc{}
				models[displayModel(name)] = m
			}
			m.add(name, k.class, s)
		}
	}
}

func displayModel(m string) string {
	if m == "" {
		return NoModel
	}
	return m
}

func (g *grouper) order() []string { return sortedKeys(g.rows) }

// aggRow is one token_usage row.
type aggRow struct {
	bucket, modelID, projectID int64
	class                      int
	sums                       usageSums
}

// dims maps ids to names for reports.
type dims struct {
	models   map[int64]string
	projects map[int64]string
}

func (d dims) model(id int64) string { return d.models[id] }

func (d dims) project(id int64) string {
	if p, ok := d.projects[id]; ok && p != "" {
		return p
	}
	return "(no project)"
}

func loadDimNames(conn *sqlite.Conn) (dims, error) {
	d := dims{models: map[int64]string{}, projects: map[int64]string{}}
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
		d.models[stmt.ColumnInt64(0)] = stmt.ColumnText(1)
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
		d.projects[stmt.ColumnInt64(0)] = stmt.ColumnText(1)
	}
}

// scanUsage calls fn for every token_usage row of the quarter hours in
// [from, to), in bucket order. Grouping happens in Go: a plain scan is
// several times faster than SQLite's GROUP BY on this table.
func scanUsage(conn *sqlite.Conn, from, to int64, fn func(*aggRow)) error {
	stmt := conn.Prep(`SELECT bucket, model_id, project_id, class, messages, input, output, cache_create,
		cache_create_1h, cache_read, cost_usd FROM token_usage WHERE bucket >= ? AND bucket < ?`)
	defer stmt.Reset()
	stmt.BindInt64(1, bucketFloor(from))
	stmt.BindInt64(2, bucketCeil(to))
	var r aggRow
	for {
		row, err := stmt.Step()
		if err != nil || !row {
			return err
		}
		r = aggRow{bucket: stmt.ColumnInt64(0), modelID: stmt.ColumnInt64(1), projectID: stmt.ColumnInt64(2), class: stmt.ColumnInt(3)}
		r.sums = usageSums{messages: stmt.ColumnInt64(4), usage: Usage{Input: stmt.ColumnInt64(5), Output: stmt.ColumnInt64(6),
			CacheCreation: stmt.ColumnInt64(7), CacheCreate1h: stmt.ColumnInt64(8), CacheRead: stmt.ColumnInt64(9)},
			cost: stmt.ColumnFloat(10)}
		fn(&r)
	}
}

// Day bounds are always on quarter hours (every zone's offset is a multiple
// of 15 minutes), so a bucket lies in exactly one local day.
func bucketFloor(ms int64) int64 { return bucketOf(ms) }

func bucketCeil(ms int64) int64 {
	b := bucketOf(ms)
	if b*bucketMS < ms {
		b++
	}
	return b
}

// dayMapper names the local day of a bucket, remembering the last day's
// bounds: buckets come in order, so it rarely computes anything.
type dayMapper struct {
	start, end int64 // buckets of the day named
	name       string
}

func (m *dayMapper) day(bucket int64, loc *time.Location) string {
	if m.name == "" || bucket < m.start || bucket >= m.end {
		t := time.UnixMilli(bucket * bucketMS).In(loc)
		y, mo, d := t.Date()
		m.start = bucketOf(time.Date(y, mo, d, 0, 0, 0, 0, loc).UnixMilli())
		m.end = bucketOf(time.Date(y, mo, d+1, 0, 0, 0, 0, loc).UnixMilli())
		m.name = t.Format(dayLayout)
	}
	return m.name
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
func sumByAccount(conn *sqlite.Conn, from, to int64, g *grouper) error {
	sw, err := loadSwitches(conn)
	if err != nil {
		return err
	}
	var split []int64
	err = scanUsage(conn, from, to, func(r *aggRow) {
		if splitsBucket(sw, r.bucket) {
			if len(split) == 0 || split[len(split)-1] != r.bucket {
				split = append(split, r.bucket)
			}
			return
		}
		g.add(accountAt(sw, r.bucket*bucketMS), r)
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
		r := aggRow{modelID: stmt.ColumnInt64(1), class: stmt.ColumnInt(2)}
		r.sums = usageSums{messages: 1, usage: Usage{Input: stmt.ColumnInt64(3), Output: stmt.ColumnInt64(4),
			CacheCreation: stmt.ColumnInt64(5), CacheCreate1h: stmt.ColumnInt64(6), CacheRead: stmt.ColumnInt64(7)},
			cost: stmt.ColumnFloat(8)}
		g.add(accountAt(sw, ts), &r)
	}
}
