package accounts_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/keyring"
)

// Export on one machine, import on a fresh one: the accounts come back
// with their logins and identities, and switching to them works.
func TestExportImportRoundTrip(t *testing.T) {
	src := newHarness(t)
	ca, cb := src.account("a@example.com"), src.account("b@example.com")
	a := src.adopt(ca, "work")
	b := src.capture(cb, "home")
	exp, err := src.m.ExportAccounts(src.ctx)
	if err != nil || len(exp) != 2 {
		t.Fatalf("export accounts: %v %+v", err, exp)
	}
	for _, e := range exp {
		id, err := claudecode.ParseIdentity(e.Identity)
		if err != nil || id == nil || id.EmailAddress != e.Email || id.AccountUUID != e.AccountUUID {
			t.Fatalf("identity of %s: %v %s", e.Label, err, e.Identity)
		}
	}
	logins, missing, err := src.m.ExportLogins(src.ctx)
	if err != nil || len(missing) != 0 || len(logins) != 2 {
		t.Fatalf("export logins: %v missing %v, %d logins", err, missing, len(logins))
	}
	for id, blob := range logins {
		if bytes.Contains(blob, []byte("mcp-token")) {
			t.Fatalf("login %d carries the machine's mcpOAuth", id)
		}
	}
	if !bytes.Contains(logins[a.ID], []byte(ca.RefreshToken)) || !bytes.Contains(logins[b.ID], []byte(cb.RefreshToken)) {
		t.Fatal("exported logins are not the accounts' logins")
	}

	dst := newHarness(t)
	dst.sim = src.sim // the same Anthropic accounts
	for _, e := range exp {
		got, outcome, err := dst.m.ImportAccount(dst.ctx, e.Account, e.Identity, logins[e.ID])
		if err != nil || outcome != accounts.ImportAdded || got.Label != e.Label || got.KeyringRef != e.KeyringRef {
			t.Fatalf("import %s: %v %s %+v", e.Label, err, outcome, got)
		}
	}
	// Claude Code on the new machine is logged out; switching logs it in.
	if _, err := dst.m.Switch(dst.ctx, "home", accounts.TriggerManual, "", nil); err != nil {
		t.Fatal(err)
	}
	creds, cfg := dst.files()
	if !strings.Contains(creds, cb.RefreshToken) || !strings.Contains(cfg, `"emailAddress":"b@example.com"`) &&
		!strings.Contains(cfg, `"emailAddress": "b@example.com"`) {
		t.Fatalf("Claude Code's files after the switch:\n%s", cfg)
	}
	if l := dst.active(); l.Account == nil || l.Account.Label != "home" || l.MatchedBy != accounts.MatchCredentials {
		t.Fatalf("active %+v", l)
	}

	// Importing the same backup again changes nothing and adds nothing.
	for _, e := range exp {
		if _, outcome, err := dst.m.ImportAccount(dst.ctx, e.Account, e.Identity, logins[e.ID]); err != nil || outcome != accounts.ImportUnchanged {
			t.Fatalf("re-import %s: %v %s", e.Label, err, outcome)
		}
	}
	if list, _ := dst.m.List(dst.ctx); len(list) != 2 {
		t.Fatalf("re-import duplicated accounts: %+v", list)
	}
}

func TestImportUpdatesByIdentity(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	a := h.adopt(ca, "a")
	oldStash := h.stash(a)

	// A newer login of a (later expiry), under another label in the backup:
	// the account keeps its label, gets the login, loses its relogin mark.
	newer, err := h.sim.Login(ca.Identity.AccountUUID)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.m.SetNeedsRelogin(h.ctx, a.ID, "test"); err != nil {
		t.Fatal(err)
	}
	newerBlob, _ := claudecode.WithTokens(newer.ClaudeCodeJSON(), []byte(newer.AccessToken), []byte(newer.RefreshToken), ca.ExpiresAt.Add(time.Hour), nil)
	meta := *a
	meta.Label, meta.DisplayName = "renamed-elsewhere", "Alice Again"
	got, outcome, err := h.m.ImportAccount(h.ctx, meta, nil, newerBlob)
	if err != nil || outcome != accounts.ImportUpdated || got.ID != a.ID || got.Label != "a" || got.NeedsRelogin || got.DisplayName != "Alice Again" {
		t.Fatalf("update: %v %s %+v", err, outcome, got)
	}
	if !bytes.Equal(h.stash(a), newerBlob) {
		t.Fatal("stash not replaced")
	}

	// An older backup does not put back a spent login.
	_, outcome, err = h.m.ImportAccount(h.ctx, *a, nil, oldStash)
	if err != nil || outcome != accounts.ImportKeptNewer || !bytes.Equal(h.stash(a), newerBlob) {
		t.Fatalf("older backup: %v %s", err, outcome)
	}

	// A new account whose label is taken here gets a numbered one.
	bmeta := accounts.Account{Label: "A", AccountUUID: cb.Identity.AccountUUID, Email: "b@example.com",
		OrgUUID: cb.Identity.OrganizationUUID, OrgName: cb.Identity.OrganizationName, Subscription: "pro"}
	got, outcome, err = h.m.ImportAccount(h.ctx, bmeta, cb.OAuthAccountJSON(), cb.ClaudeCodeJSON())
	if err != nil || outcome != accounts.ImportAdded || got.Label != "A-2" {
		t.Fatalf("new account under a taken label: %v %s %+v", err, outcome, got)
	}
	if list, _ := h.m.List(h.ctx); len(list) != 2 {
		t.Fatalf("accounts %+v", list)
	}

	// Nothing without a login, nothing without an identity.
	if _, _, err := h.m.ImportAccount(h.ctx, bmeta, nil, []byte(`{"mcpOAuth":{}}`)); err == nil {
		t.Fatal("imported an account without a login")
	}
	if _, _, err := h.m.ImportAccount(h.ctx, accounts.Account{Label: "x"}, nil, cb.ClaudeCodeJSON()); err == nil {
		t.Fatal("imported an account without an identity")
	}
}

// A locked keyring stops the import before anything is written.
func TestImportWithLockedKeyringChangesNothing(t *testing.T) {
	h := newHarness(t)
	cb := h.account("b@example.com")
	h.kr.SetLocked(true)
	meta := accounts.Account{Label: "b", AccountUUID: cb.Identity.AccountUUID, Email: "b@example.com", OrgUUID: cb.Identity.OrganizationUUID}
	if _, _, err := h.m.ImportAccount(h.ctx, meta, nil, cb.ClaudeCodeJSON()); !errors.Is(err, keyring.ErrLocked) {
		t.Fatalf("locked keyring: %v", err)
	}
	if list, _ := h.m.List(h.ctx); len(list) != 0 {
		t.Fatalf("an account was saved: %+v", list)
	}
}

// The active account's login as Claude Code refreshed it is exported,
// not the stale stash; a missing stash is reported by label.
func TestExportLoginsPrefersTheRefreshedLiveLoginAndReportsMissing(t *testing.T) {
	h := newHarness(t)
	ca, cb := h.account("a@example.com"), h.account("b@example.com")
	a := h.adopt(ca, "a")
	b := h.capture(cb, "b")
	blob, _ := os.ReadFile(h.credsPath())
	c, _ := claudecode.ParseCredentials(blob)
	tok, err := h.api.Refresh(h.ctx, c.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	next, _ := claudecode.WithTokens(blob, tok.AccessToken, tok.RefreshToken, tok.ExpiresAt, nil)
	if err := os.WriteFile(h.credsPath(), next, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.kr.Delete(h.ctx, b.KeyringRef, krAccount); err != nil {
		t.Fatal(err)
	}
	logins, missing, err := h.m.ExportLogins(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || missing[0] != "b" || len(logins) != 1 {
		t.Fatalf("missing %v, logins %d", missing, len(logins))
	}
	got, _ := claudecode.ParseCredentials(logins[a.ID])
	if string(got.RefreshToken) != string(tok.RefreshToken) {
		t.Fatal("exported the stale stash instead of Claude Code's refreshed login")
	}
}
