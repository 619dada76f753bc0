// Package polling benchmarks usage polling strategies on a simulated day:
// the Anthropic simulator on a fake clock replays a day of Claude Code use
// (idle night, work sessions of varying pace, 5-hour windows filling and
// resetting, the 7-day window creeping up), and each strategy polls it
// through the real client, poller and SQLite store. It reports requests per
// account-hour and the lag between every real threshold crossing (known
// exactly from the simulator's state) and the poll that first saw it.
//
//	go test -run '^$' -bench SimulatedDay ./bench/polling/
package polling
