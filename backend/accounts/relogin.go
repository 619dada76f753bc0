package accounts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/claudecode"
)

// Logins last about a month. Renewing one keeps the account: its label,
// history, settings and audit stay, only its saved login (and identity) is
// replaced and the needs-relogin flag cleared.

// Relogin waits, as CaptureNewLogin does, until the user logs in again with
// Claude Code (/login in another terminal), but only takes a login of the
// account labelled label, and saves it as that account's login. Claude
// Code's previous login is put back, unless it was this account's own (dead)
// login: then the new one stays live.
func (m *Manager) Relogin(ctx context.Context, label string, timeout time.Duration, progress func(CaptureEvent)) (*Account, error) {
	target, err := m.ByLabel(ctx, label)
	if err != nil {
		return nil, err
	}
	c, err := m.beginCapture(ctx, timeout, progress)
	if err != nil {
		return nil, err
	}
	defer c.end()
	prevIsTarget := m.belongsTo(ctx, c.prev, target)
	c.ev(CaptureWaiting, ReloginInstructions(target), "")

	found, prof, err := c.wait(ctx, target)
	if err != nil {
		return nil, err
	}
	defer found.done()
	c.ev(CaptureFound, "saving the new login of "+prof.Account.Email, prof.Account.Email)
	err = m.renew(ctx, target, found.blob, prof, found.identity)
	if err == nil && prevIsTarget {
		// The old login was this account's and is dead: keep the new one.
		m.setLastActive(ctx, strconv.FormatInt(target.ID, 10))
	} else if rerr := c.restore(ctx); rerr != nil {
		if err == nil {
			return nil, fmt.Errorf("saved the new login of %q, but putting Claude Code's previous login back failed: %w", target.Label, rerr)
		}
		return nil, fmt.Errorf("%w; and putting the previous login back failed: %w", err, rerr)
	}
	if err != nil {
		c.ev(CaptureFailed, err.Error(), prof.Account.Email)
		return nil, err
	}
	a, gerr := m.Get(ctx, target.ID)
	if gerr != nil {
		a = target
	}
	c.ev(CaptureDone, fmt.Sprintf("renewed the login of %q (%s)", a.Label, a.Email), a.Email)
	return a, nil
}

// ReloginInstructions tell the user how to produce the login to renew a.
func ReloginInstructions(a *Account) string {
	return fmt.Sprintf("In another terminal run `claude`, type /login and log in as %s (%s) (keep this running).", a.Email, a.OrgName)
}

// renew replaces a's saved login with blob (a login of the same account and
// organization), records its identity and clears the needs-relogin flag.
// The caller holds the account lock.
func (m *Manager) renew(ctx context.Context, a *Account, blob []byte, prof *anthropic.Profile, fileIdentity *claudecode.Identity) error {
	if prof.Account.UUID != a.AccountUUID || prof.Organization.UUID != a.OrgUUID {
		return fmt.Errorf("that login is %s (%s), not %q (%s)", prof.Account.Email, orgDescription(prof.Organization), a.Label, a.Email)
	}
	if err := m.saveStash(ctx, a, blob); err != nil {
		return err
	}
	// An older renewed login kept for the keyring is obsolete now.
	if err := os.Remove(m.pendingPath(a.KeyringRef)); err != nil && !errors.Is(err, os.ErrNotExist) {
		m.log.Warn("could not remove an obsolete kept login", "account", a.Label, "err", err)
	}
	identity := fileIdentity
	if identity == nil || identity.AccountUUID != a.AccountUUID || identity.OrganizationUUID != a.OrgUUID {
		identity = claudecode.NewIdentity(prof.Account.UUID, prof.Account.Email, prof.Organization.UUID, prof.Organization.Name, prof.Account.DisplayName, prof.Organization.BillingType)
	}
	if err := m.db.SetSetting(ctx, identityKey(a.ID), string(identity.Raw)); err != nil {
		m.log.Warn("could not save the renewed identity", "account", a.Label, "err", err)
	}
	if err := m.exec(ctx, "UPDATE accounts SET needs_relogin = 0, relogin_reason = '', email = ?, display_name = ? WHERE id = ?",
		prof.Account.Email, prof.Account.DisplayName, a.ID); err != nil {
		return err
	}
	// A usage back-off that only a new login could end ends now (a 429's
	// Retry-After stays).
	if err := m.exec(ctx, "UPDATE usage_poll SET not_before = 0, failures = 0, last_error = '', error_kind = '' WHERE account_id = ? AND error_kind = 'relogin'", a.ID); err != nil {
		m.log.Warn("could not reopen the usage requests of the renewed account", "account", a.Label, "err", err)
	}
	m.log.Debug("renewed an account's saved login", "account", a.Label)
	return nil
}
