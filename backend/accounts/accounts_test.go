package accounts_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/claudecode"
)

func TestAdoptCaptureSwitchRoundTrip(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	a := h.adopt(ca, "work")
	if a.Email != "a@example.com" || a.OrgName != "A Org" || a.Subscription != "max" || a.KeyringRef != "aimonitor-"+ca.Identity.AccountUUID {
		t.Fatalf("adopted %+v", a)
	}
	h.assertActive(a)
	if l := h.active(); l.MatchedBy != accounts.MatchCredentials {
		t.Fatalf("matched by %s", l.MatchedBy)
	}

	beforeCreds, beforeCfg := h.files()
	var events []string
	b, err := h.m.CaptureNewLogin(h.ctx, "personal", 10*time.Second, func(ev accounts.CaptureEvent) {
		events = append(events, ev.State)
		if ev.State == accounts.CaptureWaiting && len(events) == 1 {
			go h.login(cb)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.Email != "b@example.com" {
		t.Fatalf("captured %+v", b)
	}
	if got := strings.Join(events, ","); !strings.Contains(got, "found") || !strings.HasSuffix(got, "restoring,done") {
		t.Fatalf("events %s", got)
	}
	// A is live again, exactly as before.
	if c, g := h.files(); c != beforeCreds || g != beforeCfg {
		t.Fatalf("previous login not restored exactly:\n%s\n%s", c, g)
	}
	h.assertActive(a)

	res, err := h.m.Switch(h.ctx, "personal", accounts.TriggerManual, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.From == nil || res.From.ID != a.ID || res.To.ID != b.ID || res.Refreshed || res.AlreadyActive {
		t.Fatalf("result %+v", res)
	}
	h.assertActive(b)
	_, cfg := h.files()
	for _, keep := range []string{`"numStartups": 3`, `"theme": "dark"`, `"/tmp/x"`} {
		if !strings.Contains(cfg, keep) {
			t.Fatalf("lost %s from .claude.json:\n%s", keep, cfg)
		}
	}
	if res, err := h.m.Switch(h.ctx, "PERSONAL", accounts.TriggerManual, "", nil); err != nil || !res.AlreadyActive {
		t.Fatalf("switch to the active account: %+v %v", res, err)
	}
	if _, err := h.m.Switch(h.ctx, "work", accounts.TriggerAuto, "5h window at 85%", nil); err != nil {
		t.Fatal(err)
	}
	h.assertActive(a)

	log, err := h.m.Log(h.ctx, 0)
	if err != nil || len(log) != 2 || log[0].ToLabel != "work" || log[0].Trigger != "auto" || log[0].Reason != "5h window at 85%" || !log[0].OK || log[1].FromLabel != "work" {
		t.Fatalf("log %+v %v", log, err)
	}
	list, _ := h.m.List(h.ctx)
	if len(list) != 2 || list[0].LastUsedAt == nil || list[1].LastUsedAt == nil {
		t.Fatalf("list %+v", list)
	}
}

func TestSwitchRefreshesExpiredTargetAndKeepsTheRotatedToken(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	a := h.adopt(ca, "a")
	b := h.capture(cb, "b")

	h.expireStash(b)
	var steps []string
	res, err := h.m.Switch(h.ctx, "b", accounts.TriggerManual, "", func(s accounts.Step) { steps = append(steps, s.Step+":"+s.State) })
	if err != nil {
		t.Fatal(err)
	}
	if !res.Refreshed || !strings.Contains(strings.Join(steps, " "), "refresh:done") {
		t.Fatalf("not refreshed: %+v %v", res, steps)
	}
	first := h.liveRefresh()
	if first == cb.RefreshToken || string(h.stashCreds(b).RefreshToken) != first {
		t.Fatal("the rotated refresh token is not what both the stash and Claude Code hold")
	}
	// Usable: the new access token answers.
	if _, err := h.api.Profile(h.ctx, h.stashCreds(b).AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := h.m.Switch(h.ctx, "a", accounts.TriggerManual, "", nil); err != nil {
		t.Fatal(err)
	}
	h.expireStash(b)
	if _, err := h.m.Switch(h.ctx, "b", accounts.TriggerManual, "", nil); err != nil {
		t.Fatal(err)
	}
	ok, failed := h.tokenCalls(cb.Identity.AccountUUID)
	if ok != 2 || failed != 0 {
		t.Fatalf("token requests for b: %d ok, %d failed (a reused refresh token would fail)", ok, failed)
	}
	if second := h.liveRefresh(); second == first || second == cb.RefreshToken {
		t.Fatal("the second refresh did not rotate")
	}
	_ = a
}

// Claude Code refreshes the active login itself; switching away must save
// its newest tokens back, or the account's saved refresh token is spent.
func TestSwitchSnapshotsTokensClaudeCodeRotated(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	a := h.adopt(ca, "a")
	b := h.capture(cb, "b")
	if _, err := h.m.Switch(h.ctx, "b", accounts.TriggerManual, "", nil); err != nil {
		t.Fatal(err)
	}
	// Claude Code refreshes b in place.
	blob, _ := os.ReadFile(h.credsPath())
	c, _ := claudecode.ParseCredentials(blob)
	tok, err := h.api.Refresh(h.ctx, c.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	next, _ := claudecode.WithTokens(blob, tok.AccessToken, tok.RefreshToken, tok.ExpiresAt, nil)
	os.WriteFile(h.credsPath(), next, 0o600)
	if l := h.active(); l.Account == nil || l.Account.ID != b.ID || l.MatchedBy != accounts.MatchIdentity {
		t.Fatalf("active after Claude Code's refresh: %+v", l)
	}

	res, err := h.m.Switch(h.ctx, "a", accounts.TriggerManual, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Snapshotted || string(h.stashCreds(b).RefreshToken) != string(tok.RefreshToken) {
		t.Fatal("the outgoing login was not saved back")
	}
	h.expireStash(b)
	if _, err := h.m.Switch(h.ctx, "b", accounts.TriggerManual, "", nil); err != nil {
		t.Fatalf("b's login died: %v", err)
	}
	_ = a
}

func TestDeadLoginNeedsReloginAndPreviousStaysLive(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	h.adopt(ca, "a")
	b := h.capture(cb, "b")
	h.expireStash(b)
	if err := h.sim.RevokeLogin(cb.Identity.AccountUUID); err != nil {
		t.Fatal(err)
	}
	creds, cfg := h.files()
	_, err := h.m.Switch(h.ctx, "b", accounts.TriggerManual, "", nil)
	if !errors.Is(err, accounts.ErrNeedsRelogin) || !strings.Contains(err.Error(), "b@example.com") || strings.Contains(err.Error(), "sk-ant") {
		t.Fatalf("err %v", err)
	}
	if c, g := h.files(); c != creds || g != cfg {
		t.Fatal("Claude Code's files changed after a failed switch")
	}
	got, _ := h.m.Get(h.ctx, b.ID)
	if !got.NeedsRelogin || got.ReloginReason == "" {
		t.Fatalf("needs_relogin not set: %+v", got)
	}
	log, _ := h.m.Log(h.ctx, 1)
	if len(log) != 1 || log[0].OK || log[0].Error == "" {
		t.Fatalf("failed switch not audited: %+v", log)
	}
}

func TestMalformedFilesStopTheSwitch(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
	}{
		{"credentials", ".claude/.credentials.json", `{"claudeAiOauth":{"accessToken":"sk-ant-oat01-x",`},
		{".claude.json", ".claude.json", "{\n  \"theme\": \"dark\",\n  \"oauthAccount\": {\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			ca, cb := h.account("a@example.com"), h.account("b@example.com")
			a := h.adopt(ca, "a")
			b := h.capture(cb, "b")
			path := h.home + "/" + tc.file
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			creds, cfg := h.files()
			stashA, stashB := h.stash(a), h.stash(b)
			_, err := h.m.Switch(h.ctx, "b", accounts.TriggerManual, "", nil)
			if !errors.Is(err, claudecode.ErrMalformed) || !strings.Contains(err.Error(), "changed nothing") || strings.Contains(err.Error(), "sk-ant") {
				t.Fatalf("err %v", err)
			}
			if c, g := h.files(); c != creds || g != cfg {
				t.Fatal("files changed")
			}
			if string(h.stash(a)) != string(stashA) || string(h.stash(b)) != string(stashB) {
				t.Fatal("stashes changed")
			}
		})
	}
}

func TestConcurrentWriterHoldingClaudeJSONLock(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	h.adopt(ca, "a")
	b := h.capture(cb, "b")
	lock := h.configPath() + ".lock"
	if err := os.Mkdir(lock, 0o755); err != nil {
		t.Fatal(err)
	}
	creds, cfg := h.files()

	// Held for longer than the wait: the switch fails clearly, nothing written.
	m := h.newManager(h.newSlot(300 * time.Millisecond))
	_, err := m.Switch(h.ctx, "b", accounts.TriggerManual, "", nil)
	if !errors.Is(err, claudecode.ErrLockBusy) || !strings.Contains(err.Error(), lock) {
		t.Fatalf("err %v", err)
	}
	if c, g := h.files(); c != creds || g != cfg {
		t.Fatal("wrote while Claude Code held .claude.json.lock")
	}

	// Released while we wait: the switch goes through on top of the
	// writer's own change.
	go func() {
		time.Sleep(300 * time.Millisecond)
		os.WriteFile(h.configPath(), []byte(strings.Replace(cfg, `"numStartups": 3`, `"numStartups": 4`, 1)), 0o600)
		os.Remove(lock)
	}()
	if _, err := h.m.Switch(h.ctx, "b", accounts.TriggerManual, "", nil); err != nil {
		t.Fatal(err)
	}
	h.assertActive(b)
	if _, g := h.files(); !strings.Contains(g, `"numStartups": 4`) {
		t.Fatal("the concurrent writer's change was clobbered")
	}
}

func TestUnsavedLiveLoginIsNotLost(t *testing.T) {
	h := newHarness(t)
	ca, cc := h.account("a@example.com"), h.account("c@example.com")
	h.adopt(ca, "a")
	h.login(cc) // a /login aimonitor has not seen
	creds, cfg := h.files()
	l := h.active()
	if l.Account != nil || !l.LoggedIn || l.Email != "c@example.com" {
		t.Fatalf("live %+v", l)
	}
	_, err := h.m.Switch(h.ctx, "a", accounts.TriggerManual, "", nil)
	if !errors.Is(err, accounts.ErrUnknownLive) || !strings.Contains(err.Error(), "--adopt-current") {
		t.Fatalf("err %v", err)
	}
	if c, g := h.files(); c != creds || g != cfg {
		t.Fatal("the unsaved login was overwritten")
	}
	log, _ := h.m.Log(h.ctx, 0)
	if len(log) < 2 || log[1].Trigger != accounts.TriggerExternal {
		t.Fatalf("the external change was not audited: %+v", log)
	}
}

func TestDuplicatesAndLabels(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	h.adopt(ca, "a")
	// Adopting a login of an account already saved renews that account.
	if res, err := h.m.Adopt(h.ctx, "again"); err != nil || !res.Renewed || res.Account.Label != "a" {
		t.Fatalf("adopting a saved account's login: %+v %v", res, err)
	}
	for _, bad := range []string{"", "  ", "-x", strings.Repeat("x", 65), "tab\there"} {
		if _, err := h.m.AdoptCurrent(h.ctx, bad); !errors.Is(err, accounts.ErrLabel) {
			t.Errorf("label %q: %v", bad, err)
		}
	}
	// Capturing an account that is already saved is refused, and the
	// previous login comes back.
	h.capture(cb, "b")
	before, _ := h.files()
	_, err := h.m.CaptureNewLogin(h.ctx, "b2", 5*time.Second, func(ev accounts.CaptureEvent) {
		if ev.State == accounts.CaptureWaiting {
			go h.login(cb)
		}
	})
	if !errors.Is(err, accounts.ErrDuplicate) {
		t.Fatalf("duplicate capture: %v", err)
	}
	if after, _ := h.files(); after != before {
		t.Fatal("previous login not restored after a refused capture")
	}
	if _, err := h.m.Rename(h.ctx, "b", "A"); !errors.Is(err, accounts.ErrLabel) {
		t.Fatalf("rename onto a taken label: %v", err)
	}
	if r, err := h.m.Rename(h.ctx, "b", "home"); err != nil || r.Label != "home" {
		t.Fatal(err)
	}
	if _, err := h.m.Rename(h.ctx, "nope", "x"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatal(err)
	}
}

func TestCaptureTimeoutAndCancelRestore(t *testing.T) {
	h := newHarness(t)
	ca := h.account("a@example.com")
	h.adopt(ca, "a")
	before, cfg := h.files()
	_, err := h.m.CaptureNewLogin(h.ctx, "b", 100*time.Millisecond, nil)
	if !errors.Is(err, accounts.ErrCaptureTimeout) {
		t.Fatalf("timeout: %v", err)
	}
	// The user logs in again with the same account (new tokens), then
	// gives up: the newest login of that account is what stays.
	relogin, err := h.sim.Login(ca.Identity.AccountUUID)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	var states []string
	var mu sync.Mutex
	_, err = h.m.CaptureNewLogin(ctx, "b", 10*time.Second, func(ev accounts.CaptureEvent) {
		mu.Lock()
		defer mu.Unlock()
		states = append(states, ev.State)
		switch ev.State {
		case accounts.CaptureWaiting:
			if len(states) == 1 {
				go h.login(relogin)
			}
		case accounts.CaptureSameLogin:
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v (%v)", err, states)
	}
	if h.liveRefresh() != relogin.RefreshToken {
		t.Fatal("the newest login of the same account was not kept")
	}
	_ = before
	_ = cfg
	if list, _ := h.m.List(h.ctx); len(list) != 1 {
		t.Fatalf("accounts %+v", list)
	}
}

func TestAccessTokenAndForceRefresh(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	a := h.adopt(ca, "a")
	b := h.capture(cb, "b")

	// Inactive, fresh: the stash's token, no refresh.
	tok, err := h.m.AccessToken(h.ctx, b.ID)
	if err != nil || string(tok) != cb.AccessToken {
		t.Fatalf("inactive fresh: %v", err)
	}
	// Inactive, expired: refreshed into the stash.
	h.expireStash(b)
	tok, err = h.m.AccessToken(h.ctx, b.ID)
	if err != nil || string(tok) == cb.AccessToken || string(h.stashCreds(b).AccessToken) != string(tok) {
		t.Fatalf("inactive expired: %v", err)
	}
	// Active, fresh: Claude Code's live token.
	tok, err = h.m.AccessToken(h.ctx, a.ID)
	if err != nil || string(tok) != ca.AccessToken {
		t.Fatalf("active fresh: %v", err)
	}
	// Active, forced: both Claude Code's copy and the stash get the new
	// tokens, so neither holds a spent refresh token.
	liveBefore := h.liveRefresh()
	tok, err = h.m.ForceRefresh(h.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	live := h.liveRefresh()
	if live == liveBefore || string(h.stashCreds(a).RefreshToken) != live {
		t.Fatal("active refresh did not update both copies")
	}
	if _, err := h.api.Profile(h.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if c, _ := h.files(); !strings.Contains(c, "mcp-token") {
		t.Fatal("mcpOAuth lost by the refresh")
	}
	// A dead login is flagged, and a later success clears it.
	h.expireStash(b)
	h.sim.RevokeLogin(cb.Identity.AccountUUID)
	if _, err := h.m.AccessToken(h.ctx, b.ID); !errors.Is(err, accounts.ErrNeedsRelogin) {
		t.Fatalf("dead: %v", err)
	}
	if got, _ := h.m.Get(h.ctx, b.ID); !got.NeedsRelogin {
		t.Fatal("needs_relogin not set")
	}
	if err := h.m.ClearNeedsRelogin(h.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := h.m.SetCooldown(h.ctx, b.ID, until); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.m.Get(h.ctx, b.ID); got.NeedsRelogin || got.CooldownUntil == nil || !got.CooldownUntil.Equal(until) {
		t.Fatalf("flags %+v", got)
	}
}

func TestRemoveNeverTouchesLive(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	a := h.adopt(ca, "a")
	h.capture(cb, "b")
	h.m.Switch(h.ctx, "b", accounts.TriggerManual, "", nil)
	creds, cfg := h.files()
	removed, err := h.m.Remove(h.ctx, "b", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.kr.Peek(removed.KeyringRef, krAccount); ok {
		t.Fatal("purge kept the stash")
	}
	if c, g := h.files(); c != creds || g != cfg {
		t.Fatal("remove touched Claude Code's files")
	}
	if _, err := h.m.Remove(h.ctx, "a", false); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.kr.Peek(a.KeyringRef, krAccount); !ok {
		t.Fatal("remove without purge deleted the stash")
	}
	log, _ := h.m.Log(h.ctx, 0)
	if len(log) != 1 || log[0].FromLabel != "a" || log[0].ToLabel != "b" {
		t.Fatalf("audit lost its labels: %+v", log)
	}
}

func TestKeyringUnavailable(t *testing.T) {
	h := newHarness(t)
	ca := h.account("a@example.com")
	h.login(ca)
	h.kr.SetUnavailable(true)
	_, err := h.m.AdoptCurrent(h.ctx, "a")
	if err == nil || !strings.Contains(err.Error(), "keyring") {
		t.Fatalf("err %v", err)
	}
	if list, _ := h.m.List(h.ctx); len(list) != 0 {
		t.Fatal("an account was saved without its login")
	}
}

// Two managers (as two processes) switching at once are serialised and
// leave a consistent state.
func TestConcurrentSwitches(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	h.adopt(ca, "a")
	h.capture(cb, "b")
	other := h.newManager(h.newSlot(5 * time.Second))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i, m := range []*accounts.Manager{h.m, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				label := []string{"a", "b"}[(i+j)%2]
				if _, err := m.Switch(h.ctx, label, accounts.TriggerManual, "", nil); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	l := h.active()
	if l.Account == nil || l.MatchedBy != accounts.MatchCredentials || !strings.Contains(l.Email, l.Account.Email) {
		t.Fatalf("inconsistent end state: %+v", l)
	}
}

func TestLoggedOutClaudeCode(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	// Nothing live: adopting is refused clearly.
	if _, err := h.m.AdoptCurrent(h.ctx, "a"); !errors.Is(err, claudecode.ErrNoLogin) {
		t.Fatalf("adopt with no login: %v", err)
	}
	// Capturing with nothing live keeps the new login live (there is
	// nothing to put back).
	a := h.capture(ca, "a")
	h.assertActive(a)
	h.capture(cb, "b")
	// Claude Code logged out (/logout removes the credential and identity).
	os.Remove(h.credsPath())
	if l := h.active(); l.LoggedIn || l.Account != nil {
		t.Fatalf("live %+v", l)
	}
	if _, err := h.m.Switch(h.ctx, "b", accounts.TriggerManual, "", nil); err != nil {
		t.Fatal(err)
	}
	creds, _ := h.files()
	if !strings.Contains(creds, cb.RefreshToken) {
		t.Fatal("b not written")
	}
}

// Without an oauthAccount in .claude.json, a refresh of the live login by
// Claude Code during a capture is still recognised as the same account.
func TestCaptureRecognisesTheSameAccountWithoutIdentity(t *testing.T) {
	h := newHarness(t)
	ca := h.account("a@example.com")
	a := h.adopt(ca, "a")
	cfg, _ := os.ReadFile(h.configPath())
	if err := os.WriteFile(h.configPath(), []byte(strings.Replace(string(cfg), `"oauthAccount"`, `"oauthAccountGone"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	relogin, _ := h.sim.Login(ca.Identity.AccountUUID)
	ctx, cancel := context.WithCancel(h.ctx)
	_, err := h.m.CaptureNewLogin(ctx, "x", 10*time.Second, func(ev accounts.CaptureEvent) {
		switch ev.State {
		case accounts.CaptureWaiting:
			go func() {
				blob, _ := os.ReadFile(h.credsPath())
				next, _ := claudecode.WithTokens(blob, []byte(relogin.AccessToken), []byte(relogin.RefreshToken), relogin.ExpiresAt, nil)
				os.WriteFile(h.credsPath(), next, 0o600)
			}()
		case accounts.CaptureSameLogin:
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if list, _ := h.m.List(h.ctx); len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("the same account was saved twice: %+v", list)
	}
	if h.liveRefresh() != relogin.RefreshToken {
		t.Fatal("the newest tokens were not kept")
	}
}

// The switch audit is stored in SQLite: whatever a failure's message
// quotes passes the redactor first (here an identity whose e-mail address
// is token-shaped, quoted by the refusal to lose an unsaved login).
func TestSwitchAuditIsRedacted(t *testing.T) {
	h := newHarness(t)
	const shaped = "sk-ant-ort01-AuditLeakAuditLeakAuditLeak"
	ca, cx := h.account("a@example.com"), h.account(shaped+"@example.com")
	h.adopt(ca, "a")
	h.login(cx)
	if _, err := h.m.Switch(h.ctx, "a", accounts.TriggerManual, "reason "+shaped, nil); !errors.Is(err, accounts.ErrUnknownLive) {
		t.Fatalf("err %v", err)
	}
	log, err := h.m.Log(h.ctx, 0)
	if err != nil || len(log) == 0 {
		t.Fatalf("log %v %+v", err, log)
	}
	for _, e := range log {
		if all := e.FromLabel + e.ToLabel + e.Reason + e.Error; strings.Contains(all, "AuditLeak") {
			t.Fatalf("the audit stored a token-shaped string: %+v", e)
		}
	}
	if v, _, _ := h.db.GetSetting(h.ctx, "accounts.last_active"); strings.Contains(v, "AuditLeak") {
		t.Fatalf("last_active stored a token-shaped string: %q", v)
	}
}

// Claude Code writes oauthAccount into ~/.claude.json after the credential;
// on a loaded machine that can come seconds later. The capture waits for it
// within its own time limit, however late: the identity saved is Claude
// Code's own, and that late write cannot land on the previous login once it
// is put back.
func TestCaptureWaitsForClaudeCodeToRecordTheAccount(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	a := h.adopt(ca, "work")
	beforeCreds, _ := h.files()
	var credsWritten, identityWritten bool
	b, err := h.m.CaptureNewLogin(h.ctx, "personal", time.Minute, func(ev accounts.CaptureEvent) {
		switch {
		case ev.State == accounts.CaptureWaiting && !credsWritten:
			credsWritten = true // the credential alone, for now
			blob, err := setMember(cb.ClaudeCodeJSON(), "mcpOAuth", []byte(`{"github":{"accessToken":"mcp-token","expiresAt":0}}`))
			if err == nil {
				err = os.WriteFile(h.credsPath(), blob, 0o600)
			}
			if err != nil {
				t.Error(err)
			}
		case ev.State == accounts.CaptureChecking && strings.Contains(ev.Message, h.configPath()) && !identityWritten:
			identityWritten = true // and then, late, oauthAccount
			cfg, _ := os.ReadFile(h.configPath())
			next, err := setMember(cfg, "oauthAccount", cb.OAuthAccountJSON())
			if err == nil {
				err = os.WriteFile(h.configPath(), next, 0o600)
			}
			if err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !identityWritten {
		t.Fatal("the capture did not wait for Claude Code to record the new login's account")
	}
	// (The test rewrote .claude.json with its members reordered: compare
	// the identity, not the bytes.)
	if c, _ := h.files(); c != beforeCreds {
		t.Fatalf("previous login not restored exactly:\n%s", c)
	}
	if id, err := h.slot.ReadIdentity(h.ctx); err != nil || id == nil || id.AccountUUID != ca.Identity.AccountUUID {
		t.Fatalf("oauthAccount after the capture is not the previous login's: %v %+v", err, id)
	}
	h.assertActive(a)
	if _, err := h.m.Switch(h.ctx, b.Label, accounts.TriggerManual, "test", nil); err != nil {
		t.Fatal(err)
	}
	id, err := h.slot.ReadIdentity(h.ctx)
	if err != nil || id == nil || id.AccountUUID != cb.Identity.AccountUUID || !strings.Contains(string(id.Raw), `"organizationRole":"admin"`) {
		t.Fatalf("the identity saved is not Claude Code's own: %v %s", err, id.Raw)
	}
}
