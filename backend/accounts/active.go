package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/logging"
)

// How the live login was matched to an account.
const (
	MatchCredentials = "credentials" // the live credential is the account's stash
	MatchIdentity    = "identity"    // same account and organization, newer tokens
)

// Live is what Claude Code is logged in as right now.
type Live struct {
	LoggedIn bool `json:"logged_in"`
	// Account is the saved account the live login belongs to, nil when
	// Claude Code uses a login aimonitor has not saved.
	Account   *Account `json:"account"`
	MatchedBy string   `json:"matched_by,omitempty"`
	// Email and Organization come from Claude Code's own oauthAccount.
	Email        string `json:"email,omitempty"`
	Organization string `json:"organization,omitempty"`
}

// liveState is one consistent reading of the live slot.
type liveState struct {
	blob     []byte // owned; zero with done
	creds    *claudecode.Credentials
	identity *claudecode.Identity
}

func (l *liveState) done() {
	if l == nil {
		return
	}
	clear(l.blob)
	l.creds.Zero()
}

// readLive reads the credential and the identity, re-reading when the
// credential changed in between (a switch by another tool), so the two
// belong together.
func (m *Manager) readLive(ctx context.Context) (*liveState, error) {
	for try := 0; ; try++ {
		blob, err := m.slot.ReadCredentials(ctx)
		if err != nil {
			return nil, err
		}
		id, err := m.slot.ReadIdentity(ctx)
		if err != nil {
			clear(blob)
			return nil, err
		}
		again, err := m.slot.ReadCredentials(ctx)
		if err != nil {
			clear(blob)
			return nil, err
		}
		same := bytes.Equal(blob, again)
		clear(again)
		if !same && try < 3 {
			clear(blob)
			continue
		}
		st := &liveState{blob: blob, identity: id}
		if blob != nil {
			if st.creds, err = claudecode.ParseCredentials(blob); err != nil {
				clear(blob)
				return nil, fmt.Errorf("Claude Code's login in %s: %w", m.slot.Describe(), err)
			}
		}
		return st, nil
	}
}

// match finds the saved account of a live login: first by the exact
// credential (the stash holds the same login), then by identity. The
// account whose identity matches is tried first, so the common case costs
// one keyring read.
func (m *Manager) match(ctx context.Context, st *liveState, all []Account) (*Account, string, error) {
	if st.creds == nil || !st.creds.HasLogin() {
		return nil, "", nil
	}
	var byIdentity *Account
	order := make([]*Account, 0, len(all))
	for i := range all {
		a := &all[i]
		if st.identity != nil && st.identity.AccountUUID == a.AccountUUID && st.identity.OrganizationUUID == a.OrgUUID {
			byIdentity = a
			order = append([]*Account{a}, order...)
		} else {
			order = append(order, a)
		}
	}
	for _, a := range order {
		stash, err := m.kr.Get(ctx, a.KeyringRef, m.krAcct)
		if errors.Is(err, keyring.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("reading the saved login of %q: %w", a.Label, err)
		}
		same := claudecode.SameBlob(st.blob, stash)
		clear(stash)
		if same {
			return a, MatchCredentials, nil
		}
	}
	if byIdentity != nil {
		return byIdentity, MatchIdentity, nil
	}
	return nil, "", nil
}

// Active reports which saved account Claude Code is logged in as. It
// notices switches made outside aimonitor (a /login, another tool) and
// records them in the audit with trigger "external".
func (m *Manager) Active(ctx context.Context) (*Live, error) {
	m.settleIfInterrupted(ctx)
	st, err := m.readLive(ctx)
	if err != nil {
		return nil, err
	}
	defer st.done()
	all, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	a, how, err := m.match(ctx, st, all)
	if err != nil {
		return nil, err
	}
	live := &Live{LoggedIn: st.creds.HasLogin(), Account: a, MatchedBy: how}
	if st.identity != nil && live.LoggedIn {
		live.Email, live.Organization = st.identity.EmailAddress, st.identity.OrganizationName
	}
	m.noteActive(ctx, live)
	return live, nil
}

// noteActive remembers the last active account and audits a change that
// aimonitor did not make.
func (m *Manager) noteActive(ctx context.Context, live *Live) {
	cur := ""
	switch {
	case live.Account != nil:
		cur = strconv.FormatInt(live.Account.ID, 10)
	case live.LoggedIn:
		cur = "unsaved:" + logging.Redact(live.Email)
	}
	prev, ok, err := m.db.GetSetting(ctx, lastActiveKey)
	if err != nil || (ok && prev == cur) || cur == "" {
		return
	}
	m.setLastActive(ctx, cur)
	if !ok {
		return // first sighting: nothing changed that we know of
	}
	var from *Account
	fromLabel := ""
	if id, err := strconv.ParseInt(prev, 10, 64); err == nil {
		from, _ = m.Get(ctx, id)
	} else {
		fromLabel = prev
	}
	toLabel := ""
	if live.Account == nil {
		toLabel = "(not saved) " + live.Email
	}
	m.audit(ctx, from, live.Account, fromLabel, toLabel, TriggerExternal, "Claude Code's login changed outside aimonitor (a /login or another tool)", nil)
}

func (m *Manager) setLastActive(ctx context.Context, v string) {
	if err := m.db.SetSetting(ctx, lastActiveKey, v); err != nil {
		m.log.Warn("could not remember the active account", "err", err)
	}
}

// AccountView is an account with whether Claude Code uses it now.
type AccountView struct {
	Account
	Active bool `json:"active"`
}

// Overview is what a list shows: every account, the active one marked,
// and what Claude Code is logged in as (for the CLI's `list` and the UI).
type Overview struct {
	Accounts []AccountView `json:"accounts"`
	Live     Live          `json:"claude_code"`
}

// Overview lists the accounts and resolves the active one.
func (m *Manager) Overview(ctx context.Context) (*Overview, error) {
	all, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	live, err := m.Active(ctx)
	if err != nil {
		return nil, err
	}
	o := &Overview{Accounts: make([]AccountView, 0, len(all)), Live: *live}
	for _, a := range all {
		o.Accounts = append(o.Accounts, AccountView{Account: a, Active: live.Account != nil && live.Account.ID == a.ID})
	}
	return o, nil
}
