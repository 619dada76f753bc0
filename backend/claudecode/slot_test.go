package claudecode

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/keyringtest"
)

func newTestSlot(t *testing.T, mut func(*Options)) (*Slot, string) {
	t.Helper()
	home := t.TempDir()
	o := Options{Env: Env{Home: home, GOOS: "linux"}, LockWait: 2 * time.Second, ReadRetryDelay: 10 * time.Millisecond}
	if mut != nil {
		mut(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, home
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPaths(t *testing.T) {
	s, home := newTestSlot(t, nil)
	if got := s.CredentialsPath(); got != filepath.Join(home, ".claude", ".credentials.json") {
		t.Errorf("credentials %s", got)
	}
	if got := s.ConfigPath(); got != filepath.Join(home, ".claude.json") {
		t.Errorf("config %s", got)
	}
	dir := filepath.Join(t.TempDir(), "work")
	s2, _ := newTestSlot(t, func(o *Options) { o.Env.ConfigDir = dir })
	if s2.CredentialsPath() != filepath.Join(dir, ".credentials.json") || s2.ConfigPath() != filepath.Join(dir, ".claude.json") {
		t.Errorf("CLAUDE_CONFIG_DIR: %s %s", s2.CredentialsPath(), s2.ConfigPath())
	}
	writeFile(t, filepath.Join(dir, ".config.json"), "{}")
	if s2.ConfigPath() != filepath.Join(dir, ".config.json") {
		t.Errorf("legacy .config.json not preferred: %s", s2.ConfigPath())
	}
	env, err := EnvFrom(func(k string) (string, bool) {
		v, ok := map[string]string{"HOME": "/h", "CLAUDE_CONFIG_DIR": "/c"}[k]
		return v, ok
	}, "linux")
	if err != nil || env.Home != "/h" || env.ConfigDir != "/c" {
		t.Fatalf("EnvFrom %+v %v", env, err)
	}
	if _, err := EnvFrom(func(string) (string, bool) { return "", false }, "linux"); err == nil {
		t.Fatal("no HOME accepted")
	}
}

func TestReadCredentials(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestSlot(t, nil)
	if b, err := s.ReadCredentials(ctx); b != nil || err != nil {
		t.Fatalf("missing file: %q %v", b, err)
	}
	writeFile(t, s.CredentialsPath(), sampleBlob)
	b, err := s.ReadCredentials(ctx)
	if err != nil || string(b) != sampleBlob {
		t.Fatalf("read %q %v", b, err)
	}

	// A half-written file that gets completed is read once it is whole.
	writeFile(t, s.CredentialsPath(), sampleBlob[:40])
	go func() {
		time.Sleep(25 * time.Millisecond)
		_ = os.WriteFile(s.CredentialsPath(), []byte(sampleBlob), 0o600)
	}()
	b, err = s.ReadCredentials(ctx)
	if err != nil || string(b) != sampleBlob {
		t.Fatalf("half-written then whole: %q %v", b, err)
	}

	// One that stays broken is reported, without its content.
	writeFile(t, s.CredentialsPath(), `{"claudeAiOauth":{"accessToken":"sk-ant-oat01-secret"`)
	_, err = s.ReadCredentials(ctx)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), s.CredentialsPath()) || strings.Contains(err.Error(), "sk-ant") {
		t.Fatalf("malformed: %v", err)
	}

	writeFile(t, s.CredentialsPath(), "  \n")
	if b, err := s.ReadCredentials(ctx); b != nil || err != nil {
		t.Fatalf("empty file: %q %v", b, err)
	}
}

func TestUpdateCredentials(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestSlot(t, nil)
	err := s.UpdateCredentials(ctx, func(cur []byte) ([]byte, error) {
		if cur != nil {
			t.Errorf("current %q", cur)
		}
		return []byte(sampleBlob), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.CredentialsPath())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(s.ConfigDir(), ".storage-write.lock")); !os.IsNotExist(err) {
		t.Fatalf("storage lock left behind: %v", err)
	}
	// fn's error stops the write.
	boom := errors.New("boom")
	if err := s.UpdateCredentials(ctx, func([]byte) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if readFile(t, s.CredentialsPath()) != sampleBlob {
		t.Fatal("file changed after a failed update")
	}
	// A malformed current file is never overwritten.
	writeFile(t, s.CredentialsPath(), "{oops")
	called := false
	err = s.UpdateCredentials(ctx, func([]byte) ([]byte, error) { called = true; return []byte(`{}`), nil })
	if !errors.Is(err, ErrMalformed) || called || readFile(t, s.CredentialsPath()) != "{oops" {
		t.Fatalf("malformed current: %v called=%v", err, called)
	}
	// nil removes.
	writeFile(t, s.CredentialsPath(), sampleBlob)
	if err := s.UpdateCredentials(ctx, func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.CredentialsPath()); !os.IsNotExist(err) {
		t.Fatal("not removed")
	}
}

const sampleConfig = `{
  "numStartups": 12,
  "theme": "dark",
  "projects": {
    "/home/me/x": {"allowedTools": [], "history": ["a"]}
  },
  "oauthAccount": {
    "accountUuid": "acc-a",
    "emailAddress": "a@example.com",
    "organizationUuid": "org-a",
    "organizationName": "A Org",
    "displayName": "a",
    "organizationRole": "admin"
  },
  "userID": "u"
}
`

func TestSetIdentityRawPatchesOnlyOAuthAccount(t *testing.T) {
	ctx := context.Background()
	s, home := newTestSlot(t, nil)
	path := filepath.Join(home, ".claude.json")
	writeFile(t, path, sampleConfig)
	id, err := s.ReadIdentity(ctx)
	if err != nil || id.EmailAddress != "a@example.com" || id.AccountUUID != "acc-a" {
		t.Fatalf("identity %+v %v", id, err)
	}
	newID := `{"accountUuid":"acc-b","emailAddress":"b@example.com","organizationUuid":"org-b","organizationName":"B","displayName":"b"}`
	prev, err := s.SetIdentityRaw(ctx, []byte(newID))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(prev, []byte(`"acc-a"`)) {
		t.Fatalf("prev %s", prev)
	}
	got := readFile(t, path)
	start := strings.Index(sampleConfig, `"oauthAccount": `) + len(`"oauthAccount": `)
	end := strings.Index(sampleConfig, "\n  \"userID\"") - 1
	if got[:start] != sampleConfig[:start] || got[len(got)-len(sampleConfig[end:]):] != sampleConfig[end:] {
		t.Fatalf("bytes outside oauthAccount changed:\n%s", got)
	}
	id, _ = s.ReadIdentity(ctx)
	if id.AccountUUID != "acc-b" || id.EmailAddress != "b@example.com" {
		t.Fatalf("after: %+v", id)
	}
	// Rolling back restores the exact file content (up to formatting of
	// the member, which is the one Claude Code writes).
	if _, err := s.SetIdentityRaw(ctx, prev); err != nil {
		t.Fatal(err)
	}
	if readFile(t, path) != sampleConfig {
		t.Fatalf("rollback:\n%s", readFile(t, path))
	}
	// Removing and creating.
	if _, err := s.SetIdentityRaw(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if id, _ := s.ReadIdentity(ctx); id != nil {
		t.Fatal("not removed")
	}
	os.Remove(path)
	if _, err := s.SetIdentityRaw(ctx, []byte(newID)); err != nil {
		t.Fatal(err)
	}
	if id, _ := s.ReadIdentity(ctx); id == nil || id.AccountUUID != "acc-b" {
		t.Fatal("not created")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

func TestSetIdentityRawMalformedChangesNothing(t *testing.T) {
	s, home := newTestSlot(t, nil)
	path := filepath.Join(home, ".claude.json")
	broken := `{"theme": "dark", "oauthAccount": {` // e.g. a disk that filled up
	writeFile(t, path, broken)
	_, err := s.SetIdentityRaw(context.Background(), []byte(`{"accountUuid":"x"}`))
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err %v", err)
	}
	if readFile(t, path) != broken {
		t.Fatal("a malformed .claude.json was rewritten")
	}
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Fatal("lock left behind")
	}
}

func TestSymlinkedConfigStaysALink(t *testing.T) {
	s, home := newTestSlot(t, nil)
	target := filepath.Join(t.TempDir(), "dotfiles-claude.json")
	writeFile(t, target, sampleConfig)
	link := filepath.Join(home, ".claude.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetIdentityRaw(context.Background(), []byte(`{"accountUuid":"z"}`)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	if !strings.Contains(readFile(t, target), `"z"`) {
		t.Fatal("target not updated")
	}
}

// A concurrent writer (Claude Code) holding .claude.json.lock: we wait
// while it holds the lock, then write on top of its change.
func TestConfigLockWaitsForHolder(t *testing.T) {
	s, home := newTestSlot(t, nil)
	path := filepath.Join(home, ".claude.json")
	writeFile(t, path, sampleConfig)
	lock := path + ".lock"
	if err := os.Mkdir(lock, 0o755); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(300 * time.Millisecond)
		// The holder changes another setting, then releases.
		writeFile(t, path, strings.Replace(sampleConfig, `"dark"`, `"light"`, 1))
		os.Remove(lock)
	}()
	start := time.Now()
	if _, err := s.SetIdentityRaw(context.Background(), []byte(`{"accountUuid":"w"}`)); err != nil {
		t.Fatal(err)
	}
	waited := time.Since(start)
	wg.Wait()
	got := readFile(t, path)
	if waited < 250*time.Millisecond {
		t.Fatalf("did not wait for the lock (%s)", waited)
	}
	if !strings.Contains(got, `"light"`) || !strings.Contains(got, `"w"`) {
		t.Fatalf("the holder's change or ours was lost:\n%s", got)
	}
}

func TestConfigLockHeldTooLongFailsClearly(t *testing.T) {
	s, home := newTestSlot(t, func(o *Options) { o.LockWait = 300 * time.Millisecond })
	path := filepath.Join(home, ".claude.json")
	writeFile(t, path, sampleConfig)
	lock := path + ".lock"
	if err := os.Mkdir(lock, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := s.SetIdentityRaw(context.Background(), []byte(`{"accountUuid":"w"}`))
	var busy *LockBusyError
	if !errors.As(err, &busy) || !errors.Is(err, ErrLockBusy) || busy.Path != lock || !strings.Contains(err.Error(), "changed nothing") {
		t.Fatalf("err %v", err)
	}
	if readFile(t, path) != sampleConfig {
		t.Fatal("wrote despite the lock")
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatal("removed someone else's live lock")
	}
}

func TestStaleLockIsBroken(t *testing.T) {
	s, home := newTestSlot(t, nil)
	path := filepath.Join(home, ".claude.json")
	writeFile(t, path, sampleConfig)
	lock := path + ".lock"
	if err := os.Mkdir(lock, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-configLockStale - time.Second)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetIdentityRaw(context.Background(), []byte(`{"accountUuid":"w"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Fatal("lock left")
	}
}

func TestRefreshLocks(t *testing.T) {
	ctx := context.Background()
	s, home := newTestSlot(t, func(o *Options) { o.LockWait = 200 * time.Millisecond })
	release, err := s.LockRefresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(home, ".claude", ".oauth_refresh.lock"), filepath.Join(home, ".claude.lock")} {
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			t.Fatalf("%s not held: %v", p, err)
		}
	}
	// A second taker (another process, or Claude Code) must wait.
	if _, err := s.LockRefresh(ctx); !errors.Is(err, ErrLockBusy) {
		t.Fatalf("second holder: %v", err)
	}
	release()
	for _, p := range []string{filepath.Join(home, ".claude", ".oauth_refresh.lock"), filepath.Join(home, ".claude.lock")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s not released", p)
		}
	}
	// Partial failure releases what was taken: hold only the legacy lock.
	if err := os.Mkdir(filepath.Join(home, ".claude.lock"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockRefresh(ctx); !errors.Is(err, ErrLockBusy) {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, ".claude", ".oauth_refresh.lock")); !os.IsNotExist(err) {
		t.Fatal("first lock kept after the second failed")
	}
}

func TestHeldLockStaysFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a keep-alive tick")
	}
	s, home := newTestSlot(t, nil)
	release, err := s.LockRefresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	lock := filepath.Join(home, ".claude", ".oauth_refresh.lock")
	old := time.Now().Add(-time.Minute)
	os.Chtimes(lock, old, old)
	deadline := time.Now().Add(lockTouchEvery + 2*time.Second)
	for time.Now().Before(deadline) {
		fi, _ := os.Stat(lock)
		if time.Since(fi.ModTime()) < 5*time.Second {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("a held lock was not kept fresh")
}

func TestKeychainSlot(t *testing.T) {
	ctx := context.Background()
	kr := keyringtest.New()
	s, _ := newTestSlot(t, func(o *Options) {
		o.Env.GOOS = "darwin"
		o.Env.ConfigDir = "/Users/me/.claude-work"
		o.Env.KeychainAccount = "me"
		o.Keyring = kr
	})
	if s.CredentialsPath() != "" || !strings.Contains(s.Describe(), keyring.ClaudeCodeService("/Users/me/.claude-work")) {
		t.Fatalf("describe %s", s.Describe())
	}
	if b, err := s.ReadCredentials(ctx); b != nil || err != nil {
		t.Fatalf("empty keychain: %v", err)
	}
	if err := s.UpdateCredentials(ctx, func([]byte) ([]byte, error) { return []byte(sampleBlob), nil }); err != nil {
		t.Fatal(err)
	}
	got, ok := kr.Peek(keyring.ClaudeCodeService("/Users/me/.claude-work"), "me")
	if !ok || string(got) != sampleBlob {
		t.Fatalf("keychain item %q", got)
	}
	kr.SetLocked(true)
	if _, err := s.ReadCredentials(ctx); !errors.Is(err, keyring.ErrLocked) {
		t.Fatalf("locked: %v", err)
	}
	kr.SetLocked(false)
	if err := s.UpdateCredentials(ctx, func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, ok := kr.Peek(keyring.ClaudeCodeService("/Users/me/.claude-work"), "me"); ok {
		t.Fatal("not deleted")
	}
	if _, err := New(Options{Env: Env{Home: "/h", GOOS: "darwin"}}); err == nil {
		t.Fatal("darwin without a keyring accepted")
	}
}
