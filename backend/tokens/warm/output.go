package warm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"time"
)

// Print writes a report as `aimonitor tokens` prints it: raw (its compact
// JSON, MarshalReport) indented with --json, else rep (or raw decoded, when
// rep is nil) as a table.
func Print(w io.Writer, rep *Report, raw []byte, asJSON bool) error {
	if asJSON {
		return WriteJSON(w, raw)
	}
	if rep == nil {
		rep = &Report{}
		if err := json.Unmarshal(raw, rep); err != nil {
			return fmt.Errorf("reading a cached token report: %w", err)
		}
	}
	return PrintTable(w, rep)
}

// OutputKey names what `aimonitor tokens` prints for q (as JSON or as a
// table) from the snapshot's rows: everything the answer depends on
// besides the rows themselves, as the ledger's report cache keys its
// reports (the query, the bounds its dates give, the zone's name, and for
// days the zone's midnights over the rows in range). "" for a query the
// command line refuses or a report by account (the switch log's).
func OutputKey(s *Snapshot, q Query, asJSON bool) string {
	p, err := PlanOf(q)
	if err != nil || p.By == ByAccount {
		return ""
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%t|%s|%d|%d|%q|%q|%q|", asJSON, p.By, p.From, p.To, p.Location.String(), q.Since, q.Until)
	if p.By == ByDay {
		first, last, ok, err := s.bucketsIn(p.From, p.To)
		if err != nil {
			return ""
		}
		if ok {
			if first < -maxBucket || last > maxBucket || last < first || last-first > maxKeyedDays*24*4 {
				return "" // no real history spans this: not worth a key
			}
			WriteMidnights(h, first*BucketMS, last*BucketMS, p.Location)
		}
	}
	return p.By + ":" + strconv.FormatUint(h.Sum64(), 36)
}

// maxKeyedDays bounds the days OutputKey walks (four centuries), and
// maxBucket the quarter hours it takes for real (year 10000).
const (
	maxKeyedDays = 146_100
	maxBucket    = 253402300800000 / BucketMS
)

// bucketsIn is the first and last bucket with rows in [from, to) unix
// milliseconds.
func (s *Snapshot) bucketsIn(from, to int64) (first, last int64, ok bool, err error) {
	lo, end := BucketRange(from, to)
	if lo <= s.First && s.Last < end {
		return s.First, s.Last, s.hasRows(), nil
	}
	err = s.EachRow(func(r *UsageRow) {
		if r.Bucket >= lo && r.Bucket < end {
			if !ok {
				first, ok = r.Bucket, true
			}
			last = r.Bucket
		}
	})
	return first, last, ok, err
}

func (s *Snapshot) hasRows() bool { return len(s.Rows) > 0 || s.rows.n > 0 }

// WriteMidnights writes to h the local midnights in loc from the day of
// first (unix ms) through last: two zones, or one zone before and after a
// rules update, that put midnight at the same instants map the ledger's
// quarter hours to the same days.
func WriteMidnights(h io.Writer, first, last int64, loc *time.Location) {
	t := time.UnixMilli(first).In(loc)
	y, m, d := t.Date()
	var buf []byte
	for day := time.Date(y, m, d, 0, 0, 0, 0, loc); day.UnixMilli() <= last; {
		buf = strconv.AppendInt(buf[:0], day.UnixMilli(), 10)
		buf = append(buf, ',')
		h.Write(buf)
		y, m, d = day.Date()
		day = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	}
}

// output finds the answer remembered under key.
func (s *Snapshot) output(key string) ([]byte, bool) {
	for _, o := range s.Outputs {
		if o.Key == key {
			return o.Data, true
		}
	}
	return nil, false
}

// Remember adds data as the answer under key (the newest first, at most
// maxOutputs); it reports whether anything changed.
func (s *Snapshot) Remember(key string, data []byte) bool {
	if key == "" {
		return false
	}
	if old, ok := s.output(key); ok && bytes.Equal(old, data) {
		return false
	}
	out := []Output{{Key: key, Data: data}}
	for _, o := range s.Outputs {
		if o.Key != key && len(out) < maxOutputs {
			out = append(out, o)
		}
	}
	s.Outputs = out
	return true
}
