package accounts_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/claudecode"
)

// The settings key a switch records its intent under (recover.go).
const intentKey = "accounts.switch_intent"

// interrupted leaves the world as a switch from `from` to `to` killed at
// some point would: the intent on record, and Claude Code's credential and
// oauthAccount as given.
func (h *harness) interrupted(from, to *accounts.Account, creds []byte, identityOf *accounts.Account) {
	h.t.Helper()
	intent := fmt.Sprintf(`{"to":%d,"from":%d,"trigger":"manual","reason":"aimonitor switch","at":1}`, to.ID, from.ID)
	if err := h.db.SetSetting(h.ctx, intentKey, intent); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(h.credsPath(), creds, 0o600); err != nil {
		h.t.Fatal(err)
	}
	raw, ok, err := h.db.GetSetting(h.ctx, "accounts.identity."+fmt.Sprint(identityOf.ID))
	if err != nil || !ok {
		h.t.Fatalf("no stored identity of %s: %v", identityOf.Label, err)
	}
	cfg, _ := os.ReadFile(h.configPath())
	cfg, err = setMember(cfg, "oauthAccount", []byte(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(h.configPath(), cfg, 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) intentLeft() bool {
	h.t.Helper()
	_, ok, err := h.db.GetSetting(h.ctx, intentKey)
	if err != nil {
		h.t.Fatal(err)
	}
	return ok
}

// A switch killed between writing the credential and oauthAccount (or
// before, or in its rollback) is finished by the next start: the identity
// follows the credential actually in place, and the audit says what
// happened.
func TestInterruptedSwitchIsSettledByTheNextStart(t *testing.T) {
	cases := []struct {
		name string
		// creds and identity: whose login each file holds after the kill
		creds, identity string
		want            string // the active account afterwards
		ok              bool   // the audit records the switch as done
	}{
		{"killed between the two writes", "work", "home", "work", true},
		{"killed before writing", "home", "home", "home", false},
		{"killed in the rollback, between the two writes", "home", "work", "home", false},
		{"killed after both writes", "work", "work", "work", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			work := h.adopt(h.account("w@example.com"), "work")
			home := h.adopt(h.account("h@example.com"), "home")
			acct := map[string]*accounts.Account{"work": work, "home": home}
			live, _ := h.files()
			blob := []byte(live)
			if c.creds == "work" {
				blob = h.stash(work)
			}
			h.interrupted(home, work, blob, acct[c.identity])
			h.assertActive(acct[c.want]) // list, status and the daemon all start with Active
			if h.intentLeft() {
				t.Fatal("the intent is still on record")
			}
			log, err := h.m.Log(h.ctx, 1)
			if err != nil || len(log) != 1 {
				t.Fatalf("log %v %v", log, err)
			}
			if e := log[0]; e.OK != c.ok || e.ToLabel != "work" || e.FromLabel != "home" || (c.ok && !strings.Contains(e.Reason, "finished by the next aimonitor start")) || (!c.ok && !strings.Contains(e.Error, "stopped")) {
				t.Fatalf("audit %+v", e)
			}
			// And the next switch works normally.
			if _, err := h.m.Switch(h.ctx, "home", accounts.TriggerManual, "", nil); err != nil {
				t.Fatal(err)
			}
			h.assertActive(home)
		})
	}
}

// When Claude Code refreshed the torn login before aimonitor started again,
// the credential is in no stash and oauthAccount may be the wrong half:
// Anthropic is asked whose token it is. Unreachable, nothing that trusts
// the identity may write (a switch would otherwise save work's tokens as
// home's login); reachable again, it is settled.
func TestInterruptedSwitchWithARefreshedCredentialAsksAnthropic(t *testing.T) {
	h := newHarness(t)
	work := h.adopt(h.account("w@example.com"), "work")
	home := h.adopt(h.account("h@example.com"), "home")
	// Claude Code refreshed work's login meanwhile.
	stash := h.stash(work)
	c, _ := claudecode.ParseCredentials(stash)
	tok, err := h.api.Refresh(h.ctx, c.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	refreshed, err := claudecode.WithTokens(stash, tok.AccessToken, tok.RefreshToken, tok.ExpiresAt, nil)
	if err != nil {
		t.Fatal(err)
	}
	refreshed, _ = setMember(refreshed, "mcpOAuth", []byte(`{"github":{"accessToken":"mcp-token","expiresAt":0}}`))
	h.interrupted(home, work, refreshed, home)
	homeStash := string(h.stash(home))

	if err := h.sim.SetFault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointProfile}); err != nil {
		t.Fatal(err)
	}
	h.active()
	if !h.intentLeft() {
		t.Fatal("settled without knowing whose login is live")
	}
	_, err = h.m.Switch(h.ctx, "work", accounts.TriggerManual, "", nil)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("a switch trusted the torn identity: %v", err)
	}
	if string(h.stash(home)) != homeStash {
		t.Fatal("home's saved login was overwritten")
	}
	h.sim.ClearFaults()
	h.assertActive(work)
	if h.intentLeft() {
		t.Fatal("the intent is still on record")
	}
	if _, err := h.m.Switch(h.ctx, "home", accounts.TriggerManual, "", nil); err != nil {
		t.Fatal(err)
	}
	h.assertActive(home)
	// work's stash got the refreshed login on the way out: it still works.
	if _, err := h.m.Switch(h.ctx, "work", accounts.TriggerManual, "", nil); err != nil {
		t.Fatal(err)
	}
	h.expireStash(work)
	if _, err := h.m.ForceRefresh(h.ctx, work.ID); err != nil {
		t.Fatalf("work's login was lost: %v", err)
	}
}

// A record that cannot be read is dropped, not obeyed.
func TestUnreadableIntentIsDropped(t *testing.T) {
	h := newHarness(t)
	work := h.adopt(h.account("w@example.com"), "work")
	if err := h.db.SetSetting(h.ctx, intentKey, "{not json"); err != nil {
		t.Fatal(err)
	}
	h.assertActive(work)
	if h.intentLeft() {
		t.Fatal("kept an unreadable intent")
	}
}
