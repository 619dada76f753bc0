package tokens

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// Benchmarks (go test -bench . ./backend/tokens). The end-to-end comparison
// with ccusage on a 300 MB corpus is bench/tokens/run.sh.

var benchText = strings.Repeat(`func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {\n\tif err != nil {\n\t\treturn fmt.Errorf(\"read %s: %w\", path, err)\n\t}\n}\n → ✓ done `, 20)

func benchLines() [][]byte {
	var out [][]byte
	for i := 0; i < 100; i++ {
		m := msg{id: fmt.Sprintf("msg_%d", i), req: fmt.Sprintf("r%d", i), at: t0, in: 3, out: 300, cw: 1000, cr: 50000, text: benchText}
		out = append(out, []byte(m.line()))
	}
	return out
}

func BenchmarkParseLine(b *testing.B) {
	lines := benchLines()
	var n int64
	for _, l := range lines {
		n += int64(len(l))
	}
	b.SetBytes(n)
	var dst []Entry
	for b.Loop() {
		for _, l := range lines {
			dst = ParseLine(dst[:0], l)
		}
	}
	if len(dst) != 1 {
		b.Fatal("line not parsed")
	}
}

// benchCorpus writes files transcripts of responses responses each, with a
// tool result after every response and every response written twice.
func benchCorpus(b *testing.B, root string, files, responses int) int64 {
	b.Helper()
	e := &env{t: b, roots: []string{root}}
	var size int64
	for f := 0; f < files; f++ {
		var lines []string
		for i := 0; i < responses; i++ {
			m := msg{id: fmt.Sprintf("msg_%d_%d", f, i), req: fmt.Sprintf("r%d_%d", f, i), at: t0.Add(time.Duration(i) * time.Minute),
				in: 3, out: 300, cw: 1000, cr: 50000, text: benchText}
			l := m.line()
			lines = append(lines, l, l, userLine(2000))
			size += int64(2*len(l)+len(userLine(2000))) + 3
		}
		e.write(0, fmt.Sprintf("-home-me-p%d/s%d.jsonl", f%5, f), lines...)
	}
	return size
}

// BenchmarkScanCold is the first scan: everything read and recorded.
func BenchmarkScanCold(b *testing.B) {
	dir := b.TempDir()
	size := benchCorpus(b, filepath.Join(dir, "projects"), 40, 100)
	b.SetBytes(size)
	for i := 0; b.Loop(); i++ {
		db, err := store.Open(context.Background(), filepath.Join(dir, fmt.Sprintf("db%d", i), "a.db"))
		if err != nil {
			b.Fatal(err)
		}
		st, err := New(db, Options{Roots: []string{filepath.Join(dir, "projects")}}).Scan(context.Background(), nil)
		if err != nil || st.Added != 4000 {
			b.Fatalf("%+v %v", st, err)
		}
		db.Close()
	}
}

// BenchmarkScanWarm is a scan with nothing new: stat every file, read nothing.
func BenchmarkScanWarm(b *testing.B) {
	dir := b.TempDir()
	benchCorpus(b, filepath.Join(dir, "projects"), 40, 100)
	db, err := store.Open(context.Background(), filepath.Join(dir, "a.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l := New(db, Options{Roots: []string{filepath.Join(dir, "projects")}})
	if _, err := l.Scan(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if st, err := l.Scan(context.Background(), nil); err != nil || st.Read != 0 {
			b.Fatalf("%+v %v", st, err)
		}
	}
}

func BenchmarkReportByDay(b *testing.B) {
	dir := b.TempDir()
	benchCorpus(b, filepath.Join(dir, "projects"), 40, 100)
	db, err := store.Open(context.Background(), filepath.Join(dir, "a.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l := New(db, Options{Roots: []string{filepath.Join(dir, "projects")}})
	if _, err := l.Scan(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("computed", func(b *testing.B) {
		for b.Loop() {
			err := l.db.Read(ctx, func(conn *sqlite.Conn) error {
				p, err := warm.PlanOf(Query{Location: time.UTC})
				if err != nil {
					return err
				}
				return compute(conn, p.NewReport(Query{}), p)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.ReportJSON(ctx, Query{Location: time.UTC}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
