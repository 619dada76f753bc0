package accounts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/keyring"
)

// AccessToken returns a valid access token for the account, refreshing the
// login when the token is expired or about to be. For the account Claude
// Code is using, the live slot is the source (Claude Code refreshes it
// itself) and a refresh is written to both the stash and the live slot, so
// Claude Code's copy of the rotated refresh token stays valid. The caller
// owns the result and should zero it.
func (m *Manager) AccessToken(ctx context.Context, accountID int64) ([]byte, error) {
	return m.token(ctx, accountID, false)
}

// ForceRefresh refreshes the account's login even if its access token
// looks valid (after the API answered 401) and returns the new token.
func (m *Manager) ForceRefresh(ctx context.Context, accountID int64) ([]byte, error) {
	return m.token(ctx, accountID, true)
}

func (m *Manager) token(ctx context.Context, id int64, force bool) ([]byte, error) {
	a, err := m.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	live, err := m.Active(ctx)
	if err != nil {
		return nil, err
	}
	if live.Account != nil && live.Account.ID == id {
		return m.activeToken(ctx, a, force)
	}
	return m.stashToken(ctx, a, force)
}

func (m *Manager) readStash(ctx context.Context, a *Account) ([]byte, error) {
	b, err := m.kr.Get(ctx, a.KeyringRef, m.krAcct)
	return m.resolveStash(a, b, err)
}

// resolveStash is readStash once the keyring has answered with b, err.
// b becomes the caller's, or is wiped.
func (m *Manager) resolveStash(a *Account, b []byte, err error) ([]byte, error) {
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, fmt.Errorf("the saved login of %q is missing from the keyring; add the account again: %w", a.Label, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the saved login of %q: %w", a.Label, err)
	}
	// A renewed login the keyring refused earlier is newer than the stash
	// (whose refresh token it spent).
	if data, err := os.ReadFile(m.pendingPath(a.KeyringRef)); err == nil {
		if next, _ := openPending(data, b, a.KeyringRef); next != nil {
			clear(b)
			return next, nil
		}
	}
	return b, nil
}

// Bounds of the work that must outlive a cancelled caller. A save waits
// longer than the keyring's unlock prompt (2 minutes).
const (
	refreshBound = time.Minute
	saveBound    = 150 * time.Second
)

// detached is ctx without its cancellation, bounded by d: once Anthropic
// may have rotated a refresh token, Ctrl-C, SIGTERM or a caller's timeout
// must not stop the answer from reaching storage.
func detached(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// saveBackoff is the wait before each retry of a save the keyring refused.
var saveBackoff = []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second}

// saveStash writes an account's login to the keyring, whatever happens to
// the caller, retrying a refusal: a rotated refresh token that is not
// saved is a lost login.
func (m *Manager) saveStash(ctx context.Context, a *Account, blob []byte) error {
	ctx, cancel := detached(ctx, saveBound)
	defer cancel()
	var err error
	for try := 0; ; try++ {
		if err = m.kr.Set(ctx, a.KeyringRef, m.krAcct, stashLabel(a.Email, a.OrgName), blob); err == nil {
			return nil
		}
		if try == len(saveBackoff) || ctx.Err() != nil {
			break
		}
		m.log.Debug("the keyring refused a login; retrying", "account", a.Label, "err", err)
		select {
		case <-ctx.Done():
		case <-m.clk.After(saveBackoff[try]):
		}
	}
	return fmt.Errorf("saving the login of %q to the keyring: %w", a.Label, err)
}

// keepRenewed saves a's renewed login next over stash (the login it
// renewed). If the keyring refuses it even after retries, the login is
// sealed into a pending-save file for the next start, and the user is told;
// only if that fails too is an error returned.
func (m *Manager) keepRenewed(ctx context.Context, a *Account, stash, next []byte) error {
	err := m.saveStash(ctx, a, next)
	if err == nil {
		return nil
	}
	// Keyed by what the keyring item itself holds (stash may be an earlier
	// kept login, newer than the item).
	if raw, gerr := m.kr.Get(context.WithoutCancel(ctx), a.KeyringRef, m.krAcct); gerr == nil {
		defer clear(raw)
		stash = raw
	}
	path, perr := m.sealPending(a, stash, next)
	if perr != nil {
		return fmt.Errorf("%w; keeping it for later failed too (%v), so the renewed login of %q may be lost: log in again with Claude Code if it stops working", err, perr, a.Label)
	}
	m.log.Warn(fmt.Sprintf("the keyring refused the renewed login of %q; it is kept encrypted in %s and saved to the keyring when it next accepts it (any aimonitor command does that)", a.Label, path), "err", err)
	return nil
}

// refresh exchanges the refresh token in blob. A dead login marks the
// account as needing a new login. The caller zeroes the tokens.
func (m *Manager) refresh(ctx context.Context, a *Account, blob []byte) (*anthropic.Tokens, error) {
	c, err := claudecode.ParseCredentials(blob)
	if err != nil {
		return nil, fmt.Errorf("the saved login of %q: %w", a.Label, err)
	}
	defer c.Zero()
	var tok *anthropic.Tokens
	if len(c.RefreshToken) == 0 {
		err = &anthropic.Error{Kind: anthropic.ErrRefreshDead, Endpoint: "token refresh", Err: errors.New("the saved login has no refresh token")}
	} else {
		// The answer spends the old refresh token: read it whatever
		// happens to the caller meanwhile.
		rctx, cancel := detached(ctx, refreshBound)
		tok, err = m.api.Refresh(rctx, c.RefreshToken)
		cancel()
	}
	if errors.Is(err, anthropic.ErrRefreshDead) {
		reason := "the login expired or was revoked; log in again as " + a.Email + " with `aimonitor relogin " + a.Label + "`"
		m.log.Debug("a saved login is dead", "account", a.Label, "err", err)
		if serr := m.SetNeedsRelogin(context.WithoutCancel(ctx), a.ID, reason); serr != nil {
			m.log.Warn("could not mark the account as needing a new login", "account", a.Label, "err", serr)
		}
		return nil, fmt.Errorf("%w: %q (%s): renew it with `aimonitor relogin %s` (it waits while you log in as %s): %w",
			ErrNeedsRelogin, a.Label, a.Email, a.Label, a.Email, err)
	}
	if err != nil {
		return nil, fmt.Errorf("refreshing the login of %q: %w", a.Label, err)
	}
	m.log.Debug("renewed a login's access token", "account", a.Label, "refresh_token_rotated", tok.Rotated, "expires", tok.ExpiresAt)
	if a.NeedsRelogin {
		_ = m.ClearNeedsRelogin(ctx, a.ID)
	}
	return tok, nil
}

func withTokens(blob []byte, tok *anthropic.Tokens) ([]byte, error) {
	return claudecode.WithTokens(blob, tok.AccessToken, tok.RefreshToken, tok.ExpiresAt, tok.Scopes)
}

// stashToken serves an account that is not live: the stash is the only
// copy of its login.
func (m *Manager) stashToken(ctx context.Context, a *Account, force bool) ([]byte, error) {
	if !force {
		if tok, ok, err := m.freshStashToken(ctx, a); err != nil || ok {
			return tok, err
		}
	}
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Another process may have made it the account Claude Code uses while
	// we waited: then Claude Code's copy shares its refresh token, and the
	// refresh must go through it, under Claude Code's refresh locks.
	if st, err := m.readLive(ctx); err == nil {
		live := m.identityTrusted(ctx) == nil && m.belongsTo(ctx, st, a)
		st.done()
		if live {
			return m.activeTokenLocked(ctx, a, force)
		}
	}
	return m.stashTokenLocked(ctx, a, force)
}

// stashTokenLocked is stashToken for a caller holding the account lock.
func (m *Manager) stashTokenLocked(ctx context.Context, a *Account, force bool) ([]byte, error) {
	if !force { // someone may have refreshed it while we waited
		if tok, ok, err := m.freshStashToken(ctx, a); err != nil || ok {
			return tok, err
		}
	}
	blob, err := m.readStash(ctx, a)
	if err != nil {
		return nil, err
	}
	defer clear(blob)
	tok, err := m.refresh(ctx, a, blob)
	if err != nil {
		return nil, err
	}
	defer tok.Zero()
	next, err := withTokens(blob, tok)
	if err != nil {
		return nil, err
	}
	defer clear(next)
	if err := m.keepRenewed(ctx, a, blob, next); err != nil {
		return nil, err
	}
	return append([]byte(nil), tok.AccessToken...), nil
}

func (m *Manager) freshStashToken(ctx context.Context, a *Account) ([]byte, bool, error) {
	blob, err := m.readStash(ctx, a)
	if err != nil {
		return nil, false, err
	}
	defer clear(blob)
	c, err := claudecode.ParseCredentials(blob)
	if err != nil {
		return nil, false, fmt.Errorf("the saved login of %q: %w", a.Label, err)
	}
	defer c.Zero()
	if len(c.AccessToken) > 0 && !c.ExpiresWithin(m.clk.Now(), m.margin) {
		return append([]byte(nil), c.AccessToken...), true, nil
	}
	return nil, false, nil
}

// belongsTo reports whether the live state is account a's login.
func (m *Manager) belongsTo(ctx context.Context, st *liveState, a *Account) bool {
	if st.creds == nil || !st.creds.HasLogin() {
		return false
	}
	if st.identity != nil && st.identity.AccountUUID == a.AccountUUID && st.identity.OrganizationUUID == a.OrgUUID {
		return true
	}
	stash, err := m.kr.Get(ctx, a.KeyringRef, m.krAcct)
	if err != nil {
		return false
	}
	defer clear(stash)
	return claudecode.SameBlob(st.blob, stash)
}

// belongsToStash is belongsTo given a's stash as the keyring returned it
// (stash, err): for a caller that needs the stash as well, one keyring
// read instead of two.
func belongsToStash(st *liveState, a *Account, stash []byte, err error) bool {
	if st.creds == nil || !st.creds.HasLogin() {
		return false
	}
	if st.identity != nil && st.identity.AccountUUID == a.AccountUUID && st.identity.OrganizationUUID == a.OrgUUID {
		return true
	}
	return err == nil && claudecode.SameBlob(st.blob, stash)
}

// activeToken serves the account Claude Code is using.
func (m *Manager) activeToken(ctx context.Context, a *Account, force bool) ([]byte, error) {
	if !force {
		st, err := m.readLive(ctx)
		if err != nil {
			return nil, err
		}
		fresh := m.belongsTo(ctx, st, a) && len(st.creds.AccessToken) > 0 && !st.creds.ExpiresWithin(m.clk.Now(), m.margin)
		var tok []byte
		if fresh {
			tok = append([]byte(nil), st.creds.AccessToken...)
			m.syncStash(ctx, a, st.blob)
		}
		st.done()
		if fresh {
			return tok, nil
		}
	}
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return m.activeTokenLocked(ctx, a, force)
}

// activeTokenLocked is activeToken for a caller holding the account lock.
func (m *Manager) activeTokenLocked(ctx context.Context, a *Account, force bool) ([]byte, error) {
	// No Claude Code may refresh while we do: it would spend the same
	// single-use refresh token.
	release, err := m.slot.LockRefresh(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	st, err := m.readLive(ctx)
	if err != nil {
		return nil, err
	}
	defer st.done()
	if err := m.identityTrusted(ctx); err != nil {
		return nil, err
	}
	if !m.belongsTo(ctx, st, a) {
		// It stopped being live while we waited.
		return m.stashTokenLocked(ctx, a, force)
	}
	if !force && len(st.creds.AccessToken) > 0 && !st.creds.ExpiresWithin(m.clk.Now(), m.margin) {
		m.saveIfChanged(ctx, a, st.blob)
		return append([]byte(nil), st.creds.AccessToken...), nil // Claude Code refreshed it meanwhile
	}
	tok, err := m.refresh(ctx, a, st.blob)
	if err != nil {
		return nil, err
	}
	defer tok.Zero()
	next, err := withTokens(st.blob, tok)
	if err != nil {
		return nil, err
	}
	defer clear(next)
	// The stash first: it must never hold a refresh token that is spent.
	stash, err := m.kr.Get(ctx, a.KeyringRef, m.krAcct)
	if err != nil {
		stash = nil
	}
	defer clear(stash)
	if err := m.saveStash(ctx, a, next); err != nil {
		// Claude Code's copy, written below, is where the next start finds
		// it (the stash sync copies the live login of the active account);
		// sealed too when the stash can key it.
		if stash != nil {
			if path, perr := m.sealPending(a, stash, next); perr == nil {
				m.log.Warn(fmt.Sprintf("the keyring refused the renewed login of %q; it is in Claude Code's credential file and kept encrypted in %s until the keyring accepts it", a.Label, path), "err", err)
			}
		} else {
			m.log.Warn(fmt.Sprintf("the keyring refused the renewed login of %q; it is in Claude Code's credential file and is saved to the keyring at the next start", a.Label), "err", err)
		}
	}
	uctx, cancel := detached(ctx, saveBound)
	defer cancel()
	err = m.slot.UpdateCredentials(uctx, func(cur []byte) ([]byte, error) {
		if !claudecode.SameBlob(cur, st.blob) {
			return nil, errors.New("Claude Code's login changed during the refresh")
		}
		return withTokens(cur, tok)
	})
	if err != nil {
		// The stash has the new login; Claude Code's copy is now spent and
		// it will ask for a /login. Say so rather than hide it.
		m.log.Warn("refreshed the active account but could not update Claude Code's copy", "account", a.Label, "err", err)
		return nil, fmt.Errorf("refreshed the login of %q but could not update Claude Code's copy (switch to it again with `aimonitor switch %s`): %w", a.Label, a.Label, err)
	}
	return append([]byte(nil), tok.AccessToken...), nil
}

// syncStash copies the live login into the account's stash when Claude
// Code has refreshed it (so the stash never keeps a spent refresh token),
// if no other account change is under way.
func (m *Manager) syncStash(ctx context.Context, a *Account, live []byte) {
	stash, err := m.kr.Get(ctx, a.KeyringRef, m.krAcct)
	if err != nil {
		return
	}
	same := claudecode.SameBlob(live, stash)
	clear(stash)
	if same {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	unlock, err := m.lock(lctx)
	if err != nil {
		return
	}
	defer unlock()
	if m.identityTrusted(ctx) != nil {
		return
	}
	// Re-read under the lock: only a live login that still is a's may go
	// into a's stash.
	st, err := m.readLive(ctx)
	if err != nil {
		return
	}
	defer st.done()
	if st.identity != nil && st.identity.AccountUUID == a.AccountUUID && st.identity.OrganizationUUID == a.OrgUUID {
		m.saveIfChanged(ctx, a, st.blob)
	}
}

// saveIfChanged writes live into a's stash when they differ.
func (m *Manager) saveIfChanged(ctx context.Context, a *Account, live []byte) {
	stash, err := m.kr.Get(ctx, a.KeyringRef, m.krAcct)
	if err == nil && claudecode.SameBlob(live, stash) {
		clear(stash)
		return
	}
	clear(stash)
	if err := m.saveStash(ctx, a, live); err != nil {
		m.log.Warn("could not copy Claude Code's refreshed login into the stash", "account", a.Label, "err", err)
	}
}
