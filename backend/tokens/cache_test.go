package tokens

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"
)

type recordWriter struct{ strings.Builder }

func (w *recordWriter) Write(b []byte) (int, error) { return w.Builder.Write(b) }

// midnights names the local midnights from the first to the last quarter
// hour with usage inside the queried range, and nothing for a range
// without usage.
func TestMidnights(t *testing.T) {
	e := newEnv(t, 1)
	e.write(0, "p/s.jsonl",
		msg{id: "msg_1", req: "r1", at: t0, in: 1, out: 1}.line(),                      // 2025-06-01 10:00 UTC
		msg{id: "msg_2", req: "r2", at: t0.Add(50 * time.Hour), in: 1, out: 1}.line(),  // 06-03 12:00
		msg{id: "msg_3", req: "r3", at: t0.Add(-30 * time.Hour), in: 1, out: 1}.line()) // 05-31 04:00
	e.scan()
	ms := func(ts ...time.Time) string {
		var b []byte
		for _, t := range ts {
			b = strconv.AppendInt(b, t.UnixMilli(), 10)
			b = append(b, ',')
		}
		return string(b)
	}
	day := func(m time.Month, d int, loc *time.Location) time.Time { return time.Date(2025, m, d, 0, 0, 0, 0, loc) }
	tokyo := time.FixedZone("UTC+9", 9*3600)
	for _, c := range []struct {
		name     string
		from, to time.Time
		loc      *time.Location
		want     string
	}{
		{"all, UTC", time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC,
			ms(day(5, 31, time.UTC), day(6, 1, time.UTC), day(6, 2, time.UTC), day(6, 3, time.UTC))},
		{"all, UTC+9", time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), tokyo,
			ms(day(5, 31, tokyo), day(6, 1, tokyo), day(6, 2, tokyo), day(6, 3, tokyo))},
		{"from June", day(6, 1, time.UTC), day(7, 1, time.UTC), time.UTC,
			ms(day(6, 1, time.UTC), day(6, 2, time.UTC), day(6, 3, time.UTC))},
		{"one quarter hour", t0, t0.Add(15 * time.Minute), time.UTC, ms(day(6, 1, time.UTC))},
		{"nothing", day(7, 1, time.UTC), day(8, 1, time.UTC), time.UTC, ""},
	} {
		var w recordWriter
		err := e.db.Read(context.Background(), func(conn *sqlite.Conn) error {
			return midnights(conn, &w, c.from.UnixMilli(), c.to.UnixMilli(), c.loc)
		})
		if err != nil || w.String() != c.want {
			t.Errorf("%s: got %q (%v), want %q", c.name, w.String(), err, c.want)
		}
	}
}
