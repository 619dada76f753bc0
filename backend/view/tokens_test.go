package view

import (
	"testing"

	"github.com/aimonitor/aimonitor/backend/tokens"
)

func TestScanProgressShowsLargeScansByPercent(t *testing.T) {
	var s ScanProgress
	// A small scan is never shown.
	if _, ok := s.Update(tokens.Progress{FilesTotal: 3, BytesTotal: 4096}); ok {
		t.Fatal("a small scan was shown")
	}
	if _, ok := s.Done(); ok {
		t.Fatal("the end of a small scan was sent")
	}
	total := int64(1 << 30)
	sent := 0
	for i := int64(0); i <= 1000; i++ {
		done := total * i / 1000
		p, ok := s.Update(tokens.Progress{FilesTotal: 1000, FilesDone: int(i), BytesTotal: total, BytesDone: done})
		if !p.Running || p.BytesTotal != total || p.BytesDone != done {
			t.Fatalf("progress %+v", p)
		}
		if ok {
			sent++
		}
	}
	if sent < 100 || sent > 101 {
		t.Fatalf("%d events for a scan in 1000 steps; want one per percent", sent)
	}
	if cur := s.Current(); !cur.Running || cur.FilesDone != 1000 {
		t.Fatalf("current %+v", cur)
	}
	p, ok := s.Done()
	if !ok || p.Running || p.FilesDone != 1000 {
		t.Fatalf("done %+v %v", p, ok)
	}
	if s.Current().Running {
		t.Fatal("still running after Done")
	}
}
