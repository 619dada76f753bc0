package view

import (
	"sync"

	"github.com/aimonitor/aimonitor/backend/tokens"
)

// TokensScan is the progress of a transcript scan worth showing (the first
// one over a long history): the tokens-progress event's payload and
// TokensProgress's result. Running is false once it is over, or when no
// such scan runs.
type TokensScan struct {
	Running    bool  `json:"running"`
	FilesDone  int   `json:"files_done"`
	FilesTotal int   `json:"files_total"`
	BytesDone  int64 `json:"bytes_done"`
	BytesTotal int64 `json:"bytes_total"`
}

// ShowScanBytes is the smallest scan the widget shows progress for: the
// scans that follow Claude Code's writing read a few KB and end at once.
const ShowScanBytes = 64 << 20

// ScanProgress turns a ledger's progress reports into the events worth
// sending: for scans of at least ShowScanBytes only, at most one per percent
// of the bytes (each event costs the web view a script), and a last one
// when the scan ends. It is safe for concurrent use.
type ScanProgress struct {
	mu      sync.Mutex
	cur     TokensScan
	lastPct int64
}

// Update takes a scan's progress; ok says whether to send the result.
func (s *ScanProgress) Update(p tokens.Progress) (TokensScan, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.BytesTotal < ShowScanBytes {
		return TokensScan{}, false
	}
	started := !s.cur.Running
	s.cur = TokensScan{Running: true, FilesDone: p.FilesDone, FilesTotal: p.FilesTotal, BytesDone: p.BytesDone, BytesTotal: p.BytesTotal}
	pct := p.BytesDone * 100 / p.BytesTotal
	if !started && pct == s.lastPct {
		return s.cur, false
	}
	s.lastPct = pct
	return s.cur, true
}

// Done ends the scan; ok says whether progress was shown and so whether to
// send the result (Running false).
func (s *ScanProgress) Done() (TokensScan, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cur.Running {
		return s.cur, false
	}
	s.cur.Running = false
	return s.cur, true
}

// Current is the progress of the scan running now, if one is shown.
func (s *ScanProgress) Current() TokensScan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}
