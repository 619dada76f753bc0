package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aimonitor/aimonitor/backend/tokens"
	"github.com/aimonitor/aimonitor/backend/tokens/warm"
	"github.com/aimonitor/aimonitor/backend/view"
)

// runTokens keeps the local token ledger current from Claude Code's
// transcripts, in the background: a scan at start, then on file changes.
func (a *App) runTokens(ctx context.Context) {
	db, err := a.svc.Store(ctx)
	if err != nil {
		a.svc.Log.Warn("token accounting unavailable", "err", err)
		return
	}
	ledger := tokens.New(db, tokens.Options{Roots: tokens.DefaultRoots(a.svc.Environ()), Log: a.svc.Log,
		BeforeRead: scanGate(a.svc.Environ()),
		// The launcher answers `aimonitor tokens` from this snapshot while
		// no transcript changes.
		Snapshot: &tokens.SnapshotOptions{Path: filepath.Join(a.svc.Paths.DataDir, warm.SnapshotName),
			ConfigStamp: a.svc.VerifiedConfigStamp}})
	a.mu.Lock()
	a.ledger = ledger
	a.mu.Unlock()
	ing := ledger.StartIngester(ctx, tokens.IngesterOptions{
		// A first scan of a long history takes a while: the Tokens view
		// shows how far it is (the rest of the widget does not wait on it).
		OnProgress: func(p tokens.Progress) {
			if s, ok := a.scanProgress.Update(p); ok {
				a.emit(EventTokensProgress, s)
			}
		},
		OnScan: func(st tokens.ScanStats, err error) {
			if s, ok := a.scanProgress.Done(); ok {
				a.emit(EventTokensProgress, s)
			}
			if err != nil {
				a.svc.Log.Warn("reading Claude Code transcripts", "err", err)
				return
			}
			if st.Added+st.Improved > 0 {
				a.emit(EventTokensChanged, st.Added+st.Improved)
			}
		},
	})
	<-ctx.Done()
	ing.Stop()
}

func (a *App) tokenLedger() (*tokens.Ledger, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ledger == nil {
		return nil, errors.New("token accounting is still starting")
	}
	return a.ledger, nil
}

// TokensReport totals local token usage between since and until
// (YYYY-MM-DD, inclusive, empty for open ends) by day, model, project or
// account, in the local time zone.
func (a *App) TokensReport(since, until, by string) (tokens.Report, error) {
	l, err := a.tokenLedger()
	if err != nil {
		return tokens.Report{}, err
	}
	return l.Report(a.ctxOrBackground(), tokens.Query{Since: since, Until: until, By: by, Location: time.Local})
}

// TokensProgress is the progress of a large transcript scan running now
// (Running false when none is).
func (a *App) TokensProgress() (view.TokensScan, error) {
	return a.scanProgress.Current(), nil
}

// TokensSummary is today, the current five-hour block and this week.
func (a *App) TokensSummary() (tokens.Summary, error) {
	l, err := a.tokenLedger()
	if err != nil {
		return tokens.Summary{}, err
	}
	return l.Summary(a.ctxOrBackground(), time.Now())
}

// scanGateEnv names a file that, while it exists, holds a transcript scan
// after its first scanGateFiles files: the end-to-end test's way to check
// the widget while a first scan is in progress, whatever the machine's
// speed. It is honoured only in a sandbox (AIMONITOR_SANDBOX=1).
const (
	scanGateEnv   = "AIMONITOR_TEST_SCAN_GATE"
	scanGateFiles = 10
)

func scanGate(environ []string) func(ctx context.Context) {
	var sandbox, gate string
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			switch k {
			case "AIMONITOR_SANDBOX":
				sandbox = v
			case scanGateEnv:
				gate = v
			}
		}
	}
	if sandbox != "1" || gate == "" {
		return nil
	}
	var files atomic.Int64
	return func(ctx context.Context) {
		if files.Add(1) <= scanGateFiles {
			return
		}
		for {
			if _, err := os.Stat(gate); err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}
