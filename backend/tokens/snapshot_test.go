package tokens

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// withSnapshot has e's ledger write its snapshot beside the database.
func (e *env) withSnapshot(stamp string) string {
	path := filepath.Join(filepath.Dir(e.db.Path()), warm.SnapshotName)
	e.l = New(e.db, Options{Roots: e.roots, Snapshot: &SnapshotOptions{Path: path, Build: "b1", ConfigStamp: func() string { return stamp }}})
	return path
}

func TestScanWritesTheSnapshot(t *testing.T) {
	e := newEnv(t, 1)
	path := e.withSnapshot("cfg")
	canary := "sk-ant-oat01-" + string(bytes.Repeat([]byte("Zq7"), 30))
	e.write(0, "-home-me-app/s.jsonl",
		msg{id: "msg_1", req: "r1", at: t0, in: 10, out: 2, text: "the token is " + canary}.line(),
		userLine(50)+canary,
		msg{id: "msg_2", req: "r2", at: t0.Add(26 * time.Hour), in: 100, out: 3, model: "claude-opus-4-5"}.line())
	e.write(0, "-home-me-app/s/subagents/agent-1.jsonl", msg{id: "msg_3", req: "r3", at: t0, in: 1, out: 1, sidechain: true}.line())
	e.scan()
	s, err := warm.ReadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	tree, _, err := listFiles(e.roots)
	if err != nil {
		t.Fatal(err)
	}
	if s.Build != "b1" || s.Config != "cfg" || s.Ledger != warm.FileIdentity(e.db.Path()) || !s.Tree.Equal(tree) {
		t.Fatalf("snapshot: %+v, tree %+v", s, s.Tree)
	}
	// Its rows render every report as the ledger does.
	for _, by := range []string{ByDay, ByModel, ByProject} {
		q := Query{By: by, Location: time.UTC}
		want, err := e.l.ReportJSON(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var fromLedger, fromSnapshot bytes.Buffer
		warm.WriteJSON(&fromLedger, want)
		if !warm.Render(&fromSnapshot, s, q, true) || fromSnapshot.String() != fromLedger.String() {
			t.Fatalf("by %s: from the snapshot\n%s\nfrom the ledger\n%s", by, fromSnapshot.String(), fromLedger.String())
		}
	}
	// With the answers the command line remembers in it, paths, counts and
	// costs only: nothing of the transcripts' text.
	for _, asJSON := range []bool{true, false} {
		if _, err := e.l.Answer(context.Background(), Query{By: ByProject, Location: time.UTC}, asJSON); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := warm.ReadSnapshot(path); err != nil || len(s.Outputs) != 2 {
		t.Fatalf("remembered answers: %v %+v", err, s)
	}
	raw, _ := os.ReadFile(path)
	for _, secret := range []string{canary, "Zq7Zq7", "the token is", "Let me look"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the snapshot holds %q", secret)
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}

	// A scan that reads nothing leaves a current snapshot as it is.
	before, _ := os.Stat(path)
	e.scan()
	if after, _ := os.Stat(path); !os.SameFile(before, after) {
		t.Error("a scan with nothing new rewrote a current snapshot")
	}
	// A new line is recorded and the snapshot follows.
	e.appendRaw(filepath.Join(e.roots[0], "-home-me-app/s.jsonl"), msg{id: "msg_4", req: "r4", at: t0, in: 5}.line()+"\n")
	e.scan()
	if s2, err := warm.ReadSnapshot(path); err != nil || s2.Generation == s.Generation || s2.Tree.Equal(s.Tree) {
		t.Fatalf("after a new line: %v, generation %d", err, s2.Generation)
	}
}

// A scan that leaves a transcript unread removes the snapshot: the ledger
// is not a summary of the tree the scan listed.
func TestScanWithAnUnreadableFileRemovesTheSnapshot(t *testing.T) {
	e := newEnv(t, 1)
	path := e.withSnapshot("cfg")
	e.write(0, "p/a.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 1}.line())
	e.scan()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	// Listed as a file, a directory when read (a read error even for root).
	b := e.write(0, "p/b.jsonl", msg{id: "msg_2", req: "r2", at: t0, in: 1}.line())
	e.l = New(e.db, Options{Roots: e.roots, Snapshot: &SnapshotOptions{Path: path, Build: "b1"},
		BeforeRead: func(context.Context) {
			if fi, err := os.Lstat(b); err == nil && fi.Mode().IsRegular() {
				os.Remove(b)
				os.Mkdir(b, 0o755)
			}
		}})
	if st := e.scan(); st.Unreadable != 1 {
		t.Fatalf("unreadable %d", st.Unreadable)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("snapshot kept: %v", err)
	}
}

// A scan that fails removes the snapshot too.
func TestFailedScanRemovesTheSnapshot(t *testing.T) {
	e := newEnv(t, 1)
	path := e.withSnapshot("cfg")
	e.write(0, "p/a.jsonl", msg{id: "msg_1", req: "r1", at: t0, in: 1}.line())
	e.scan()
	e.write(0, "p/b.jsonl", msg{id: "msg_2", req: "r2", at: t0, in: 1}.line())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.l.Scan(ctx, nil); err == nil {
		t.Fatal("a cancelled scan succeeded")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("snapshot kept: %v", err)
	}
}
