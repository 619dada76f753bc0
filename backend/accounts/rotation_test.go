package accounts_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/egress"
	"github.com/aimonitor/aimonitor/backend/keyring/keyringtest"
)

// cancelAfterAnswer cancels the caller's context once the token endpoint's
// answer has been read: Ctrl-C, SIGTERM or a GUI timeout arriving between
// Anthropic rotating the refresh token and the keyring receiving it.
type cancelAfterAnswer struct {
	next   http.RoundTripper
	mu     sync.Mutex
	cancel context.CancelFunc
	// midAnswer cancels at the answer's first bytes instead (a signal
	// while the answer is still arriving).
	midAnswer bool
}

func (c *cancelAfterAnswer) arm(cancel context.CancelFunc) {
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
}

func (c *cancelAfterAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err != nil || r.URL.Path != sim.TokenPath {
		return resp, err
	}
	resp.Body = &closeHook{ReadCloser: resp.Body, early: c.midAnswer, hook: func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.cancel != nil {
			c.cancel()
			c.cancel = nil
		}
	}}
	return resp, nil
}

type closeHook struct {
	io.ReadCloser
	early bool
	hook  func()
}

func (c *closeHook) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if err == io.EOF || c.early && n > 0 {
		c.hook()
	}
	return n, err
}

func (c *closeHook) Close() error { c.hook(); return c.ReadCloser.Close() }

// managerCancelledAfterAnswers is a Manager whose token answers cancel the
// context given to arm.
func (h *harness) managerCancelledAfterAnswers() (*accounts.Manager, *cancelAfterAnswer) {
	h.t.Helper()
	url := h.url
	policy, err := egress.PolicyFromOverrides(url, url+sim.TokenPath, "")
	if err != nil {
		h.t.Fatal(err)
	}
	hc := egress.NewClient(policy)
	rt := &cancelAfterAnswer{next: hc.Transport}
	hc.Transport = rt
	api, err := anthropic.New(hc, clock.Real{}, anthropic.WithBaseURL(url), anthropic.WithTokenURL(url+sim.TokenPath))
	if err != nil {
		h.t.Fatal(err)
	}
	m, err := accounts.New(accounts.Deps{
		Store: h.db, Keyring: h.kr, ClaudeCode: h.slot, Anthropic: api,
		LockFile: filepath.Join(h.dataDir, "accounts.lock"), KeyringAccount: krAccount, LockWait: 5 * time.Second,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return m, rt
}

// stillRefreshes proves the saved login of a is not spent: a forced
// refresh (through its stash, or Claude Code's copy when active) works.
func (h *harness) stillRefreshes(a *accounts.Account) {
	h.t.Helper()
	if _, err := h.newManager(h.slot).ForceRefresh(h.ctx, a.ID); err != nil {
		h.t.Fatalf("the login of %s was lost: %v", a.Label, err)
	}
}

func TestRotatedLoginSurvivesACancelAfterTheAnswer(t *testing.T) {
	t.Run("account not in use", func(t *testing.T) {
		h := newHarness(t)
		ca, cb := h.account("a@example.com"), h.account("b@example.com")
		h.adopt(cb, "b")
		a := h.adopt(ca, "a")
		b, _ := h.m.ByLabel(h.ctx, "b")
		old := string(h.stashCreds(b).RefreshToken)
		m, rt := h.managerCancelledAfterAnswers()
		ctx, cancel := context.WithCancel(h.ctx)
		rt.arm(cancel)
		_, err := m.ForceRefresh(ctx, b.ID)
		if got := string(h.stashCreds(b).RefreshToken); got == old {
			t.Fatalf("the stash still holds the spent refresh token (err %v)", err)
		}
		h.stillRefreshes(b)
		h.assertActive(a)
	})
	t.Run("switch to an expired account", func(t *testing.T) {
		h := newHarness(t)
		ca, cb := h.account("a@example.com"), h.account("b@example.com")
		b := h.adopt(cb, "b")
		h.adopt(ca, "a")
		h.expireStash(b)
		creds, cfg := h.files()
		m, rt := h.managerCancelledAfterAnswers()
		ctx, cancel := context.WithCancel(h.ctx)
		rt.arm(cancel)
		if _, err := m.Switch(ctx, "b", accounts.TriggerManual, "", nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("a cancelled switch went on: %v", err)
		}
		if c, g := h.files(); c != creds || g != cfg {
			t.Fatal("a cancelled switch changed Claude Code's files")
		}
		h.stillRefreshes(b)
	})
	t.Run("the account in use", func(t *testing.T) {
		h := newHarness(t)
		ca := h.account("a@example.com")
		a := h.adopt(ca, "a")
		blob, _ := os.ReadFile(h.credsPath())
		c, _ := claudecode.ParseCredentials(blob)
		expired, _ := claudecode.WithTokens(blob, c.AccessToken, c.RefreshToken, time.Now().Add(-time.Minute), nil)
		if err := os.WriteFile(h.credsPath(), expired, 0o600); err != nil {
			t.Fatal(err)
		}
		m, rt := h.managerCancelledAfterAnswers()
		ctx, cancel := context.WithCancel(h.ctx)
		rt.arm(cancel)
		_, _ = m.AccessToken(ctx, a.ID)
		if h.liveRefresh() == string(c.RefreshToken) {
			t.Fatal("Claude Code's copy still holds the spent refresh token")
		}
		if string(h.stashCreds(a).RefreshToken) != h.liveRefresh() {
			t.Fatal("the stash does not hold the renewed login")
		}
		h.stillRefreshes(a)
	})
}

// A keyring that refuses the renewed login: it is retried, then sealed for
// the next start — never lost, never in plaintext.
func TestKeyringRefusingARenewedLoginKeepsItForTheNextStart(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	b := h.adopt(cb, "b")
	h.adopt(ca, "a")
	refuse := errors.New("simulated: the keyring refuses writes")
	var refused int
	h.kr.FailWith(func(op keyringtest.Op, service, _ string) error {
		if op == keyringtest.OpSet && service == b.KeyringRef {
			refused++
			return refuse
		}
		return nil
	})
	if _, err := h.m.ForceRefresh(h.ctx, b.ID); err != nil {
		t.Fatalf("a renewal the keyring refused failed: %v", err)
	}
	if refused < 2 {
		t.Fatalf("the save was tried %d times, want retries", refused)
	}
	dir := filepath.Join(h.dataDir, "pending")
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Fatalf("pending files %v, want the sealed login", files)
	}
	sealed, _ := os.ReadFile(filepath.Join(dir, files[0].Name()))
	if strings.Contains(string(sealed), "sk-ant") || strings.Contains(string(sealed), "refresh") {
		t.Fatalf("the kept login is readable: %s", sealed)
	}
	if fi, _ := os.Stat(filepath.Join(dir, files[0].Name())); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	// While the keyring still refuses, the kept login is the one used.
	if _, err := h.m.ForceRefresh(h.ctx, b.ID); err != nil {
		t.Fatalf("second renewal: %v", err)
	}
	// The next start, with a keyring that works again, saves it.
	h.kr.FailWith(nil)
	next := h.newManager(h.slot)
	if _, err := next.Active(h.ctx); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("the kept login was not saved at the next start: %v", files)
	}
	if ok, failed := h.tokenCalls(b.AccountUUID); ok != 2 || failed != 0 {
		t.Fatalf("token calls ok %d failed %d", ok, failed)
	}
	h.stillRefreshes(b)
}

// Adding retries a keyring that fails the first write.
func TestAddRetriesAKeyringThatFailsTheFirstWrite(t *testing.T) {
	h := newHarness(t)
	ca := h.account("a@example.com")
	h.login(ca)
	h.kr.FailNext(keyringtest.OpSet, errors.New("simulated: transient keyring error"))
	if _, err := h.m.AdoptCurrent(h.ctx, "a"); err != nil {
		t.Fatalf("adopt: %v", err)
	}
}

// A forced refresh of an account that is not in use waits for the account
// lock; if another aimonitor made that account the live one meanwhile, the
// refresh must go through Claude Code's copy too, or Claude Code is left
// holding a refresh token the refresh spent.
func TestForcedRefreshNoticesTheAccountBecameLiveWhileWaiting(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	b := h.adopt(cb, "b")
	a := h.adopt(ca, "a")
	other := flock.New(filepath.Join(h.dataDir, "accounts.lock"))
	if err := other.Lock(); err != nil { // another aimonitor process is busy
		t.Fatal(err)
	}
	decided := make(chan struct{})
	var once sync.Once
	h.kr.FailWith(func(op keyringtest.Op, service, _ string) error {
		if op == keyringtest.OpGet && service == a.KeyringRef {
			once.Do(func() { close(decided) }) // it has matched the live login to a
		}
		return nil
	})
	done := make(chan error, 1)
	go func() { _, err := h.m.ForceRefresh(h.ctx, b.ID); done <- err }()
	<-decided
	h.kr.FailWith(nil)
	// Meanwhile the other process switches Claude Code to b.
	cfg, _ := os.ReadFile(h.configPath())
	cfg, _ = setMember(cfg, "oauthAccount", cb.OAuthAccountJSON())
	if err := os.WriteFile(h.credsPath(), h.stash(b), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.configPath(), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	other.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if live, saved := h.liveRefresh(), string(h.stashCreds(b).RefreshToken); live != saved {
		t.Fatal("Claude Code's copy of b's login holds the refresh token the refresh spent")
	}
	h.stillRefreshes(b)
}

// loginExpired plays a /login whose access token has expired by the time
// aimonitor looks at it.
func (h *harness) loginExpired(c sim.Credentials) {
	h.login(c)
	blob, _ := os.ReadFile(h.credsPath())
	cr, _ := claudecode.ParseCredentials(blob)
	expired, _ := claudecode.WithTokens(blob, cr.AccessToken, cr.RefreshToken, time.Now().Add(-time.Minute), nil)
	if err := os.WriteFile(h.credsPath(), expired, 0o600); err != nil {
		h.t.Error(err)
	}
}

// Capturing a login whose access token already expired renews it (as
// Claude Code would, under its refresh locks) and then identifies it; one
// that cannot be renewed is reported as exactly that.
func TestCaptureOfAnExpiredLogin(t *testing.T) {
	t.Run("renewed, then saved", func(t *testing.T) {
		h := newHarness(t)
		ca, cb := h.account("a@example.com"), h.account("b@example.com")
		h.adopt(ca, "a")
		if err := h.sim.ExpireAccessTokens(cb.Identity.AccountUUID); err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		b, err := h.m.CaptureNewLogin(h.ctx, "b", 5*time.Second, func(ev accounts.CaptureEvent) {
			if ev.State == accounts.CaptureWaiting {
				once.Do(func() { go h.loginExpired(cb) })
			}
		})
		if err != nil {
			t.Fatalf("capture: %v", err)
		}
		if b.Email != "b@example.com" {
			t.Fatalf("saved %+v", b)
		}
		h.stillRefreshes(b)
	})
	t.Run("cannot be renewed", func(t *testing.T) {
		h := newHarness(t)
		ca, cb := h.account("a@example.com"), h.account("b@example.com")
		h.adopt(ca, "a")
		if err := h.sim.RevokeLogin(cb.Identity.AccountUUID); err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		_, err := h.m.CaptureNewLogin(h.ctx, "b", 3*time.Second, func(ev accounts.CaptureEvent) {
			if ev.State == accounts.CaptureWaiting {
				once.Do(func() { go h.loginExpired(cb) })
			}
		})
		if err == nil || strings.Contains(err.Error(), "nothing changed") || !strings.Contains(err.Error(), "could not tell which account") {
			t.Fatalf("err = %v, want it to say a login appeared that could not be identified", err)
		}
	})
}

// Adopting an expired live login renews it in Claude Code's file first; a
// cancel while Anthropic's answer arrives must not leave Claude Code with the
// spent refresh token.
func TestAdoptingAnExpiredLoginSurvivesACancelAfterTheAnswer(t *testing.T) {
	h := newHarness(t)
	ca := h.account("a@example.com")
	h.loginExpired(ca)
	if err := h.sim.SetFault(sim.Fault{Kind: sim.FaultSlowBody, Endpoint: sim.EndpointToken, Times: 1, Delay: 5 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	m, rt := h.managerCancelledAfterAnswers()
	rt.midAnswer = true
	ctx, cancel := context.WithCancel(h.ctx)
	rt.arm(cancel)
	_, _ = m.AdoptCurrent(ctx, "a")
	if h.liveRefresh() == ca.RefreshToken {
		t.Fatal("Claude Code's file still holds the refresh token the renewal spent")
	}
	if ok, _ := h.tokenCalls(ca.Identity.AccountUUID); ok != 1 {
		t.Fatalf("%d refreshes", ok)
	}
	// The renewed login works: adopting again (no refresh needed) succeeds.
	if _, err := h.m.AdoptCurrent(h.ctx, "a"); err != nil {
		t.Fatalf("adopt after the cancel: %v", err)
	}
}
