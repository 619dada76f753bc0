//go:build unix

package filekeyring

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// killChildEnv makes the test binary a writer that rewrites the store in a
// loop until it is killed.
const killChildEnv = "FILEKEYRING_KILL_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		s := Open(Options{Dir: dir, Passphrase: passFrom(testPass)})
		for i := 0; ; i++ {
			v := fmt.Sprintf("value %d %s", i, strings.Repeat("x", i%500))
			if err := s.Set(context.Background(), fmt.Sprintf("aimonitor-%d", i%3), "me", "", []byte(v)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(3)
			}
			fmt.Println(i) // progress, so the parent kills mid-run
		}
	}
	os.Exit(m.Run())
}

// TestKillMidWrite SIGKILLs writers at random moments: the store must
// always open, with every entry present and whole.
func TestKillMidWrite(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, passFrom(testPass), nil)
	for i := 0; i < 3; i++ {
		if err := s.Set(ctx, fmt.Sprintf("aimonitor-%d", i), "me", "", []byte("first")); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for round := 0; round < 12; round++ {
		var cmds []*exec.Cmd
		for w := 0; w < 2; w++ { // two writers: the lock serialises them
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 1)
			if _, err := out.Read(buf); err != nil { // it has written once
				t.Fatalf("writer: %v", err)
			}
			cmds = append(cmds, cmd)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(20 * time.Millisecond))))
		for _, cmd := range cmds {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			if err := cmd.Wait(); err != nil && !strings.Contains(err.Error(), "killed") {
				t.Fatalf("a writer failed on its own: %v", err)
			}
		}
		fresh := newStore(t, dir, passFrom(testPass), nil)
		items, err := fresh.Items(ctx)
		if err != nil || len(items) != 3 {
			t.Fatalf("round %d: %d items, %v", round, len(items), err)
		}
		for i := 0; i < 3; i++ {
			v, err := fresh.Get(ctx, fmt.Sprintf("aimonitor-%d", i), "me")
			if err != nil || !(string(v) == "first" || strings.HasPrefix(string(v), "value ")) {
				t.Fatalf("round %d: entry %d is %q, %v", round, i, v, err)
			}
		}
	}
	// The next writer sweeps what killed ones left.
	if err := s.Set(ctx, "aimonitor-0", "me", "", []byte("last")); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Fatalf("temp files left after a write: %v", left)
	}
}
