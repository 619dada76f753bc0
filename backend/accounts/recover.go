package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// A switch rewrites two files one after the other: the credential, then
// oauthAccount in .claude.json. A process killed between the two leaves
// Claude Code with one account's tokens and another's identity (found by
// the hardening crash harness). So a switch first records its intent; the
// intent is written and cleared under the account lock, which the kernel
// releases when its holder dies, so whoever takes the lock and finds an
// intent knows the switch was interrupted, and finishes it: the identity is
// made to follow the credential actually in place.

// switchIntentKey is the settings key of the switch under way (no secret).
const switchIntentKey = "accounts.switch_intent"

type switchIntent struct {
	To      int64  `json:"to"`
	From    int64  `json:"from,omitempty"` // 0: Claude Code had no saved login
	Trigger string `json:"trigger"`
	Reason  string `json:"reason"`
	At      int64  `json:"at"` // unix ms
}

// errIntentPending: an interrupted switch could not be settled yet, so the
// live login cannot be matched to an account by its identity.
var errIntentPending = errors.New("an earlier switch was interrupted and Claude Code's login could not be checked yet (Anthropic did not answer); nothing was changed, try again in a moment")

func (m *Manager) writeIntent(ctx context.Context, in switchIntent) error {
	data, _ := json.Marshal(in)
	if err := m.db.SetSetting(ctx, switchIntentKey, string(data)); err != nil {
		return fmt.Errorf("recording the switch before changing Claude Code's files: %w", err)
	}
	return nil
}

func (m *Manager) clearIntent(ctx context.Context) {
	if err := m.exec(context.WithoutCancel(ctx), "DELETE FROM settings WHERE key = ?", switchIntentKey); err != nil {
		m.log.Warn("could not clear the record of a finished switch", "err", err)
	}
}

func (m *Manager) pendingIntent(ctx context.Context) (*switchIntent, error) {
	raw, ok, err := m.db.GetSetting(ctx, switchIntentKey)
	if err != nil || !ok || raw == "" {
		return nil, err
	}
	var in switchIntent
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		m.log.Warn("dropping an unreadable record of an interrupted switch", "err", err)
		m.clearIntent(ctx)
		return nil, nil
	}
	return &in, nil
}

// settleIfInterrupted takes the account lock briefly when an interrupted
// switch is on record, so it is settled (by lock) before the live login is
// read. A busy lock means its holder has settled it already.
func (m *Manager) settleIfInterrupted(ctx context.Context) {
	if in, err := m.pendingIntent(ctx); (err != nil || in == nil) && !m.hasPending() {
		return
	}
	if unlock, err := m.lockWithin(ctx, time.Second); err == nil {
		unlock()
	}
}

// settleInterrupted finishes a switch whose process died while changing
// Claude Code's files. The caller holds the account lock. It keeps the
// record when the live login could not be placed (asked again next time).
func (m *Manager) settleInterrupted(ctx context.Context) {
	in, err := m.pendingIntent(ctx)
	if err != nil || in == nil {
		return
	}
	if err := m.settle(ctx, in); err != nil {
		m.log.Warn("could not settle an interrupted switch yet", "err", err)
		return
	}
	m.clearIntent(ctx)
}

func (m *Manager) settle(ctx context.Context, in *switchIntent) error {
	st, err := m.readLive(ctx)
	if err != nil {
		return err
	}
	defer st.done()
	all, err := m.List(ctx)
	if err != nil {
		return err
	}
	owner, how, err := m.match(ctx, st, all)
	if err != nil {
		return err
	}
	if st.creds.HasLogin() && how != MatchCredentials {
		// The credential is in no stash (Claude Code refreshed it since):
		// its identity may be the torn half, so ask whose token it is.
		if owner, err = m.ownerByProfile(ctx, st, all); err != nil {
			return err
		}
	}
	target, _ := m.Get(ctx, in.To)
	var from *Account
	if in.From != 0 {
		from, _ = m.Get(ctx, in.From)
	}
	if owner == nil {
		m.audit(ctx, from, target, "", "", in.Trigger, in.Reason,
			errors.New("the switching process stopped and Claude Code has since been logged in to another login; left as it is"))
		return nil
	}
	if want, err := m.storedIdentity(ctx, owner); err == nil && !st.identity.Same(identityOf(want)) {
		if _, err := m.slot.SetIdentityRaw(ctx, want); err != nil {
			return fmt.Errorf("putting the identity of %q back in Claude Code's %s: %w", owner.Label, m.slot.ConfigPath(), err)
		}
		m.log.Info("repaired Claude Code's oauthAccount after an interrupted switch", "account", owner.Label)
	} else if err != nil {
		return err
	}
	m.setLastActive(ctx, strconv.FormatInt(owner.ID, 10))
	if target != nil && owner.ID == target.ID {
		if err := m.exec(ctx, "UPDATE accounts SET last_used_at = ? WHERE id = ?", m.clk.Now().UnixMilli(), target.ID); err != nil {
			m.log.Warn("could not record the last use", "err", err)
		}
		m.audit(ctx, from, target, "", "", in.Trigger, in.Reason+" (finished by the next aimonitor start: the switching process had stopped mid-way)", nil)
		return nil
	}
	m.audit(ctx, from, target, "", "", in.Trigger, in.Reason,
		errors.New("the switching process stopped before it could finish; Claude Code's previous login stays"))
	return nil
}

// ownerByProfile asks Anthropic which account the live access token
// belongs to.
func (m *Manager) ownerByProfile(ctx context.Context, st *liveState, all []Account) (*Account, error) {
	if len(st.creds.AccessToken) == 0 || st.creds.ExpiresWithin(m.clk.Now(), 0) {
		return nil, errIntentPending
	}
	prof, err := m.api.Profile(ctx, st.creds.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errIntentPending, err)
	}
	for i := range all {
		if all[i].AccountUUID == prof.Account.UUID && (prof.Organization.UUID == "" || all[i].OrgUUID == prof.Organization.UUID) {
			return &all[i], nil
		}
	}
	return nil, nil
}

// identityTrusted reports whether the live oauthAccount may be used to
// match the live login: not while an interrupted switch is unsettled.
func (m *Manager) identityTrusted(ctx context.Context) error {
	if in, err := m.pendingIntent(ctx); err != nil || in != nil {
		if err != nil {
			return err
		}
		return errIntentPending
	}
	return nil
}
