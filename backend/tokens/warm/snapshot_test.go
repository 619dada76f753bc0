package warm

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// sampleSnapshot has a bit of everything: roots present and absent, an
// unreadable directory, files in nested directories, names, a recorded
// cost and negative and large numbers.
func sampleSnapshot(rows int) *Snapshot {
	s := &Snapshot{
		Build: "b1", Ledger: "2049:77", Config: "12,1700000000000000000,9", Generation: 42,
		Tree: &Tree{
			Roots: []Root{{Path: "/h/.claude/projects", Real: "/h/.claude/projects"}, {Path: "/h/.config/claude/projects"}},
			Dirs: []Dir{{Path: "/h/.claude/projects"}, {Path: "/h/.claude/projects/-a", Project: "-a"},
				{Path: "/h/.claude/projects/-a/s/subagents", Project: "-a"}, {Path: "/h/.claude/projects/-b", Project: "-b", Unreadable: true}},
			Files: []File{{Dir: 0, Name: "top.jsonl", Size: 1, MtimeNS: -5, Inode: 1},
				{Dir: 1, Name: "s.jsonl", Size: 1 << 40, MtimeNS: 1765000000123456789, Inode: math.MaxUint64},
				{Dir: 2, Name: "agent-1.jsonl", Size: 0, MtimeNS: 1, Inode: 3}},
		},
		Dims:    Dims{Models: map[int64]string{1: "claude-opus-4-5", 2: "", 3: "some-local-model"}, Projects: map[int64]string{1: "/home/me/app", 2: ""}},
		Outputs: []Output{{Key: "day:abc", Data: []byte("{\n  \"by\": \"day\"\n}\n\n")}, {Key: "model:x", Data: nil}},
	}
	for i := range rows {
		s.Rows = append(s.Rows, UsageRow{Bucket: int64(1960000 + i/3), Model: int64(1 + i%3), Project: int64(1 + i%2), Class: i % 4,
			Sums: Sums{Messages: int64(i + 1), Usage: Usage{Input: int64(i * 7), Output: 3, CacheCreation: 1000, CacheCreate1h: int64(i % 5), CacheRead: 1 << 33},
				Cost: map[bool]float64{true: 0.1 * float64(i), false: 0}[i%4 == ClassRecorded]}})
	}
	return s
}

func rowsOf(s *Snapshot) []UsageRow {
	var out []UsageRow
	s.EachRow(func(r *UsageRow) { out = append(out, *r) })
	return out
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 500} {
		s := sampleSnapshot(n)
		got, err := ParseSnapshot(s.Encode())
		if err != nil {
			t.Fatalf("%d rows: %v", n, err)
		}
		if got.Build != s.Build || got.Ledger != s.Ledger || got.Config != s.Config || got.Generation != s.Generation {
			t.Fatalf("header: %+v", got)
		}
		if !got.Tree.Equal(s.Tree) || !reflect.DeepEqual(got.Dims, s.Dims) {
			t.Fatalf("tree or names differ: %+v %+v", got.Tree, got.Dims)
		}
		if len(got.Outputs) != 2 || got.Outputs[0].Key != "day:abc" || string(got.Outputs[0].Data) != string(s.Outputs[0].Data) || len(got.Outputs[1].Data) != 0 {
			t.Fatalf("outputs: %+v", got.Outputs)
		}
		if n > 0 && (got.First != s.Rows[0].Bucket || got.Last != s.Rows[n-1].Bucket) {
			t.Fatalf("first and last bucket: %d %d", got.First, got.Last)
		}
		if rows := rowsOf(got); !reflect.DeepEqual(rows, s.Rows) {
			t.Fatalf("%d rows: got %d rows, first differing", n, len(rows))
		}
		// Read lazily (the launcher), the tree is its encoded bytes: those
		// of the same tree listed again, and not of another.
		lazy, err := parseSnapshot(s.Encode(), true)
		if err != nil || !bytes.Equal(lazy.treeRaw, appendTree(nil, s.Tree)) || !reflect.DeepEqual(rowsOf(lazy), s.Rows) {
			t.Fatalf("%d rows, read lazily: %v", n, err)
		}
		other := *s.Tree
		other.Files = append([]File(nil), other.Files...)
		other.Files[1].Size++
		if bytes.Equal(lazy.treeRaw, appendTree(nil, &other)) {
			t.Fatal("another tree encodes the same")
		}
	}
}

// Any change to the bytes (cut short, extended, one bit flipped anywhere)
// is refused, never read as another snapshot.
func TestSnapshotRefusesDamage(t *testing.T) {
	data := sampleSnapshot(50).Encode()
	for i := 0; i < len(data); i++ {
		if _, err := ParseSnapshot(data[:i]); !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("cut at %d of %d: %v", i, len(data), err)
		}
		for _, bit := range []byte{1, 0x10, 0x80} {
			b := bytes.Clone(data)
			b[i] ^= bit
			if _, err := ParseSnapshot(b); !errors.Is(err, ErrBadSnapshot) {
				t.Fatalf("bit %#x of byte %d flipped: %v", bit, i, err)
			}
		}
	}
	if _, err := ParseSnapshot(append(bytes.Clone(data), 0)); !errors.Is(err, ErrBadSnapshot) {
		t.Fatalf("extended: %v", err)
	}
}

func TestWriteSnapshotIsPrivateAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SnapshotName)
	for gen := range int64(3) {
		s := sampleSnapshot(10)
		s.Generation = gen
		if err := WriteSnapshot(path, s); err != nil {
			t.Fatal(err)
		}
		got, err := ReadSnapshot(path)
		if err != nil || got.Generation != gen {
			t.Fatalf("generation %d: %v %+v", gen, err, got)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v: %v", fi.Mode(), err)
	}
	// Only the snapshot is left: no temporary file.
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left %d files", len(ents))
	}
	// A temporary file a killed writer left is removed once it is old.
	stale := filepath.Join(dir, "."+SnapshotName+".tmp-123")
	os.WriteFile(stale, []byte("half"), 0o600)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(stale, old, old)
	fresh := filepath.Join(dir, "."+SnapshotName+".tmp-456")
	os.WriteFile(fresh, []byte("a writer at work"), 0o600)
	if err := WriteSnapshot(path, sampleSnapshot(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh temporary file was removed: %v", err)
	}
	if err := RemoveSnapshot(path); err != nil {
		t.Fatal(err)
	}
	if err := RemoveSnapshot(path); err != nil {
		t.Fatalf("removing a snapshot already gone: %v", err)
	}
}

// A writer killed at any moment leaves the old snapshot or the new one,
// whole. The writer is this test binary run again as a helper process
// that writes two snapshots in turn until it is killed.
func TestKillWhileWritingLeavesOldOrNew(t *testing.T) {
	if dir := os.Getenv("WARM_TEST_WRITER"); dir != "" {
		a, b := sampleSnapshot(20000), sampleSnapshot(20001)
		a.Generation, b.Generation = 1, 2
		for {
			WriteSnapshot(filepath.Join(dir, SnapshotName), a)
			WriteSnapshot(filepath.Join(dir, SnapshotName), b)
		}
	}
	if testing.Short() {
		t.Skip("kills writer processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, SnapshotName)
	first := sampleSnapshot(1)
	first.Generation = 0
	seen := map[int64]int{}
	for i := range 12 {
		if err := WriteSnapshot(path, first); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillWhileWritingLeavesOldOrNew$")
		cmd.Env = append(os.Environ(), "WARM_TEST_WRITER="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Once the writer is at work (it replaced the first snapshot),
		// kill it at a different moment each time.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if s, err := ReadSnapshot(path); err == nil && s.Generation != 0 {
				break
			}
		}
		time.Sleep(time.Duration(i) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		s, err := ReadSnapshot(path)
		if err != nil {
			t.Fatalf("after kill %d: %v", i, err)
		}
		seen[s.Generation]++
		want := map[int64]int{1: 20000, 2: 20001}[s.Generation]
		if n := len(rowsOf(s)); n != want {
			t.Fatalf("after kill %d: generation %d with %d rows", i, s.Generation, n)
		}
	}
	t.Logf("generations found after the kills: %v", seen)
}

func FuzzParseSnapshot(f *testing.F) {
	for _, n := range []int{0, 3} {
		data := sampleSnapshot(n).Encode()
		f.Add(data)
		f.Add(data[len(snapshotMagic)+6:]) // a body alone, for parseBody
	}
	f.Add([]byte(snapshotMagic + "\x01\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The whole file (its checksum stops most inputs early) and the
		// body alone (every field's decoding), read fully and lazily.
		parsers := []func([]byte) (*Snapshot, error){ParseSnapshot,
			func(b []byte) (*Snapshot, error) { return parseBody(b, false) },
			func(b []byte) (*Snapshot, error) { return parseBody(b, true) }}
		for i, parse := range parsers {
			s, err := parse(data)
			if err != nil {
				if !errors.Is(err, ErrBadSnapshot) {
					t.Fatalf("error not wrapping ErrBadSnapshot: %v", err)
				}
				continue
			}
			// What parses can be rendered, keyed and (read fully) listed
			// and written again.
			var buf bytes.Buffer
			for _, by := range []string{ByDay, ByModel, ByProject} {
				Render(&buf, s, Query{By: by}, true)
				OutputKey(s, Query{By: by, Since: "2026-01-01"}, false)
			}
			if i == 2 {
				continue
			}
			for i := range s.Tree.Files {
				_ = s.Tree.Path(i)
			}
			s.Rows = rowsOf(s)
			for _, q := range []Query{{}, {Since: "2026-01-01"}} {
				if key := OutputKey(s, q, true); key != "" {
					s.Remember(key, []byte("answer"))
				}
			}
			again, err := ParseSnapshot(s.Encode())
			if err != nil || !again.Tree.Equal(s.Tree) || len(rowsOf(again)) != len(s.Rows) || len(again.Outputs) != len(s.Outputs) {
				t.Fatalf("does not read back: %v", err)
			}
		}
	})
}

func ExampleFileStamp() {
	dir, _ := os.MkdirTemp("", "stamp")
	defer os.RemoveAll(dir)
	fmt.Println(FileStamp(filepath.Join(dir, "absent")))
	os.WriteFile(filepath.Join(dir, "f"), []byte("12345"), 0o600)
	size, _, _ := bytes.Cut([]byte(FileStamp(filepath.Join(dir, "f"))), []byte(","))
	n, _ := strconv.Atoi(string(size))
	fmt.Println(n)
	// Output:
	// -
	// 5
}
