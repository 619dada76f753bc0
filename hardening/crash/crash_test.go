//go:build unix

package crash

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/hardening/internal/world"
	"github.com/aimonitor/aimonitor/internal/claudetest"
)

// StressEnv turns the short runs into the long ones (make stress).
const StressEnv = "AIMONITOR_STRESS"

func stress() bool { return os.Getenv(StressEnv) != "" }

// iterations picks the short or the long count.
func iterations(short, long int) int {
	if stress() {
		return long
	}
	return short
}

// harness drives one world through many interrupted switches.
type harness struct {
	t      *testing.T
	w      *world.World
	rng    *rand.Rand
	labels []string
	creds  []sim.Credentials
	uuidOf map[string]string
	byUUID map[string]string // uuid -> label
	claude string            // the real Claude Code CLI, "" when not judged
	stats  stats
	// typical is how long an uninterrupted switch takes, for kill timing.
	typical time.Duration
	runs    []*run
	temps   map[string]bool // temp files seen so far
}

// stats are the figures docs/reliability.md reports.
type stats struct {
	Iterations        int            `json:"iterations"`
	Kills             int            `json:"kills"`
	KilledAfter       map[string]int `json:"killed_after"` // the last step the process reported
	FinishedFirst     int            `json:"finished_before_the_kill"`
	CleanRefusals     int            `json:"clean_refusals"` // exit 1 with one line, nothing changed
	Concurrent        int            `json:"concurrent_switch_processes"`
	ClaudeEdits       int            `json:"claude_code_settings_edits"`
	ClaudeRefreshes   int            `json:"claude_code_token_refreshes"`
	ClaudeBusy        int            `json:"claude_code_rounds_skipped_busy"`
	TornAfterKill     int            `json:"torn_right_after_a_kill"`     // identity != credential owner before any repair
	LocksLeft         int            `json:"lock_dirs_left_by_a_kill"`    // Claude Code lock dirs found right after a kill
	TempFilesLeft     int            `json:"temp_files_left_by_a_kill"`   // .tmp-* litter found right after a kill
	RotationLost      int            `json:"logins_lost_in_rotation_gap"` // refresh token rotated, process killed before the keyring had it
	ExpiredTargets    int            `json:"switches_needing_a_refresh"`
	ClaudeJudged      int            `json:"claude_auth_status_checks"`
	MaxNextSwitch     time.Duration  `json:"max_time_of_the_next_switch"`
	FinalSwitches     int            `json:"final_switches"`
	FinalRefreshAlive int            `json:"final_logins_alive"`
}

func newHarness(t *testing.T, accounts int) *harness { return newHarnessOn(t, accounts, false) }

// filePassphrase protects the file keyring of the file-backend runs.
const filePassphrase = "crash harness passphrase"

// newHarnessOn builds the world; with fileKeyring the saved logins live in
// the encrypted file keyring on a machine with no session bus, unlocked
// once through the kernel keyring as a server user would (so a hundred
// processes do not each derive the key).
func newHarnessOn(t *testing.T, accounts int, fileKeyring bool) *harness {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	h := &harness{t: t, rng: rand.New(rand.NewPCG(seed, seed>>1)), uuidOf: map[string]string{}, byUUID: map[string]string{}, temps: map[string]bool{}}
	h.stats.KilledAfter = map[string]int{}
	if fileKeyring {
		h.w = world.New(t, world.Options{Headless: true, FilePassphrase: filePassphrase, Env: []string{"AIMONITOR_KEYRING_BACKEND=file"}})
		plain := h.w.Environ
		h.w.Environ = append(append([]string(nil), plain...), "AIMONITOR_KEYRING_PASSPHRASE="+filePassphrase)
		if r := h.w.Run(context.Background(), "keyring", "unlock"); r.Code == 0 {
			h.w.Environ = plain
			t.Cleanup(func() { h.w.Run(context.Background(), "keyring", "lock") })
		} else if strings.Contains(r.Stderr, "not available here") {
			t.Logf("no kernel keyring here: every process derives the key from the passphrase")
		} else {
			t.Fatalf("keyring unlock: %s", r.Stderr)
		}
	} else {
		h.w = world.New(t, world.Options{})
	}
	h.labels, h.creds = h.w.NewAccounts(accounts)
	for i, l := range h.labels {
		h.uuidOf[l] = h.creds[i].Identity.AccountUUID
		h.byUUID[h.creds[i].Identity.AccountUUID] = l
	}
	h.w.Adopt(h.labels, h.creds)
	return h
}

// run is one aimonitor child process.
type run struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr bytes.Buffer
	steps  []string // "step=state" in the order reported
	done   chan error
	start  time.Time
	sawCh  chan string
}

// start runs `aimonitor --debug args…` and follows its progress lines.
func (h *harness) start(args ...string) *run {
	r := &run{done: make(chan error, 1), sawCh: make(chan string, 64)}
	r.cmd = h.w.Command(context.Background(), append([]string{"--debug"}, args...)...)
	r.cmd.Stdout = &r.stdout
	pipe, err := r.cmd.StderrPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	r.start = time.Now()
	if err := r.cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.runs = append(h.runs, r)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			r.mu.Lock()
			r.stderr.WriteString(line + "\n")
			if step, ok := stepOf(line); ok {
				r.steps = append(r.steps, step)
				select {
				case r.sawCh <- step:
				default:
				}
			}
			r.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, pipe)
		r.done <- r.cmd.Wait()
	}()
	return r
}

// stepOf extracts "write=running" from a --debug "switch step" line.
func stepOf(line string) (string, bool) {
	if !strings.Contains(line, `msg="switch step"`) {
		return "", false
	}
	field := func(k string) string {
		i := strings.Index(line, " "+k+"=")
		if i < 0 {
			return ""
		}
		v := line[i+len(k)+2:]
		if j := strings.IndexByte(v, ' '); j >= 0 {
			v = v[:j]
		}
		return v
	}
	return field("step") + "=" + field("state"), true
}

func (r *run) lastStep() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.steps) == 0 {
		return "start"
	}
	return r.steps[len(r.steps)-1]
}

func (r *run) sawStep(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.steps, s)
}

func (r *run) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stdout.String() + r.stderr.String()
}

// wait waits for the process to end by itself.
func (h *harness) wait(r *run, limit time.Duration) error {
	select {
	case err := <-r.done:
		return err
	case <-time.After(limit):
		r.cmd.Process.Kill()
		<-r.done
		h.t.Fatalf("aimonitor did not finish within %s:\n%s", limit, r.output())
		return nil
	}
}

// killPlan says when to SIGKILL: after a step line (plus a random delay),
// or after a random time since the start.
type killPlan struct {
	step  string // "" for timed
	delay time.Duration
}

var killSteps = []string{"lock=done", "refresh=running", "refresh=done", "snapshot=running", "write=running", "write=running", "write=done", "verify=running", "verify=done"}

func (h *harness) plan(expired bool) killPlan {
	if h.rng.IntN(3) == 0 {
		return killPlan{delay: time.Duration(h.rng.Int64N(int64(h.typical + h.typical/4)))}
	}
	steps := killSteps
	if !expired {
		steps = slices.DeleteFunc(slices.Clone(steps), func(s string) bool { return strings.HasPrefix(s, "refresh=r") })
	}
	return killPlan{step: steps[h.rng.IntN(len(steps))], delay: time.Duration(h.rng.Int64N(int64(4 * time.Millisecond)))}
}

// kill carries out a plan; it reports whether the process was still running.
func (h *harness) kill(r *run, p killPlan) bool {
	deadline := time.After(h.typical*20 + 5*time.Second)
	if p.step != "" {
	wait:
		for !r.sawStep(p.step) {
			select {
			case <-r.sawCh:
			case err := <-r.done:
				r.done <- err
				break wait
			case <-deadline:
				break wait
			}
		}
	}
	time.Sleep(p.delay)
	select {
	case err := <-r.done:
		r.done <- err
		return false
	default:
	}
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
	return true
}

func (h *harness) current() string {
	h.t.Helper()
	id, err := claudecode.ParseIdentity(h.oauthAccount())
	if err != nil || id == nil {
		h.t.Fatalf("no oauthAccount: %v", err)
	}
	return h.byUUID[id.AccountUUID]
}

func (h *harness) oauthAccount() []byte {
	h.t.Helper()
	data, err := os.ReadFile(h.w.ConfigPath())
	if err != nil {
		h.t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		h.t.Fatalf("~/.claude.json is not JSON: %v\n%s", err, data)
	}
	return m["oauthAccount"]
}

// checkFiles asserts the shape of Claude Code's two files and returns the
// uuid oauthAccount names and the uuid the live access token belongs to
// (asked of the simulator, the only authority on whose token it is).
func (h *harness) checkFiles(when string) (identity, owner string) {
	h.t.Helper()
	creds, err := os.ReadFile(h.w.CredsPath())
	if err != nil {
		h.t.Fatalf("%s: credential file: %v", when, err)
	}
	var blob map[string]json.RawMessage
	if err := json.Unmarshal(creds, &blob); err != nil {
		h.t.Fatalf("%s: the credential file is not JSON: %v", when, err)
	}
	var mcp map[string]map[string]string
	if json.Unmarshal(blob["mcpOAuth"], &mcp) != nil || mcp["linear|abc"]["accessToken"] != world.MCPSecret {
		h.t.Fatalf("%s: the credential file lost its mcpOAuth member", when)
	}
	c, err := claudecode.ParseCredentials(creds)
	if err != nil || !c.HasLogin() || c.ExpiresAt.IsZero() {
		h.t.Fatalf("%s: the credential file holds no usable login (%v)", when, err)
	}
	access := string(c.AccessToken)
	c.Zero()
	cfg, err := os.ReadFile(h.w.ConfigPath())
	if err != nil {
		h.t.Fatalf("%s: %v", when, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &m); err != nil {
		h.t.Fatalf("%s: ~/.claude.json is not JSON: %v", when, err)
	}
	for _, k := range []string{"numStartups", "theme", "hasCompletedOnboarding", "projects"} {
		if _, ok := m[k]; !ok {
			h.t.Fatalf("%s: ~/.claude.json lost %q", when, k)
		}
	}
	id, err := claudecode.ParseIdentity(m["oauthAccount"])
	if err != nil || id == nil || h.byUUID[id.AccountUUID] == "" {
		h.t.Fatalf("%s: oauthAccount names no known account: %s", when, m["oauthAccount"])
	}
	for _, p := range []string{h.w.CredsPath(), h.w.ConfigPath()} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			h.t.Fatalf("%s: %s mode %v", when, p, fi.Mode())
		}
	}
	return id.AccountUUID, h.ownerOf(access)
}

// ownerOf asks the simulator's profile endpoint whose access token this is.
func (h *harness) ownerOf(access string) string {
	req, _ := http.NewRequest(http.MethodGet, h.w.URL+sim.ProfilePath, nil)
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("anthropic-beta", sim.BetaHeader)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		Account struct {
			UUID string `json:"uuid"`
		} `json:"account"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&p) != nil {
		return "" // expired or refreshed away: nobody to compare with
	}
	return p.Account.UUID
}

// leftovers counts Claude Code lock directories under HOME, and temp files
// not seen before.
func (h *harness) leftovers() (locks, newTemps int) {
	for _, p := range []string{h.w.ConfigPath() + ".lock", filepath.Join(h.w.Home, ".claude", ".storage-write.lock"),
		filepath.Join(h.w.Home, ".claude", ".oauth_refresh.lock"), filepath.Join(h.w.Home, ".claude.lock")} {
		if _, err := os.Stat(p); err == nil {
			locks++
		}
	}
	for _, p := range h.tempFiles() {
		if !h.temps[p] {
			h.temps[p] = true
			newTemps++
		}
	}
	return locks, newTemps
}

func (h *harness) tempFiles() []string {
	var out []string
	filepath.WalkDir(h.w.Home, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// list runs `list --json` in-process: the next start after a crash.
func (h *harness) list() cli.ListOutput {
	h.t.Helper()
	out := h.w.MustRun("list", "--json")
	var l cli.ListOutput
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		h.t.Fatalf("list --json: %v\n%s", err, out)
	}
	return l
}

// consistent checks, after the next start, that aimonitor, Claude Code's
// files, the token's owner and (when judge is set) the real Claude Code all
// name the same account.
func (h *harness) consistent(when string, judge bool) string {
	h.t.Helper()
	l := h.list()
	active := ""
	for _, a := range l.Accounts {
		if a.Active {
			active = a.Label
		}
	}
	identity, owner := h.checkFiles(when + ", after the next start")
	if active == "" || h.uuidOf[active] != identity {
		h.t.Fatalf("%s: list says %q is active, ~/.claude.json names %q", when, active, h.byUUID[identity])
	}
	if owner != "" && owner != identity {
		h.t.Fatalf("%s: after the next start the credential belongs to %q but oauthAccount names %q", when, h.byUUID[owner], h.byUUID[identity])
	}
	if judge && h.claude != "" {
		h.stats.ClaudeJudged++
		st := h.w.ClaudeStatus(h.claude)
		want := h.creds[slices.Index(h.labels, active)].Identity
		if !st.LoggedIn || st.Email != want.Email || st.OrgID != want.OrganizationUUID {
			h.t.Fatalf("%s: list says %q, Claude Code reports %+v", when, active, st)
		}
	}
	return active
}

// rotationLost reports whether a kill landed between Anthropic rotating
// the target's refresh token and the keyring receiving the new one: the
// simulator answered the refresh, yet the stash still holds the expired
// login. No client can close that gap; the test gives the account a new
// login and counts it.
func (h *harness) rotationLost(label string, since int) bool {
	uuid := h.uuidOf[label]
	rotated := false
	for _, r := range h.w.Sim.Log().Requests[since:] {
		if r.Endpoint == sim.EndpointToken && r.Account == uuid && r.Status == http.StatusOK {
			rotated = true
		}
	}
	if !rotated {
		return false
	}
	blob, err := h.w.Stash(uuid)
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := claudecode.ParseCredentials(blob)
	if err != nil {
		h.t.Fatal(err)
	}
	defer c.Zero()
	if c.ExpiresAt.After(time.Now()) {
		return false
	}
	fresh, err := h.w.Sim.Login(uuid)
	if err != nil {
		h.t.Fatal(err)
	}
	h.w.NoteLogin(fresh)
	h.w.SetStash(uuid, fresh.ClaudeCodeJSON())
	return true
}

// stashExpired reports whether a switch to label has to refresh its login
// first (its saved access token is expired or nearly).
func (h *harness) stashExpired(label string) bool {
	h.t.Helper()
	blob, err := h.w.Stash(h.uuidOf[label])
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := claudecode.ParseCredentials(blob)
	if err != nil {
		h.t.Fatal(err)
	}
	defer c.Zero()
	return c.ExpiresWithin(time.Now(), 5*time.Minute)
}

// measure times a few uninterrupted switches.
func (h *harness) measure() {
	var took []time.Duration
	for i := 0; i < 3; i++ {
		target := h.labels[i%len(h.labels)]
		if target == h.current() {
			target = h.labels[(i+1)%len(h.labels)]
		}
		r := h.start("switch", target)
		if err := h.wait(r, time.Minute); err != nil {
			h.t.Fatalf("switch %s: %v\n%s", target, err, r.output())
		}
		took = append(took, time.Since(r.start))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	h.typical = took[len(took)/2]
	h.t.Logf("an uninterrupted switch process takes %s", h.typical)
}

// claudeCodeLoop keeps a stand-in Claude Code busy until stop closes.
func (h *harness) claudeCodeLoop(stop <-chan struct{}, refresh bool, seed uint64) (wait func()) {
	cc := h.w.NewClaudeCode()
	rng := rand.New(rand.NewPCG(seed, 7))
	cc.InPlace = rng.IntN(2) == 0
	var wg sync.WaitGroup
	wg.Add(1)
	var edits, refreshes, busy int
	var firstErr error
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(rng.IntN(20)) * time.Millisecond):
			}
			var err error
			if refresh && rng.IntN(4) == 0 {
				_, err = cc.RefreshLogin(context.Background())
				if err == nil {
					refreshes++
				}
			} else {
				err = cc.EditSettings(context.Background())
				if err == nil {
					edits++
				}
			}
			switch {
			case err == world.ErrBusy:
				busy++
			case err != nil && firstErr == nil:
				firstErr = err
			}
		}
	}()
	return func() {
		wg.Wait()
		h.stats.ClaudeEdits += edits
		h.stats.ClaudeRefreshes += refreshes
		h.stats.ClaudeBusy += busy
		if firstErr != nil {
			h.t.Fatalf("the Claude Code stand-in failed: %v", firstErr)
		}
	}
}

// TestKillDuringSwitch runs real `aimonitor switch` processes and SIGKILLs
// them at random moments — on a timer, or just after a chosen step — while
// other switch processes and a stand-in Claude Code (taking Claude Code's
// locks, editing ~/.claude.json, refreshing its login) run alongside. After
// every kill, Claude Code's files must be valid and whole, the next
// aimonitor start must agree with the files and with the token's real owner,
// and a sample of iterations is judged by the real Claude Code CLI. At the
// end every account must switch, and every login must still refresh.
func TestKillDuringSwitch(t *testing.T) { killDuringSwitch(t, false, iterations(24, 300)) }

// TestKillDuringSwitchFileKeyring is the same on the encrypted file
// keyring: a kill in the middle of its write (a token rotation saved by a
// refresh) must leave the old store or the new one, never a torn one.
func TestKillDuringSwitchFileKeyring(t *testing.T) {
	killDuringSwitch(t, true, iterations(16, 300))
}

func killDuringSwitch(t *testing.T, fileKeyring bool, n int) {
	h := newHarnessOn(t, 3, fileKeyring)
	h.claude = claudetest.Bin(t)
	h.measure()
	judgeEvery := iterations(4, 10)
	for i := 0; i < n; i++ {
		h.iteration(i, i%judgeEvery == 0)
	}
	h.finalChecks()
	name := "kill during switch"
	if fileKeyring {
		name += " (file keyring)"
	}
	h.report(t, name)
}

func (h *harness) iteration(i int, judge bool) {
	h.t.Helper()
	h.stats.Iterations++
	cur := h.current()
	var targets []string
	for _, l := range h.labels {
		if l != cur {
			targets = append(targets, l)
		}
	}
	target := targets[h.rng.IntN(len(targets))]
	if h.rng.IntN(3) == 0 {
		h.w.ExpireStash(h.uuidOf[target])
	}
	// An earlier kill may have left the target's access token expired too.
	expired := h.stashExpired(target)
	if expired {
		h.stats.ExpiredTargets++
	}
	logMark := h.w.Sim.Log().Total
	if logMark > len(h.w.Sim.Log().Requests) {
		h.t.Fatal("the simulator log wrapped; lower the iteration count")
	}

	// Company: Claude Code working, and sometimes other switches.
	stop := make(chan struct{})
	waitCC := func() {}
	if h.rng.IntN(2) == 0 {
		waitCC = h.claudeCodeLoop(stop, h.rng.IntN(2) == 0, h.rng.Uint64())
	}
	var others []*run
	if h.rng.IntN(3) == 0 {
		for k := 0; k < 1+h.rng.IntN(2); k++ {
			others = append(others, h.start("switch", h.labels[h.rng.IntN(len(h.labels))]))
			h.stats.Concurrent++
		}
	}

	victim := h.start("switch", target)
	p := h.plan(expired)
	killed := h.kill(victim, p)
	if killed {
		h.stats.Kills++
		h.stats.KilledAfter[victim.lastStep()]++
	} else {
		h.stats.FinishedFirst++
	}
	// Claude Code stops writing (its in-place writes are not atomic), then:
	// right after the kill, before anything repairs, what did it leave?
	close(stop)
	waitCC()
	if killed {
		locks, temps := h.leftovers()
		h.stats.LocksLeft += locks
		h.stats.TempFilesLeft += temps
		identity, owner := h.checkFiles(fmt.Sprintf("iteration %d, right after the kill (%s)", i, victim.lastStep()))
		if owner != "" && owner != identity {
			h.stats.TornAfterKill++
		}
	}
	nextStart := time.Now()
	for _, o := range others {
		err := h.wait(o, time.Minute)
		h.checkExit(o, err)
	}
	if !killed {
		h.checkExit(victim, <-victim.done)
	}
	if expired && h.rotationLost(target, logMark) {
		h.stats.RotationLost++
	}
	h.consistent(fmt.Sprintf("iteration %d (kill %+v)", i, p), judge)
	if d := time.Since(nextStart); d > h.stats.MaxNextSwitch {
		h.stats.MaxNextSwitch = d
	}
}

// checkExit accepts success, or a clean refusal: exit 1 with a one-line
// "aimonitor: " message that says the previous login is in place.
func (h *harness) checkExit(r *run, err error) {
	h.t.Helper()
	if err == nil {
		return
	}
	out := r.output()
	var lastLine string
	for _, l := range strings.Split(strings.TrimSpace(r.stderr.String()), "\n") {
		if !strings.HasPrefix(l, "time=") {
			lastLine = l
		}
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 && strings.HasPrefix(lastLine, "aimonitor: ") &&
		!strings.Contains(lastLine, "sk-ant-") {
		h.stats.CleanRefusals++
		h.t.Logf("a concurrent switch was refused: %s", lastLine)
		return
	}
	h.t.Fatalf("aimonitor switch failed badly (%v):\n%s", err, out)
}

// finalChecks: every account switches (and quickly: no lock left behind
// holds it up), and every saved login still refreshes.
func (h *harness) finalChecks() {
	h.t.Helper()
	for _, l := range h.labels {
		start := time.Now()
		r := h.start("switch", l)
		if err := h.wait(r, time.Minute); err != nil {
			h.t.Fatalf("final switch to %s: %v\n%s", l, err, r.output())
		}
		if d := time.Since(start); d > 10*time.Second {
			h.t.Fatalf("the final switch to %s took %s:\n%s", l, d, r.output())
		}
		if got := h.consistent("final switch to "+l, true); got != l {
			h.t.Fatalf("switched to %s, %s is active", l, got)
		}
		h.stats.FinalSwitches++
	}
	for _, u := range h.uuidOf {
		if err := h.w.Sim.ExpireAccessTokens(u); err != nil {
			h.t.Fatal(err)
		}
	}
	out := h.w.MustRun("refresh", "--all", "--json")
	var doc struct {
		Accounts []struct {
			Account string `json:"account"`
			Outcome string `json:"outcome"`
			Error   string `json:"error"`
		} `json:"accounts"`
	}
	err := json.Unmarshal([]byte(out), &doc)
	res := doc.Accounts
	if err != nil {
		h.t.Fatalf("refresh --all --json: %v\n%s", err, out)
	}
	for _, r := range res {
		if r.Outcome != "fetched" {
			h.t.Errorf("the login of %s did not survive: %s %s", r.Account, r.Outcome, r.Error)
			continue
		}
		h.stats.FinalRefreshAlive++
	}
	if len(res) != len(h.labels) {
		h.t.Fatalf("refresh --all answered for %d accounts, want %d", len(res), len(h.labels))
	}
	h.consistent("after refreshing every login", true)
	// Nothing left behind: no temp file (a credential one holds tokens),
	// no token anywhere but Claude Code's own file, nothing readable by
	// others; every process's output (with --debug) is clean too.
	if left := h.tempFiles(); len(left) > 0 {
		h.t.Fatalf("temp files left after the final switches: %v", left)
	}
	var outputs []string
	for _, r := range h.runs {
		outputs = append(outputs, r.output())
	}
	files := h.w.CheckNoLeaks(outputs...)
	h.t.Logf("leak scan: %d files, %d outputs, clean", files, len(outputs))
}

func (h *harness) report(t *testing.T, name string) {
	b, _ := json.Marshal(h.stats)
	t.Logf("%s figures: %s", name, b)
	if dir := os.Getenv("AIMONITOR_HARDENING_FIGURES"); dir != "" {
		os.WriteFile(filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json"), b, 0o600)
	}
}

// TestKillInsideTheWrite aims every kill at the few milliseconds in which
// the credential file and ~/.claude.json are rewritten one after the other:
// a kill between the two leaves Claude Code with one account's tokens and
// another's identity. The next aimonitor start must finish (or undo) the
// interrupted switch, so that the files, the token's owner, `list` and the
// real Claude Code agree again.
func TestKillInsideTheWrite(t *testing.T) {
	h := newHarness(t, 2)
	h.claude = claudetest.Bin(t)
	h.measure()
	n := iterations(16, 200)
	judgeEvery := iterations(4, 10)
	for i := 0; i < n; i++ {
		h.stats.Iterations++
		cur := h.current()
		target := h.labels[0]
		if target == cur {
			target = h.labels[1]
		}
		victim := h.start("switch", target)
		// The write takes a few milliseconds (two atomic replacements, each
		// with fsyncs); spread the kills over it.
		p := killPlan{step: "write=running", delay: time.Duration(h.rng.Int64N(int64(6 * time.Millisecond)))}
		if h.kill(victim, p) {
			h.stats.Kills++
			h.stats.KilledAfter[victim.lastStep()]++
			locks, temps := h.leftovers()
			h.stats.LocksLeft += locks
			h.stats.TempFilesLeft += temps
			identity, owner := h.checkFiles(fmt.Sprintf("iteration %d, right after the kill", i))
			if owner != "" && owner != identity {
				h.stats.TornAfterKill++
			}
		} else {
			h.stats.FinishedFirst++
			h.checkExit(victim, <-victim.done)
		}
		start := time.Now()
		h.consistent(fmt.Sprintf("iteration %d (kill %s after %s)", i, p.delay, p.step), i%judgeEvery == 0)
		if d := time.Since(start); d > h.stats.MaxNextSwitch {
			h.stats.MaxNextSwitch = d
		}
	}
	h.finalChecks()
	h.report(t, "kill inside the write")
}

// TestConcurrentSwitches starts several switch processes at once, round
// after round, while the Claude Code stand-in edits its settings and
// refreshes its login under its own locks. Every process must succeed (the
// account lock and Claude Code's locks serialise them), and after every
// round the files, the token's owner, `list` and Claude Code agree.
func TestConcurrentSwitches(t *testing.T) {
	h := newHarness(t, 3)
	h.claude = claudetest.Bin(t)
	rounds := iterations(5, 50)
	for i := 0; i < rounds; i++ {
		h.stats.Iterations++
		stop := make(chan struct{})
		waitCC := h.claudeCodeLoop(stop, true, h.rng.Uint64())
		var runs []*run
		for k := 0; k < 4; k++ {
			runs = append(runs, h.start("switch", h.labels[h.rng.IntN(len(h.labels))]))
			h.stats.Concurrent++
		}
		for _, r := range runs {
			if err := h.wait(r, time.Minute); err != nil {
				t.Fatalf("round %d: a concurrent switch failed (%v):\n%s", i, err, r.output())
			}
		}
		close(stop)
		waitCC()
		h.consistent(fmt.Sprintf("round %d", i), i%2 == 0)
	}
	h.finalChecks()
	h.report(t, "concurrent switches")
}
