package usage

import (
	"fmt"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// The switch audit (switch_log) and the auto-swap audit (autoswap_log) are
// pruned by the same hourly pass as the samples, in the same transaction.
//
// A row goes once it is older than LogRetention and not among the newest
// LogKeepRows of its table, so whichever rule keeps more wins: 90 days
// answers "why did it switch last month?" and spans more than the 35 days
// of samples any chart shows; the 1,000 rows (5 times the 200 the Activity
// view asks for) keep a quiet install's history even after months without
// a switch. At the ~5 KB a day a busy install writes, that is under 0.5 MB.
//
// Successful switches that changed the account are kept whatever their age:
// backend/tokens attributes Claude Code's transcripts, which it keeps for
// good, to the target of the latest of them, so dropping one would move old
// usage to another account or to "unknown". They are a few a day at most.
const (
	LogRetention = 90 * 24 * time.Hour
	LogKeepRows  = 1000
)

// pruneSwitchLogSQL deletes old switch_log rows except the newest
// LogKeepRows and the successful switches whose target differs from the
// previous successful switch's (the rows tokens' attribution reads, in the
// order it reads them). Removing the others leaves every kept row's
// predecessor with the same target, so a second pass deletes nothing.
const pruneSwitchLogSQL = `DELETE FROM switch_log
WHERE ts < :before
  AND id NOT IN (SELECT id FROM switch_log ORDER BY ts DESC, id DESC LIMIT :keep)
  AND id NOT IN (SELECT id FROM (
    SELECT id, to_label IS NOT lag(to_label) OVER (ORDER BY ts, id) AS changed
    FROM switch_log WHERE ok = 1) WHERE changed)`

const pruneAutoswapLogSQL = `DELETE FROM autoswap_log
WHERE ts < :before
  AND id NOT IN (SELECT id FROM autoswap_log ORDER BY ts DESC, id DESC LIMIT :keep)`

// pruneLogs applies the audits' retention as of now, inside the caller's
// write transaction, and reports how many rows went.
func pruneLogs(conn *sqlite.Conn, now time.Time) (int, error) {
	var n int
	for _, q := range []struct{ table, sql string }{
		{"switch", pruneSwitchLogSQL},
		{"auto-swap", pruneAutoswapLogSQL},
	} {
		err := sqlitex.Execute(conn, q.sql, &sqlitex.ExecOptions{Named: map[string]any{
			":before": msOf(now.Add(-LogRetention)),
			":keep":   LogKeepRows,
		}})
		if err != nil {
			return n, fmt.Errorf("usage: pruning the %s log: %w", q.table, err)
		}
		n += conn.Changes()
	}
	return n, nil
}
