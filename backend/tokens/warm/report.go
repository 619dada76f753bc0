package warm

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // Location must work where the system has no zone database
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

// NoModel names usage whose transcript lines named no model (Claude Code's
// synthetic error messages, which carry no tokens, among them).
const NoModel = "unknown"

const dayLayout = "2006-01-02"

// Usage is the token counts of a response or of a sum of them.
type Usage struct {
	Input         int64 // input_tokens
	Output        int64 // output_tokens
	CacheCreation int64 // cache_creation_input_tokens (5-minute and 1-hour writes together)
	CacheCreate1h int64 // the 1-hour part of CacheCreation, billed at a higher rate
	CacheRead     int64 // cache_read_input_tokens
}

// Total is every token of the usage.
func (u Usage) Total() int64 { return u.Input + u.Output + u.CacheCreation + u.CacheRead }

// Prompt is the tokens sent to the model (what long-context pricing looks at).
func (u Usage) Prompt() int64 { return u.Input + u.CacheCreation + u.CacheRead }

// Add adds o to u.
func (u *Usage) Add(o Usage) {
	u.Input += o.Input
	u.Output += o.Output
	u.CacheCreation += o.CacheCreation
	u.CacheCreate1h += o.CacheCreate1h
	u.CacheRead += o.CacheRead
}

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

// NormDate accepts YYYY-MM-DD or YYYYMMDD (the value of the command line's
// --since or --until, named flag in the error) and returns YYYY-MM-DD.
func NormDate(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	for _, layout := range []string{"2006-01-02", "20060102"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", fmt.Errorf("--%s: %q is not a date like 2025-06-01", flag, v)
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

// Plan is a Query resolved: its grouping and zone, the [From, To) bounds of
// its dates in unix milliseconds, and the empty report to fill.
type Plan struct {
	By       string
	Location *time.Location
	From, To int64
}

// PlanOf resolves q: defaults filled in, dates turned into bounds.
func PlanOf(q Query) (Plan, error) {
	p := Plan{By: q.By, Location: q.Location}
	if p.Location == nil {
		p.Location = time.Local
	}
	if p.By == "" {
		p.By = ByDay
	}
	var err error
	p.From, p.To, err = dayRange(q.Since, q.Until, p.Location)
	return p, err
}

// NewReport is the report of q before any usage is added.
func (p Plan) NewReport(q Query) *Report {
	return &Report{By: p.By, TimeZone: p.Location.String(), Since: q.Since, Until: q.Until, PricingDate: PricingDate, Rows: []Row{}}
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

// BucketMS is the length of the ledger's aggregation unit, a quarter hour.
const BucketMS = 15 * 60 * 1000

// BucketOf is the quarter hour holding ts (floor division: ts may precede 1970).
func BucketOf(ts int64) int64 {
	b := ts / BucketMS
	if ts%BucketMS < 0 {
		b--
	}
	return b
}

// BucketRange is the quarter hours [first, end) that lie in [from, to) unix
// milliseconds. Day bounds are always on quarter hours (every zone's offset
// is a multiple of 15 minutes), so a bucket lies in exactly one local day.
func BucketRange(from, to int64) (first, end int64) {
	first = BucketOf(from)
	end = BucketOf(to)
	if end*BucketMS < to {
		end++
	}
	return first, end
}

// Sums accumulates usage of one model in one prompt class.
type Sums struct {
	Messages int64
	Usage    Usage
	Cost     float64 // recorded costs (ClassRecorded)
}

func (s *Sums) add(o *Sums) {
	s.Messages += o.Messages
	s.Usage.Add(o.Usage)
	s.Cost += o.Cost
}

// UsageRow is one row of the ledger's aggregate: one quarter hour, model,
// project and prompt class.
type UsageRow struct {
	Bucket, Model, Project int64 // the model and project are ids (see Dims)
	Class                  int
	Sums                   Sums
}

// Acc accumulates a group's usage per model name and class, which is what
// a cost needs. A group holds a few models in a few classes, so the sums
// are a short list searched in order (no map, no allocation per entry).
type Acc struct {
	items []accItem
}

type accItem struct {
	key  ModelClass
	sums Sums
}

// ModelClass keys an Acc.
type ModelClass struct {
	Model string
	Class int
}

func (k ModelClass) compare(o ModelClass) int {
	if c := strings.Compare(k.Model, o.Model); c != 0 {
		return c
	}
	return k.Class - o.Class
}

// Add adds s to the sums of model in class.
func (a *Acc) Add(model string, class int, s *Sums) {
	k := ModelClass{model, class}
	for i := range a.items {
		if a.items[i].key == k {
			a.items[i].sums.add(s)
			return
		}
	}
	a.items = append(a.items, accItem{key: k, sums: *s})
}

// Totals sums the accumulated usage and prices it. Costs are added in one
// fixed order (model, then class), so a report is the same to the last bit
// whoever computes it.
func (a *Acc) Totals() Totals {
	slices.SortFunc(a.items, func(x, y accItem) int { return x.key.compare(y.key) })
	var t Totals
	priced := false
	var cost float64
	var unpriced []string
	for i := range a.items {
		k, s := a.items[i].key, &a.items[i].sums
		t.InputTokens += s.Usage.Input
		t.OutputTokens += s.Usage.Output
		t.CacheCreationTokens += s.Usage.CacheCreation
		t.CacheReadTokens += s.Usage.CacheRead
		t.Messages += s.Messages
		c, ok := CostOf(k.Model, k.Class, s.Usage, s.Cost)
		switch {
		case ok:
			cost += c
			priced = true
		case s.Usage.Total() > 0:
			name := k.Model
			if name == "" {
				name = NoModel
			}
			if !slices.Contains(unpriced, name) {
				unpriced = append(unpriced, name)
			}
		}
	}
	if priced || len(unpriced) == 0 {
		t.CostUSD = &cost
	}
	slices.Sort(unpriced)
	t.UnpricedModels = unpriced
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

// Dims name the ledger's model and project ids.
type Dims struct {
	Models   map[int64]string
	Projects map[int64]string
}

// Model is the name of model id ("" when the lines named none).
func (d Dims) Model(id int64) string { return d.Models[id] }

// Project is the path of project id.
func (d Dims) Project(id int64) string {
	if p, ok := d.Projects[id]; ok && p != "" {
		return p
	}
	return "(no project)"
}

// Grouper collects a report's groups. Rows arrive in bucket order, so
// consecutive rows mostly share a group; sums are kept per model id and
// class (integer keys) and named only when the report is built.
type Grouper struct {
	d       Dims
	rows    map[string]*group
	lastKey string
	last    *group
	days    dayMapper
}

// group is one row's sums per model id and class, a short list.
type group struct {
	sums []groupItem
}

type groupItem struct {
	key  idClass
	sums Sums
}

type idClass struct {
	model int64
	class int
}

// NewGrouper starts a report's groups over names d.
func NewGrouper(d Dims) *Grouper { return &Grouper{d: d, rows: map[string]*group{}} }

// Add adds r to the group named key.
func (g *Grouper) Add(key string, r *UsageRow) {
	gr := g.last
	if gr == nil || key != g.lastKey {
		gr = g.rows[key]
		if gr == nil {
			gr = &group{sums: make([]groupItem, 0, 8)}
			g.rows[key] = gr
		}
		g.last, g.lastKey = gr, key
	}
	k := idClass{r.Model, r.Class}
	for i := range gr.sums {
		if gr.sums[i].key == k {
			gr.sums[i].sums.add(&r.Sums)
			return
		}
	}
	gr.sums = append(gr.sums, groupItem{key: k, sums: r.Sums})
}

// AddBy adds r to its group for a report by day (in loc), model or project;
// a report by account needs the switch log, which the ledger reads itself.
func (g *Grouper) AddBy(by string, loc *time.Location, r *UsageRow) error {
	switch by {
	case ByDay:
		g.Add(g.days.day(r.Bucket, loc), r)
	case ByModel:
		g.Add(displayModel(g.d.Model(r.Model)), r)
	case ByProject:
		g.Add(g.d.Project(r.Project), r)
	default:
		return fmt.Errorf("unknown report grouping %q (use day, model, project or account)", by)
	}
	return nil
}

// Fill builds rep's rows and totals from the groups.
func (g *Grouper) Fill(rep *Report) {
	by := rep.By
	var total, all Acc // all is reused from one group to the next
	rep.Rows = slices.Grow(rep.Rows, len(g.rows))
	for _, key := range sortedKeys(g.rows) {
		gr := g.rows[key]
		all.items = all.items[:0]
		g.named(gr, &all)
		g.named(gr, &total)
		row := Row{Totals: all.Totals()}
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
		if by != ByModel {
			row.Models = all.byModel()
		}
		rep.Rows = append(rep.Rows, row)
	}
	rep.Totals = total.Totals()
	if by != ByDay {
		// Largest first: what a reader of a model or project table wants.
		slices.SortStableFunc(rep.Rows, func(a, b Row) int {
			at, bt := a.TotalTokens(), b.TotalTokens()
			switch {
			case at > bt:
				return -1
			case at < bt:
				return 1
			}
			return 0
		})
	}
}

// named adds a group's sums to a by model name, in model id order (so that
// float sums are the same every time).
func (g *Grouper) named(gr *group, a *Acc) {
	slices.SortFunc(gr.sums, func(a, b groupItem) int {
		if a.key.model != b.key.model {
			return cmp.Compare(a.key.model, b.key.model)
		}
		return a.key.class - b.key.class
	})
	for i := range gr.sums {
		a.Add(g.d.Model(gr.sums[i].key.model), gr.sums[i].key.class, &gr.sums[i].sums)
	}
}

// byModel breaks the totals of a (after Totals, which sorted its items by
// model name) down by displayed model, in name order, leaving out models
// without tokens.
func (a *Acc) byModel() []ModelTotals {
	var out []ModelTotals
	var seen []string
	for i := 0; i < len(a.items); {
		shown := displayModel(a.items[i].key.Model)
		n := i + 1
		for n < len(a.items) && displayModel(a.items[n].key.Model) == shown {
			n++
		}
		if !slices.Contains(seen, shown) {
			seen = append(seen, shown)
			part := Acc{items: a.items[i:n:n]}
			for _, it := range a.items[n:] {
				// "" and a model named like NoModel show the same (rare:
				// the append copies, leaving a alone).
				if displayModel(it.key.Model) == shown {
					part.items = append(part.items, it)
				}
			}
			if t := part.Totals(); t.TotalTokens() > 0 {
				out = append(out, ModelTotals{Model: shown, Totals: t})
			}
		}
		i = n
	}
	slices.SortFunc(out, func(x, y ModelTotals) int { return strings.Compare(x.Model, y.Model) })
	return out
}

func displayModel(m string) string {
	if m == "" {
		return NoModel
	}
	return m
}

// dayMapper names the local day of a bucket, remembering the last day's
// bounds: buckets come in order, so it rarely computes anything.
type dayMapper struct {
	start, end int64 // buckets of the day named
	name       string
}

func (m *dayMapper) day(bucket int64, loc *time.Location) string {
	if m.name == "" || bucket < m.start || bucket >= m.end {
		t := time.UnixMilli(bucket * BucketMS).In(loc)
		y, mo, d := t.Date()
		m.start = BucketOf(time.Date(y, mo, d, 0, 0, 0, 0, loc).UnixMilli())
		m.end = BucketOf(time.Date(y, mo, d+1, 0, 0, 0, 0, loc).UnixMilli())
		m.name = t.Format(dayLayout)
	}
	return m.name
}
