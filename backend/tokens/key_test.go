package tokens

import "testing"

// Ledgers keep only the hash of a response's dedupe key, so a change to the
// key's bytes or to the hash would count every response of an existing
// ledger a second time when its transcript is read again: both are pinned
// (the values are FNV-1a 64 of "msg_01ABC\x00req_01XYZ",
// "@<path>:123456789:3", "msg_01ABC\x00\x00sess-1" and
// "chatcmpl-1\x00\x00sess-1\x001748772000000").
func TestDedupeHashesAreStable(t *testing.T) {
	entry := func(id, req string, hasReq bool, session string, ts, off int64, sub int) *fileEntry {
		e := &fileEntry{offset: off, sub: sub}
		e.MessageID, e.RequestID, e.HasRequestID, e.SessionID, e.Time = id, req, hasReq, session, ts
		return e
	}
	const path = "/home/me/.claude/projects/-home-me-src-app/s.jsonl"
	for _, tt := range []struct {
		e    *fileEntry
		want int64
	}{
		{entry("msg_01ABC", "req_01XYZ", true, "s", 1, 0, 0), -6114007451488462663},
		{entry("", "", false, "s", 1, 123456789, 3), 1765711175615511669},
		{entry("msg_01ABC", "", false, "sess-1", 1748772000000, 0, 0), -3218355365755530648},
		{entry("chatcmpl-1", "", false, "sess-1", 1748772000000, 0, 0), -838780400444255055},
	} {
		if got := keyHash(dedupeKey(path, tt.e)); got != tt.want {
			t.Errorf("%+v: hash %d, want %d", *tt.e, got, tt.want)
		}
	}
}
