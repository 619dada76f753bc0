// Package faults is the fault matrix: every way Anthropic's endpoints are
// known to misbehave (401, 403, 429 with and without Retry-After or with 0,
// 5xx, refused connections, timeouts, slow, huge, malformed and wrongly
// shaped answers, a refresh answered invalid_grant), played by the
// simulator against the usage poller, the switch and the CLI. Each case
// checks the request count stays bounded (from the simulator's log), the
// state ends right (cooldown, needs re-login, stale numbers kept) and the
// message a user sees is one clear line without a token or Go internals.
//
// It holds only tests.
package faults
