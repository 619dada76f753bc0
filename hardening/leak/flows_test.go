//go:build unix

package leak_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/hardening/internal/world"
	"github.com/aimonitor/aimonitor/hardening/leak"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// transcriptCanary is a token Claude Code printed into a session (a user
// pasted it, a tool echoed it): aimonitor reads transcripts for token
// counts and must not carry their text anywhere.
const transcriptCanary = "sk-ant-api03-TranscriptCanary0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX-AA"

// passphrase seals the logins of an export.
const passphrase = "correct-horse-battery-staple-canary"

func writeTranscript(t *testing.T, home string) string {
	t.Helper()
	dir := filepath.Join(home, ".claude", "projects", "-home-me-src-app")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := 0; i < 3; i++ {
		at := time.Now().UTC().Add(-time.Duration(i) * time.Hour).Format("2006-01-02T15:04:05.000Z")
		lines = append(lines, fmt.Sprintf(`{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/me/src/app","sessionId":"s1","version":"2.1.3",`+
			`"message":{"model":"claude-sonnet-4-5","id":"msg_%d","type":"message","role":"assistant","content":[{"type":"text","text":"your key is %s"}],`+
			`"usage":{"input_tokens":100,"cache_creation_input_tokens":10,"cache_read_input_tokens":1000,"output_tokens":50}},"requestId":"req_%d","type":"assistant","uuid":"u%d","timestamp":%q}`,
			i, transcriptCanary, i, i, at))
	}
	path := filepath.Join(dir, "s1.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every end-to-end flow a user has, run with --debug and the log file on,
// then HOME (database, WAL, config, log, caches, transcripts' neighbours)
// and everything printed are scanned for every token the simulator ever
// issued, for anything token-shaped, and for files others could read.
func TestNoSecretAfterEveryFlow(t *testing.T) {
	w := world.New(t, world.Options{})
	// The loosest umask there is, so every mode checked below is the one
	// aimonitor asked for, not one the user's umask trimmed.
	oldMask := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(oldMask) })
	ctx := context.Background()
	debug := func(args ...string) string {
		t.Helper()
		return w.MustRun(append([]string{"--debug"}, args...)...)
	}
	mk := func(email, org string) sim.Credentials {
		c, err := w.Sim.AddAccount(sim.AccountSpec{Email: email, OrganizationName: org, Windows: map[string]sim.WindowSpec{
			sim.FiveHour: {Utilization: 55, ResetsIn: 2 * time.Hour, RatePerHour: 10},
		}})
		if err != nil {
			t.Fatal(err)
		}
		w.NoteLogin(c)
		return c
	}
	work, personal := mk("me@work.example", "Work"), mk("me@home.example", "Home")

	// adopt
	w.Login(work)
	debug("add", "--adopt-current", "--label", "work")
	// A handle held open all along, as a running widget would: SQLite then
	// keeps the write-ahead log, so the scan reads it as well.
	db, err := store.Open(ctx, filepath.Join(w.Home, ".local", "share", "aimonitor", "aimonitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := db.GetSetting(ctx, "nothing"); err != nil {
		t.Fatal(err)
	}

	// capture: the user logs in as another account while aimonitor waits
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	args := []string{"--debug", "add", "--label", "personal", "--timeout", "30s"}
	go func() {
		done <- cli.Run(ctx, args, cli.Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Environ: w.Environ})
	}()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(errOut.String(), "Waiting until"); {
		if time.Now().After(deadline) {
			t.Fatalf("capture never waited: %s", errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.Login(personal)
	if code := <-done; code != 0 {
		t.Fatalf("capture: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	w.Record(args, out.String(), errOut.String())

	// switch, with a refresh on the way (rotated tokens are canaries too)
	w.ExpireStash(personal.Identity.AccountUUID)
	debug("switch", "personal")
	debug("switch", "work")

	// refresh (through the poller's 401 -> refresh path), usage, list, log
	w.Sim.ExpireAccessTokens(work.Identity.AccountUUID)
	debug("refresh", "--all", "--json")
	debug("usage", "--json")
	debug("usage")
	debug("list", "--json")
	debug("list")
	debug("log", "--json")

	// a daemon tick (it polls the active account at start), with a status
	// line cache for it to refresh after writing the status row
	debug("statusline")
	cacheFile := filepath.Join(w.Home, ".local", "share", "aimonitor", line.CacheName)
	before, _ := os.ReadFile(cacheFile)
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	r := w.Run(dctx, "--debug", "daemon")
	cancel()
	if !strings.Contains(r.Stderr, "daemon: polling usage") {
		t.Fatalf("the daemon did not run:\n%s", r.Stderr)
	}
	// Later commands rewrite the cache: scan the daemon's entry now.
	if after, err := os.ReadFile(cacheFile); err != nil || bytes.Equal(after, before) {
		t.Fatalf("the daemon did not refresh the status line cache (%v)", err)
	} else {
		w.Record([]string{"(the status line cache the daemon wrote)"}, string(after), "")
	}

	// tokens, from a transcript that itself holds a token
	transcript := writeTranscript(t, w.Home)
	if rep := debug("tokens", "--json", "--by", "model", "--tz", "UTC"); !strings.Contains(rep, "claude-sonnet-4-5") {
		t.Fatalf("tokens did not count the transcript: %s", rep)
	}
	debug("tokens", "--by", "project")

	// Claude Code's status line
	debug("statusline")

	// update check, config
	debug("update", "check", "--json")
	debug("config", "set", "notify.warn_pct", "70")
	debug("config", "list", "--json")
	debug("config", "path")
	// exports: without logins, and with them sealed under a passphrase
	// (itself a secret: it must not be printed or stored either); an import
	// of the sealed one; doctor.
	plain := filepath.Join(w.Home, "backup-plain.json")
	sealed := filepath.Join(w.Home, "backup-with-logins.json")
	debug("config", "export", "--out", plain)
	w.Environ = append(w.Environ, cli.PassphraseEnv+"="+passphrase)
	debug("config", "export", "--out", sealed, "--include-tokens")
	if data, _ := os.ReadFile(sealed); !bytes.Contains(data, []byte(`"ciphertext"`)) {
		t.Fatalf("the export with logins holds no sealed logins:\n%s", data)
	}
	debug("config", "import", "--yes", sealed)
	w.Run(ctx, "--debug", "doctor")
	for _, p := range []string{plain, sealed} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v %v", p, fi.Mode(), err)
		}
	}

	// rename, remove
	debug("rename", "personal", "home")
	debug("remove", "home", "--purge", "--yes")

	// What was scanned must include where the data is.
	for _, p := range []string{
		filepath.Join(w.Home, ".local", "share", "aimonitor", "aimonitor.db"),
		filepath.Join(w.Home, ".local", "share", "aimonitor", "aimonitor.db-wal"),
		filepath.Join(w.Home, ".local", "state", "aimonitor", "aimonitor.log"),
		filepath.Join(w.Home, ".config", "aimonitor", "config.yaml"),
		filepath.Join(w.Home, ".local", "share", "aimonitor", line.CacheName),
	} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Fatalf("%s is missing or empty: the scan would not see it", p)
		}
	}
	logText, _ := os.ReadFile(filepath.Join(w.Home, ".local", "state", "aimonitor", "aimonitor.log"))
	for _, want := range []string{"switched Claude Code's login", "level=DEBUG"} {
		if !bytes.Contains(logText, []byte(want)) || !strings.Contains(w.Printed(), want) {
			t.Fatalf("the debug logs (file and stderr) lack %q: the scan would miss them", want)
		}
	}

	// Every request of every flow went to one of the four endpoints
	// aimonitor may call, with its method, and each was called.
	methods := map[sim.Endpoint]string{sim.EndpointUsage: "GET", sim.EndpointProfile: "GET", sim.EndpointToken: "POST", sim.EndpointReleases: "GET"}
	simLog := w.Sim.Log()
	for _, r := range simLog.Requests {
		if methods[r.Endpoint] != r.Method {
			t.Errorf("a request outside the four allowed: %s %s", r.Method, r.Path)
		}
	}
	for ep := range methods {
		if simLog.ByEndpoint[ep] == 0 {
			t.Errorf("no flow called the %s endpoint: the check above proves less than it seems", ep)
		}
	}
	if len(simLog.Requests) != simLog.Total {
		t.Fatalf("the simulator kept %d of %d requests: raise its log size", len(simLog.Requests), simLog.Total)
	}

	s := w.Scanner()
	s.Secret("the token inside a transcript", []byte(transcriptCanary))
	s.Secret("the backup passphrase", []byte(passphrase))
	s.Allow(transcript)
	found, files, err := s.ScanTree(w.Home)
	if err != nil {
		t.Fatal(err)
	}
	found = append(found, s.ScanText("everything the commands printed", []byte(w.Printed()))...)
	found = append(found, w.CheckModes()...)
	if rep := leak.Report(found); rep != "" {
		t.Fatalf("secret exposure (%d known secrets):\n%s", s.Secrets(), rep)
	}
	var n int
	for _, line := range strings.Split(w.Printed(), "\n") {
		if strings.HasPrefix(line, "$ aimonitor") {
			n++
		}
	}
	t.Logf("scanned %d files and the output of %d commands for %d known secrets: clean", files, n, s.Secrets())
	if s.Secrets() < 8 {
		t.Fatalf("only %d secrets known: the rotated tokens were not recorded", s.Secrets())
	}
}

// The scanner would have caught a leak in each place the flows write: a
// debug log line, the database, the config file. (It is not looking in the
// wrong places.)
func TestTheScanSeesPlantedLeaks(t *testing.T) {
	w := world.New(t, world.Options{})
	c, err := w.Sim.AddAccount(sim.AccountSpec{Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	w.NoteLogin(c)
	w.Login(c)
	w.MustRun("add", "--adopt-current", "--label", "work")
	w.MustRun("config", "set", "notify.warn_pct", "70")
	cfg := filepath.Join(w.Home, ".config", "aimonitor", "config.yaml")
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, []byte("# "+c.RefreshToken[20:60]+"\n")...), 0o600)
	found, _, err := w.Scanner().ScanTree(w.Home)
	if err != nil {
		t.Fatal(err)
	}
	rep := leak.Report(found)
	if !strings.Contains(rep, "config.yaml") || !strings.Contains(rep, "refresh token of a@example.com") {
		t.Fatalf("a planted piece of a refresh token was not found:\n%s", rep)
	}
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(map[string]any{"blob": []byte(c.AccessToken)}) // base64 in JSON
	if rep := leak.Report(w.Scanner().ScanText("json", b.Bytes())); !strings.Contains(rep, "base64") {
		t.Fatalf("a base64 access token was not found: %q", rep)
	}
}
