package tokens

import (
	"context"
	"fmt"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// BlockLength is the length of Claude's usage window: a block starts at the
// hour of the first message after the previous block ended, and lasts five
// hours (the same rule ccusage's blocks report uses).
const BlockLength = 5 * time.Hour

// Block is the current five-hour block.
type Block struct {
	Active bool      `json:"active"` // false when no block is running now
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Totals Totals    `json:"totals"`
}

// Summary is what the widget shows: today, the current five-hour block and
// this week (from Monday), in the zone of the time given.
type Summary struct {
	Today     Totals    `json:"today"`
	Block     Block     `json:"block"`
	Week      Totals    `json:"week"`
	WeekStart time.Time `json:"week_start"`
}

// blockLookback bounds how far back blocks are chained from: a block only
// stays open while messages keep arriving within five hours of its start,
// so two quiet days always end the chain.
const blockLookback = 48 * time.Hour

// Summary reports today, the current block and this week as of now, with
// days and weeks in now's location.
func (l *Ledger) Summary(ctx context.Context, now time.Time) (Summary, error) {
	var s Summary
	loc := now.Location()
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	back := (int(today.Weekday()) + 6) % 7 // days since Monday
	s.WeekStart = time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	err := l.db.Read(ctx, func(conn *sqlite.Conn) error {
		dm, err := loadDimNames(conn)
		if err != nil {
			return err
		}
		sum := func(from, to time.Time) (Totals, error) {
			a := warm.Acc{}
			err := scanUsage(conn, from.UnixMilli(), to.UnixMilli(), func(r *warm.UsageRow) {
				a.Add(dm.Model(r.Model), r.Class, &r.Sums)
			})
			return a.Totals(), err
		}
		if s.Today, err = sum(today, time.Date(y, m, d+1, 0, 0, 0, 0, loc)); err != nil {
			return err
		}
		if s.Week, err = sum(s.WeekStart, time.Date(y, m, d-back+7, 0, 0, 0, 0, loc)); err != nil {
			return err
		}
		start, ok, err := currentBlock(conn, now)
		if err != nil || !ok {
			return err
		}
		s.Block = Block{Active: true, Start: start.In(loc), End: start.Add(BlockLength).In(loc)}
		s.Block.Totals, err = sum(start, start.Add(BlockLength))
		return err
	})
	if err != nil {
		return s, fmt.Errorf("reading token usage: %w", err)
	}
	return s, nil
}

// currentBlock finds the start of the block running at now, if any, by
// chaining blocks over the quarter hours that saw usage.
func currentBlock(conn *sqlite.Conn, now time.Time) (time.Time, bool, error) {
	stmt := conn.Prep(`SELECT DISTINCT bucket FROM token_usage WHERE bucket >= ? AND bucket <= ? ORDER BY bucket`)
	defer stmt.Reset()
	stmt.BindInt64(1, bucketOf(now.Add(-blockLookback).UnixMilli()))
	stmt.BindInt64(2, bucketOf(now.UnixMilli()))
	var start, end int64
	have := false
	for {
		row, err := stmt.Step()
		if err != nil {
			return time.Time{}, false, err
		}
		if !row {
			break
		}
		at := stmt.ColumnInt64(0) * bucketMS
		if !have || at >= end {
			start = at - at%int64(time.Hour/time.Millisecond)
			end = start + BlockLength.Milliseconds()
			have = true
		}
	}
	n := now.UnixMilli()
	if !have || n >= end || n < start {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(start), true, nil
}

// DayTotals sums the local day containing now (in now's location) on a
// connection the caller holds. It reads only that day's quarter hours and
// the model names, so it is cheap enough for a status line that runs on
// every prompt update.
func DayTotals(conn *sqlite.Conn, now time.Time) (Totals, error) {
	y, m, d := now.Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	to := time.Date(y, m, d+1, 0, 0, 0, 0, now.Location())
	a := warm.Acc{}
	var ids []int64
	var rows []warm.UsageRow
	err := scanUsage(conn, from.UnixMilli(), to.UnixMilli(), func(r *warm.UsageRow) {
		rows = append(rows, *r)
		ids = append(ids, r.Model)
	})
	if err != nil || len(rows) == 0 {
		return a.Totals(), err
	}
	names := map[int64]string{}
	stmt := conn.Prep(`SELECT name FROM token_models WHERE id = ?`)
	for _, id := range ids {
		if _, ok := names[id]; ok {
			continue
		}
		stmt.BindInt64(1, id)
		row, err := stmt.Step()
		if err != nil {
			stmt.Reset()
			return Totals{}, err
		}
		if row {
			names[id] = stmt.ColumnText(0)
		}
		if err := stmt.Reset(); err != nil {
			return Totals{}, err
		}
	}
	for i := range rows {
		a.Add(names[rows[i].Model], rows[i].Class, &rows[i].Sums)
	}
	return a.Totals(), nil
}
