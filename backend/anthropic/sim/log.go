package sim

import (
	"maps"
	"slices"
	"time"
)

// Request is one logged request (control traffic under /_sim/ excluded).
type Request struct {
	At       time.Time `json:"at"` // simulator clock
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	Endpoint Endpoint  `json:"endpoint"`
	// Account is the uuid the request's token belongs to, "" if unknown.
	Account string    `json:"account,omitempty"`
	Status  int       `json:"status"`
	Fault   FaultKind `json:"fault,omitempty"`
}

// Log is a snapshot of the request log.
type Log struct {
	// Requests holds the most recent requests, oldest first (at most
	// maxLogEntries; the counts below cover every request).
	Requests   []Request        `json:"requests"`
	Total      int              `json:"total"`
	ByEndpoint map[Endpoint]int `json:"by_endpoint"`
	ByAccount  map[string]int   `json:"by_account"`
	ByStatus   map[int]int      `json:"by_status"`
}

// Count returns how many logged requests hit ep with the given status
// (status 0 counts every status).
func (l Log) Count(ep Endpoint, status int) int {
	n := 0
	for _, r := range l.Requests {
		if r.Endpoint == ep && (status == 0 || r.Status == status) {
			n++
		}
	}
	return n
}

const maxLogEntries = 10000

type requestLog struct {
	entries    []Request
	total      int
	byEndpoint map[Endpoint]int
	byAccount  map[string]int
	byStatus   map[int]int
}

func newRequestLog() requestLog {
	return requestLog{byEndpoint: map[Endpoint]int{}, byAccount: map[string]int{}, byStatus: map[int]int{}}
}

func (l *requestLog) add(r Request) {
	if len(l.entries) == maxLogEntries {
		l.entries = slices.Delete(l.entries, 0, maxLogEntries/10)
	}
	l.entries = append(l.entries, r)
	l.total++
	l.byEndpoint[r.Endpoint]++
	if r.Account != "" {
		l.byAccount[r.Account]++
	}
	l.byStatus[r.Status]++
}

// Log returns a copy of the request log.
func (s *Server) Log() Log {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Log{
		Requests:   slices.Clone(s.log.entries),
		Total:      s.log.total,
		ByEndpoint: maps.Clone(s.log.byEndpoint),
		ByAccount:  maps.Clone(s.log.byAccount),
		ByStatus:   maps.Clone(s.log.byStatus),
	}
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = newRequestLog()
}
