package accounts_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
)

// expireLogin plays a login that died (about a month old, or revoked): the
// next refresh fails and the account is flagged.
func (h *harness) expireLogin(a *accounts.Account) {
	h.t.Helper()
	if err := h.sim.RevokeLogin(a.AccountUUID); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.m.ForceRefresh(h.ctx, a.ID); !errors.Is(err, accounts.ErrNeedsRelogin) {
		h.t.Fatalf("refresh of a dead login: %v", err)
	}
	if got, _ := h.m.Get(h.ctx, a.ID); !got.NeedsRelogin {
		h.t.Fatal("the dead login is not flagged")
	}
}

func (h *harness) freshLogin(a *accounts.Account) sim.Credentials {
	h.t.Helper()
	c, err := h.sim.Login(a.AccountUUID)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// relogin runs Relogin while the user logs in with each of logins in turn
// (each once aimonitor is waiting again).
func (h *harness) relogin(label string, logins ...sim.Credentials) (*accounts.Account, []accounts.CaptureEvent, error) {
	var mu sync.Mutex
	var events []accounts.CaptureEvent
	next := 0
	a, err := h.m.Relogin(h.ctx, label, 10*time.Second, func(ev accounts.CaptureEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
		if (ev.State == accounts.CaptureWaiting || ev.State == accounts.CaptureSameLogin) && next < len(logins) {
			c := logins[next]
			next++
			go h.login(c)
		}
	})
	return a, events, err
}

func TestReloginRenewsTheAccountAndKeepsIt(t *testing.T) {
	h := newHarness(t)
	ca, cb, cc := h.account("a@example.com"), h.account("b@example.com"), h.account("c@example.com")
	h.adopt(ca, "a")
	if _, err := h.m.Rename(h.ctx, "a", "work"); err != nil {
		t.Fatal(err)
	}
	b := h.adopt(cb, "b")
	a, _ := h.m.ByLabel(h.ctx, "work")
	h.expireLogin(a)
	if _, err := h.m.Switch(h.ctx, "b", accounts.TriggerManual, "history", nil); err != nil {
		t.Fatal(err)
	}
	logBefore, _ := h.m.Log(h.ctx, 0)
	creds, cfg := h.files()

	// The user first logs in with the wrong account (c), then with a's.
	got, events, err := h.relogin("work", cc, h.freshLogin(a))
	if err != nil {
		t.Fatalf("relogin: %v", err)
	}
	if got.ID != a.ID || got.Label != "work" || got.NeedsRelogin || got.ReloginReason != "" {
		t.Fatalf("renewed account %+v", got)
	}
	wrong := false
	for _, ev := range events {
		wrong = wrong || strings.Contains(ev.Message, "c@example.com") && strings.Contains(ev.Message, `not "work"`)
	}
	if !wrong {
		t.Fatalf("the wrong account was not pointed out: %+v", events)
	}
	// Claude Code's previous login (b) is back exactly; history is kept.
	if c, g := h.files(); c != creds || g != cfg {
		t.Fatal("Claude Code's previous login was not put back")
	}
	h.assertActive(b)
	if logAfter, _ := h.m.Log(h.ctx, 0); len(logAfter) < len(logBefore) {
		t.Fatal("the audit lost rows")
	}
	h.stillRefreshes(got)
	if _, err := h.m.Switch(h.ctx, "work", accounts.TriggerManual, "", nil); err != nil {
		t.Fatalf("switch to the renewed account: %v", err)
	}
	h.assertActive(got)
}

// When the dead login is the one Claude Code uses, the new login stays.
func TestReloginOfTheLiveAccountKeepsTheNewLogin(t *testing.T) {
	h := newHarness(t)
	ca := h.account("a@example.com")
	a := h.adopt(ca, "a")
	h.expireLogin(a)
	fresh := h.freshLogin(a)
	got, _, err := h.relogin("a", fresh)
	if err != nil {
		t.Fatal(err)
	}
	if h.liveRefresh() != fresh.RefreshToken || string(h.stashCreds(got).RefreshToken) != fresh.RefreshToken {
		t.Fatal("the new login is not both live and saved")
	}
	h.assertActive(got)
}

// `add --adopt-current` with the live login of an account already saved
// renews that account instead of refusing.
func TestAdoptingTheLoginOfASavedAccountRenewsIt(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	a := h.adopt(ca, "katherine")
	h.adopt(cb, "b")
	h.expireLogin(a)
	fresh := h.freshLogin(a)
	h.login(fresh)
	res, err := h.m.Adopt(h.ctx, "katherine")
	if err != nil || !res.Renewed || res.Account.ID != a.ID || res.Account.NeedsRelogin {
		t.Fatalf("adopt: %+v %v", res, err)
	}
	if string(h.stashCreds(&res.Account).RefreshToken) != fresh.RefreshToken {
		t.Fatal("the saved login was not renewed")
	}
	h.assertActive(&res.Account)
}
