package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/store"
)

// probeKeyring fails early, before a user logs in for nothing, when the
// keyring cannot be used.
func (m *Manager) probeKeyring(ctx context.Context) error {
	_, err := m.kr.Get(ctx, keyring.StashService("probe"), m.krAcct)
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return fmt.Errorf("the keyring for saved logins cannot be used, so nothing was done: %w", err)
}

// checkLabelFree validates label and makes sure no account has it.
func (m *Manager) checkLabelFree(ctx context.Context, label string) (string, error) {
	l, err := CheckLabel(label)
	if err != nil {
		return "", err
	}
	if _, err := m.ByLabel(ctx, l); err == nil {
		return "", fmt.Errorf("%w: the label %q is already taken", ErrLabel, l)
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	return l, nil
}

// AdoptCurrent saves the login Claude Code is using now as a new account,
// or renews the saved login of the account it belongs to (see Adopt).
func (m *Manager) AdoptCurrent(ctx context.Context, label string) (*Account, error) {
	res, err := m.Adopt(ctx, label)
	if err != nil {
		return nil, err
	}
	return &res.Account, nil
}

// AdoptResult is what Adopt did.
type AdoptResult struct {
	Account Account `json:"account"`
	// Renewed: the login belongs to an account already saved, whose saved
	// login (and identity) it replaced; its label, history and settings
	// stay, and its needs-relogin flag is cleared.
	Renewed bool `json:"renewed"`
}

// Adopt saves the login Claude Code is using now: as a new account
// labelled label, or, when it belongs to an account already saved (a
// /login again after the login expired), as that account's new login.
func (m *Manager) Adopt(ctx context.Context, label string) (*AdoptResult, error) {
	l, err := CheckLabel(label)
	if err != nil {
		return nil, err
	}
	if err := m.probeKeyring(ctx); err != nil {
		return nil, err
	}
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err := m.readLive(ctx)
	if err != nil {
		return nil, err
	}
	defer st.done()
	if !st.creds.HasLogin() {
		return nil, claudecode.ErrNoLogin
	}
	if st.creds.ExpiresWithin(m.clk.Now(), m.margin) {
		// Asking who this is needs a valid access token. Refreshing the
		// live login rotates the refresh token Claude Code holds, so do it
		// the way Claude Code would: under its lock, writing its file.
		st.done()
		if st, err = m.refreshUnsavedLive(ctx); err != nil {
			return nil, err
		}
	}
	prof, err := m.api.Profile(ctx, st.creds.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("asking Anthropic who Claude Code's login belongs to: %w", err)
	}
	if saved, err := m.query(ctx, "WHERE account_uuid = ? AND org_uuid = ?", prof.Account.UUID, prof.Organization.UUID); err != nil {
		return nil, err
	} else if len(saved) > 0 {
		a := &saved[0]
		if err := m.renew(ctx, a, st.blob, prof, st.identity); err != nil {
			return nil, err
		}
		m.setLastActive(ctx, strconv.FormatInt(a.ID, 10))
		if fresh, err := m.Get(ctx, a.ID); err == nil {
			a = fresh
		}
		return &AdoptResult{Account: *a, Renewed: true}, nil
	}
	if _, err := m.checkLabelFree(ctx, l); err != nil {
		return nil, err
	}
	a, err := m.insert(ctx, l, st.blob, prof, st.identity)
	if err != nil {
		return nil, err
	}
	m.setLastActive(ctx, strconv.FormatInt(a.ID, 10)) // it is the live login
	return &AdoptResult{Account: *a}, nil
}

// refreshUnsavedLive refreshes Claude Code's live login in place (it is not
// saved anywhere else yet).
func (m *Manager) refreshUnsavedLive(ctx context.Context) (*liveState, error) {
	release, err := m.slot.LockRefresh(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	st, err := m.readLive(ctx)
	if err != nil {
		return nil, err
	}
	if !st.creds.ExpiresWithin(m.clk.Now(), m.margin) {
		return st, nil
	}
	defer st.done()
	if len(st.creds.RefreshToken) == 0 {
		return nil, fmt.Errorf("%w: Claude Code's login has expired; log in again with `claude` and /login", ErrNeedsRelogin)
	}
	rctx, rcancel := detached(ctx, refreshBound) // the answer spends Claude Code's refresh token
	tok, err := m.api.Refresh(rctx, st.creds.RefreshToken)
	rcancel()
	if errors.Is(err, anthropic.ErrRefreshDead) {
		return nil, fmt.Errorf("%w: Claude Code's login has expired or was revoked; log in again with `claude` and /login: %w", ErrNeedsRelogin, err)
	}
	if err != nil {
		return nil, fmt.Errorf("renewing Claude Code's expired access token: %w", err)
	}
	defer tok.Zero()
	// Its refresh token is spent now: the new one goes into Claude Code's
	// file whatever happens to the caller.
	uctx, cancel := detached(ctx, saveBound)
	defer cancel()
	err = m.slot.UpdateCredentials(uctx, func(cur []byte) ([]byte, error) {
		if !claudecode.SameBlob(cur, st.blob) {
			return nil, errors.New("Claude Code's login changed meanwhile; try again")
		}
		return withTokens(cur, tok)
	})
	if err != nil {
		return nil, fmt.Errorf("writing Claude Code's renewed login to %s: %w", m.slot.Describe(), err)
	}
	return m.readLive(uctx)
}

// insert saves blob as a new account: the stash first, then the row. A
// duplicate identity is refused.
func (m *Manager) insert(ctx context.Context, label string, blob []byte, prof *anthropic.Profile, fileIdentity *claudecode.Identity) (*Account, error) {
	acc, org := prof.Account, prof.Organization
	if dup, err := m.query(ctx, "WHERE email = ? AND org_uuid = ?", acc.Email, org.UUID); err != nil {
		return nil, err
	} else if len(dup) > 0 {
		return nil, fmt.Errorf("%w: %s (%s) is already saved as %q", ErrDuplicate, acc.Email, orgDescription(org), dup[0].Label)
	}
	// One person can be in several organizations with the same account
	// uuid; each login needs its own stash.
	ref := keyring.StashService(acc.UUID)
	if taken, err := m.query(ctx, "WHERE keyring_ref = ?", ref); err != nil {
		return nil, err
	} else if len(taken) > 0 {
		ref = keyring.StashService(acc.UUID + "." + org.UUID)
	}
	identity := fileIdentity
	if identity == nil || identity.AccountUUID != acc.UUID || identity.OrganizationUUID != org.UUID {
		if identity != nil {
			m.log.Info("Claude Code's oauthAccount names another account than its token; using the token's", "file", identity.EmailAddress, "token", acc.Email)
		}
		identity = claudecode.NewIdentity(acc.UUID, acc.Email, org.UUID, org.Name, acc.DisplayName, org.BillingType)
	}
	sub := org.SubscriptionType()
	if c, err := claudecode.ParseCredentials(blob); err == nil {
		if c.SubscriptionType != "" {
			sub = c.SubscriptionType
		}
		c.Zero()
	}
	a := &Account{
		Label: label, AccountUUID: acc.UUID, Email: acc.Email, DisplayName: acc.DisplayName,
		OrgUUID: org.UUID, OrgName: org.Name, OrgType: org.Type, Subscription: sub, RateTier: org.RateLimitTier,
		KeyringRef: ref, CreatedAt: m.clk.Now(),
	}
	if err := m.saveStash(ctx, a, blob); err != nil {
		return nil, fmt.Errorf("saving the login of %s in the OS keyring: %w", a.Email, err)
	}
	err := m.db.Write(ctx, func(conn *sqlite.Conn) error {
		err := sqlitex.Execute(conn, `INSERT INTO accounts(label, account_uuid, email, display_name, org_uuid, org_name, org_type,
			subscription, rate_tier, keyring_ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, &sqlitex.ExecOptions{
			Args: []any{a.Label, a.AccountUUID, a.Email, a.DisplayName, a.OrgUUID, a.OrgName, a.OrgType, a.Subscription, a.RateTier, a.KeyringRef, a.CreatedAt.UnixMilli()},
		})
		if err != nil {
			return err
		}
		a.ID = conn.LastInsertRowID()
		return store.PutSetting(conn, identityKey(a.ID), string(identity.Raw), m.clk.Now())
	})
	if err != nil {
		if derr := m.kr.Delete(context.WithoutCancel(ctx), ref, m.krAcct); derr != nil && !errors.Is(derr, keyring.ErrNotFound) {
			m.log.Warn("could not remove the stash of an account that was not saved", "err", derr)
		}
		if sqlite.ErrCode(err) == sqlite.ResultConstraintUnique {
			return nil, fmt.Errorf("%w: %s (%s) or the label %q is already saved", ErrDuplicate, a.Email, a.OrgName, a.Label)
		}
		return nil, fmt.Errorf("saving the account: %w", err)
	}
	m.log.Debug("saved an account", "label", a.Label, "email", a.Email, "organization", a.OrgName, "stash", a.KeyringRef)
	return a, nil
}

func orgDescription(o anthropic.Organization) string {
	if o.Name != "" {
		return o.Name
	}
	return "organization " + o.UUID
}

// Capture progress states.
const (
	CaptureWaiting   = "waiting"   // waiting for a login in another terminal
	CaptureSameLogin = "same"      // the live login changed but is the same account
	CaptureChecking  = "checking"  // asking Anthropic who the new login is
	CaptureFound     = "found"     // a new login appeared and is being saved
	CaptureRestoring = "restoring" // putting the previous login back
	CaptureDone      = "done"
	CaptureFailed    = "failed"
)

// CaptureEvent reports the progress of CaptureNewLogin (the app's
// "add:progress" event).
type CaptureEvent struct {
	State    string    `json:"state"`
	Message  string    `json:"message"`
	Email    string    `json:"email,omitempty"`
	Deadline time.Time `json:"deadline"`
}

// LoginInstructions tell the user how to produce the login to capture.
const LoginInstructions = "In another terminal run `claude`, type /login and log in with the account to add (keep this running)."

// CaptureNewLogin waits until a login for a different account appears in
// Claude Code's live slot (the user runs /login elsewhere), saves it as a
// new account labelled label, and puts the previous login back exactly.
// When it fails, times out or ctx is cancelled, the previous login is put
// back too. If Claude Code had no login before, the new one stays live.
func (m *Manager) CaptureNewLogin(ctx context.Context, label string, timeout time.Duration, progress func(CaptureEvent)) (*Account, error) {
	l, err := m.checkLabelFree(ctx, label)
	if err != nil {
		return nil, err
	}
	c, err := m.beginCapture(ctx, timeout, progress)
	if err != nil {
		return nil, err
	}
	defer c.end()
	c.ev(CaptureWaiting, LoginInstructions, "")

	found, prof, err := c.wait(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer found.done()
	c.ev(CaptureFound, "saving the login of "+prof.Account.Email, prof.Account.Email)
	a, err := m.insert(ctx, l, found.blob, prof, found.identity)
	if rerr := c.restore(ctx); rerr != nil {
		if err == nil {
			return a, fmt.Errorf("saved %q, but putting Claude Code's previous login back failed: %w", a.Label, rerr)
		}
		return nil, fmt.Errorf("%w; and putting the previous login back failed: %w", err, rerr)
	}
	if err != nil {
		c.ev(CaptureFailed, err.Error(), prof.Account.Email)
		return nil, err
	}
	c.ev(CaptureDone, fmt.Sprintf("saved %s as %q", a.Email, a.Label), a.Email)
	return a, nil
}

// capture is what CaptureNewLogin and Relogin share while they wait for a
// login made elsewhere: the account lock, the login to put back and whose
// it is, the deadline and the progress reports.
type capture struct {
	m            *Manager
	timeout      time.Duration
	deadline     time.Time
	progress     func(CaptureEvent)
	unlock       func()
	prev         *liveState // the login to put back; updated when Claude Code refreshes it meanwhile
	prevIdentity []byte     // its oauthAccount, as it was
	prevWho      *claudecode.Identity
}

// beginCapture checks the keyring, takes the account lock and remembers
// Claude Code's live login, to be put back. The caller must call end.
func (m *Manager) beginCapture(ctx context.Context, timeout time.Duration, progress func(CaptureEvent)) (*capture, error) {
	if progress == nil {
		progress = func(CaptureEvent) {}
	}
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	if err := m.probeKeyring(ctx); err != nil {
		return nil, err
	}
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	prev, err := m.readLive(ctx)
	if err != nil {
		unlock()
		return nil, err
	}
	c := &capture{m: m, timeout: timeout, deadline: m.clk.Now().Add(timeout), progress: progress, unlock: unlock, prev: prev}
	if prev.identity != nil {
		c.prevIdentity = append([]byte(nil), prev.identity.Raw...)
	}
	c.prevWho = m.whoIsLive(ctx, prev)
	return c, nil
}

// end forgets the previous login's tokens and releases the account lock.
func (c *capture) end() {
	c.prev.done()
	c.unlock()
}

func (c *capture) ev(state, msg, email string) {
	c.progress(CaptureEvent{State: state, Message: msg, Email: email, Deadline: c.deadline})
}

// restore puts Claude Code's previous login back (nothing when it had none),
// even when ctx was cancelled.
func (c *capture) restore(ctx context.Context) error {
	if c.prev.blob == nil {
		return nil
	}
	c.ev(CaptureRestoring, "putting Claude Code's previous login back", "")
	return c.m.restoreLive(context.WithoutCancel(ctx), c.prev.blob, c.prevIdentity)
}

// wait waits for the new login (of want, when set; see waitForNewLogin).
// When none comes, the previous login is put back and the failure reported.
func (c *capture) wait(ctx context.Context, want *Account) (*liveState, *anthropic.Profile, error) {
	found, prof, err := c.m.waitForNewLogin(ctx, c.prev, c.prevWho, want, c.deadline, c.timeout, c.ev)
	if err != nil {
		if rerr := c.restore(ctx); rerr != nil {
			return nil, nil, fmt.Errorf("%w; and putting the previous login back failed: %w", err, rerr)
		}
		c.ev(CaptureFailed, err.Error(), "")
		return nil, nil, err
	}
	return found, prof, nil
}

// whoIsLive says which account the live login belongs to: Claude Code's
// oauthAccount, else the saved account it matches, else the profile
// endpoint. nil when nobody is logged in or it cannot be told.
func (m *Manager) whoIsLive(ctx context.Context, st *liveState) *claudecode.Identity {
	if !st.creds.HasLogin() {
		return nil
	}
	if st.identity != nil && st.identity.AccountUUID != "" {
		return st.identity
	}
	if all, err := m.List(ctx); err == nil {
		if a, _, err := m.match(ctx, st, all); err == nil && a != nil {
			return &claudecode.Identity{AccountUUID: a.AccountUUID, OrganizationUUID: a.OrgUUID, EmailAddress: a.Email}
		}
	}
	if prof, err := m.api.Profile(ctx, st.creds.AccessToken); err == nil {
		return &claudecode.Identity{AccountUUID: prof.Account.UUID, OrganizationUUID: prof.Organization.UUID, EmailAddress: prof.Account.Email}
	}
	return nil
}

// waitForNewLogin polls the live slot until it holds a login of another
// account than prev. When Claude Code only refreshes prev's login
// meanwhile, prev is updated so the restore puts back the newest tokens.
//
// With want set (a re-login), only a login of that account is taken;
// another account's is reported and waited past.
func (m *Manager) waitForNewLogin(ctx context.Context, prev *liveState, prevWho *claudecode.Identity, want *Account, deadline time.Time, timeout time.Duration, ev func(state, msg, email string)) (*liveState, *anthropic.Profile, error) {
	var checked []byte // the last blob we asked Anthropic about
	defer func() { clear(checked) }()
	var unidentified error // why the last login that appeared could not be told
	for {
		t := m.clk.NewTimer(m.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, fmt.Errorf("adding the account was cancelled; Claude Code's previous login is in place: %w", ctx.Err())
		case <-t.C():
		}
		if !m.clk.Now().Before(deadline) {
			if unidentified != nil {
				return nil, nil, fmt.Errorf("%w: a new login appeared in %s, but aimonitor could not tell which account it is: %w; Claude Code's previous login is in place (log in again and retry)", ErrCaptureTimeout, m.slot.Describe(), unidentified)
			}
			return nil, nil, fmt.Errorf("%w: nothing changed in %s within %s; Claude Code's previous login is in place (use --timeout for longer)", ErrCaptureTimeout, m.slot.Describe(), timeout)
		}
		cur, err := m.readLive(ctx)
		if err != nil {
			m.log.Debug("reading the live slot while waiting for a login", "err", err)
			continue // Claude Code may be mid-write; try again next tick
		}
		if !cur.creds.HasLogin() || bytes.Equal(cur.blob, prev.blob) || bytes.Equal(cur.blob, checked) {
			cur.done()
			continue
		}
		clear(checked)
		checked = append([]byte(nil), cur.blob...)
		ev(CaptureChecking, "a login appeared; checking which account it is", "")
		if cur.creds.ExpiresWithin(m.clk.Now(), m.margin) {
			// Asking who it is needs a valid access token: renew it as
			// Claude Code would, under its refresh locks, in its file.
			cur.done()
			renewed, err := m.refreshUnsavedLive(ctx)
			if err != nil {
				unidentified = err
				ev(CaptureWaiting, "could not renew the new login to check it ("+err.Error()+"); still waiting", "")
				continue // checked stays: the same blob is not renewed twice
			}
			cur = renewed
			clear(checked)
			checked = append([]byte(nil), cur.blob...)
		}
		prof, err := m.api.Profile(ctx, cur.creds.AccessToken)
		if err != nil {
			cur.done()
			unidentified = err
			ev(CaptureWaiting, "could not check the new login yet ("+err.Error()+"); still waiting", "")
			clear(checked)
			checked = nil
			continue
		}
		unidentified = nil
		sameAsPrev := prevWho != nil && prevWho.AccountUUID == prof.Account.UUID && prevWho.OrganizationUUID == prof.Organization.UUID
		if want != nil && (prof.Account.UUID != want.AccountUUID || prof.Organization.UUID != want.OrgUUID) {
			if sameAsPrev { // Claude Code refreshed the previous login: restore that one
				prev.done()
				*prev = *cur
			} else {
				cur.done()
			}
			ev(CaptureSameLogin, fmt.Sprintf("that is %s (%s), not %q; log in as %s", prof.Account.Email, orgDescription(prof.Organization), want.Label, want.Email), prof.Account.Email)
			continue
		}
		if want == nil && sameAsPrev {
			// Same account as before: Claude Code refreshed it, or the user
			// logged in again with it. Its newest login is what to restore.
			prev.done()
			*prev = *cur
			ev(CaptureSameLogin, fmt.Sprintf("that is %s, the account that was already logged in; log in with a different one", prof.Account.Email), prof.Account.Email)
			continue
		}
		if !identifies(cur.identity, prof) {
			id, err := m.awaitIdentity(ctx, prof, deadline, ev)
			if err != nil {
				cur.done()
				return nil, nil, err
			}
			cur.identity = id
		}
		return cur, prof, nil
	}
}

// awaitIdentity waits until Claude Code has recorded the account of the new
// login prof in oauthAccount (~/.claude.json), which it writes after the
// credential: seconds later on a loaded machine. Waiting keeps Claude Code's
// own identity for the account, and keeps its late write from landing on
// the previous login once that is put back. It is bounded by the capture's
// own deadline; past it, the caller builds the identity from prof (nil).
func (m *Manager) awaitIdentity(ctx context.Context, prof *anthropic.Profile, deadline time.Time, ev func(state, msg, email string)) (*claudecode.Identity, error) {
	for told := false; ; told = true {
		id, err := m.slot.ReadIdentity(ctx)
		if err == nil && identifies(id, prof) {
			return id, nil
		}
		if !m.clk.Now().Before(deadline) {
			m.log.Warn("Claude Code did not record the new login's account in time; using the profile's", "file", m.slot.ConfigPath())
			return nil, nil
		}
		if !told {
			ev(CaptureChecking, fmt.Sprintf("the new login is %s; waiting for Claude Code to record it in %s", prof.Account.Email, m.slot.ConfigPath()), prof.Account.Email)
		}
		t := m.clk.NewTimer(m.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("adding the account was cancelled; Claude Code's previous login is in place: %w", ctx.Err())
		case <-t.C():
		}
	}
}

// identifies reports whether id (an oauthAccount) names prof's account and
// organization.
func identifies(id *claudecode.Identity, prof *anthropic.Profile) bool {
	return id != nil && id.AccountUUID == prof.Account.UUID && (id.OrganizationUUID == "" || id.OrganizationUUID == prof.Organization.UUID)
}

// restoreLive puts a previous login back into Claude Code's live slot and
// its identity into .claude.json, keeping any machine-wide members
// (mcpOAuth) Claude Code changed meanwhile.
func (m *Manager) restoreLive(ctx context.Context, blob, identity []byte) error {
	release, err := m.slot.LockRefresh(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = m.slot.ReplaceLogin(ctx, func(cur []byte) ([]byte, error) {
		if cur == nil || bytes.Equal(cur, blob) || bytes.Equal(claudecode.MachinePart(cur), claudecode.MachinePart(blob)) {
			return append([]byte(nil), blob...), nil // exactly as it was
		}
		return claudecode.WithLogin(cur, blob)
	}, identity)
	return err
}
