//go:build unix

package claudecode

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// holdLocksEnv makes the test binary a process that takes the refresh
// locks of the HOME it names, says so, and waits to be killed.
const holdLocksEnv = "CLAUDECODE_TEST_HOLD_LOCKS_IN"

func TestMain(m *testing.M) {
	if home := os.Getenv(holdLocksEnv); home != "" {
		s, err := New(Options{Env: Env{Home: home, GOOS: "linux"}})
		if err == nil {
			_, err = s.LockRefresh(context.Background())
		}
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(2)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// An aimonitor killed while holding Claude Code's refresh locks leaves the
// directories behind; the next taker removes them at once instead of
// waiting out the 60 s stale threshold.
func TestLocksOfAKilledHolderAreReclaimedAtOnce(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdLocksEnv+"="+home, "GORACE=atexit_sleep_ms=0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "held\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the holder did not take the locks: %q", line)
	}
	locks := []string{filepath.Join(home, ".claude", ".oauth_refresh.lock"), filepath.Join(home, ".claude.lock")}
	for _, p := range locks {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode()&fs.ModeSticky == 0 {
			t.Fatalf("%s is not held and marked: %v %v", p, fi, err)
		}
	}
	// Alive (and past the grace of a holder still taking its lock), its
	// locks are respected.
	s, _ := newTestSlot(t, func(o *Options) { o.Env.Home = home; o.LockWait = reclaimGrace + 500*time.Millisecond })
	if _, err := s.LockRefresh(context.Background()); !errors.Is(err, ErrLockBusy) {
		t.Fatalf("took the locks of a live holder: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	killed := time.Now()
	s, _ = newTestSlot(t, func(o *Options) { o.Env.Home = home; o.LockWait = 10 * time.Second })
	release, err := s.LockRefresh(context.Background())
	if err != nil {
		t.Fatalf("the locks of the killed holder were not reclaimed: %v", err)
	}
	// Within the grace plus the holder's touch interval at most, never the
	// 60 s stale threshold.
	if d := time.Since(killed); d > reclaimGrace+lockTouchEvery {
		t.Fatalf("reclaiming took %s", d)
	}
	release()
	for _, p := range locks {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s left after release: %v", p, err)
		}
	}
}

// Only marked, unheld directories are reclaimed: Claude Code's own lock
// (never marked) and a marked one whose holder is alive are waited for.
func TestReclaimDeadJudgesOnlyDeadAimonitorLocks(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.lock")
	os.Mkdir(plain, 0o755)
	past := time.Now().Add(-reclaimGrace - time.Second)
	os.Chtimes(plain, past, past)
	if gone, err := reclaimDead(plain); gone || err != nil {
		t.Fatalf("reclaimed a lock Claude Code holds: %v %v", gone, err)
	}
	live := filepath.Join(dir, "live.lock")
	os.Mkdir(live, 0o700)
	mark := markHeld(live)
	if mark == nil {
		t.Fatal("could not mark")
	}
	os.Chtimes(live, past, past)
	if gone, err := reclaimDead(live); gone || err != nil {
		t.Fatalf("reclaimed a live holder's lock: %v %v", gone, err)
	}
	unmark(mark) // the holder dies: its flock goes with it
	now := time.Now()
	os.Chtimes(live, now, now) // as fresh as a lock just created
	if gone, err := reclaimDead(live); gone || err != nil {
		t.Fatalf("reclaimed a lock within the grace of its creation: %v %v", gone, err)
	}
	old := time.Now().Add(-reclaimGrace - time.Second)
	os.Chtimes(live, old, old)
	if gone, err := reclaimDead(live); !gone || err != nil {
		t.Fatalf("did not reclaim a dead holder's lock: %v %v", gone, err)
	}
	if gone, err := reclaimDead(filepath.Join(dir, "absent.lock")); gone || err != nil {
		t.Fatalf("absent: %v %v", gone, err)
	}
}

// A writer killed between creating its temp file and renaming it leaves the
// temp file (with tokens, for the credential) behind; the next write under
// the same lock removes it, and nobody else's files.
func TestDeadTempFilesAreRemovedOnTheNextWrite(t *testing.T) {
	s, home := newTestSlot(t, nil)
	creds := filepath.Join(home, ".claude", ".credentials.json")
	writeFile(t, creds, sampleBlob)
	cfg := filepath.Join(home, ".claude.json")
	writeFile(t, cfg, sampleConfig)
	// Named as paths.WriteFileAtomic names them: "." + base + ".tmp-*".
	dead := []string{
		filepath.Join(home, ".claude", "..credentials.json.tmp-123"),
		filepath.Join(home, "..claude.json.tmp-456"),
	}
	kept := []string{
		filepath.Join(home, ".claude", ".credentials.json.tmp-1"), // not our name
		filepath.Join(home, ".claude.json.backup"),
	}
	for _, p := range append(append([]string(nil), dead...), kept...) {
		writeFile(t, p, `{"claudeAiOauth":{"accessToken":"sk-ant-oat01-left"}}`)
	}
	if err := s.UpdateCredentials(context.Background(), func(cur []byte) ([]byte, error) {
		return []byte(`{"claudeAiOauth":{"accessToken":"a2","refreshToken":"r2"}}`), nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetIdentityRaw(context.Background(), []byte(`{"accountUuid":"w"}`)); err != nil {
		t.Fatal(err)
	}
	for _, p := range dead {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left: %v", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
}
