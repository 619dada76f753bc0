package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/store"
)

// This file is what export and import (backend/backup) need of the
// Manager: the accounts with their stored identities, their logins, and a
// way to put an account back from a backup.

// ExportedAccount is an account with the oauthAccount aimonitor puts into
// .claude.json when switching to it. Neither holds a secret.
type ExportedAccount struct {
	Account
	Identity []byte
}

// ExportAccounts lists every account, oldest first, with its stored identity.
func (m *Manager) ExportAccounts(ctx context.Context) ([]ExportedAccount, error) {
	all, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ExportedAccount, 0, len(all))
	for i := range all {
		id, err := m.storedIdentity(ctx, &all[i])
		if err != nil {
			return nil, fmt.Errorf("reading the identity of %q: %w", all[i].Label, err)
		}
		out = append(out, ExportedAccount{Account: all[i], Identity: id})
	}
	return out, nil
}

// ExportLogins returns each account's login, keyed by account id: only the
// login members of the credential blob (LoginKeys), never the machine-wide
// ones such as mcpOAuth. For the account Claude Code uses, when Claude Code
// has refreshed the login since aimonitor saved it, the live login is the
// one returned (the saved one holds a spent refresh token). Accounts whose
// saved login is missing from the keyring are listed in missing by label.
// The caller owns the blobs and should zero them.
func (m *Manager) ExportLogins(ctx context.Context) (logins map[int64][]byte, missing []string, err error) {
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	all, err := m.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	live, err := m.readLive(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer live.done()
	liveOwner, how, err := m.match(ctx, live, all)
	if err != nil {
		return nil, nil, err
	}
	logins = make(map[int64][]byte, len(all))
	fail := func(err error) (map[int64][]byte, []string, error) {
		for _, b := range logins {
			clear(b)
		}
		return nil, nil, err
	}
	for i := range all {
		a := &all[i]
		var blob []byte
		if liveOwner != nil && liveOwner.ID == a.ID && how == MatchIdentity {
			blob = append([]byte(nil), live.blob...)
		} else {
			blob, err = m.kr.Get(ctx, a.KeyringRef, m.krAcct)
			if errors.Is(err, keyring.ErrNotFound) {
				missing = append(missing, a.Label)
				continue
			}
			if err != nil {
				return fail(fmt.Errorf("reading the saved login of %q: %w", a.Label, err))
			}
		}
		login, err := claudecode.WithLogin(nil, blob)
		clear(blob)
		if err != nil {
			return fail(fmt.Errorf("the saved login of %q: %w", a.Label, err))
		}
		logins[a.ID] = login
	}
	return logins, missing, nil
}

// CheckKeyring fails when the keyring cannot be used, so an import can
// stop before it changes anything.
func (m *Manager) CheckKeyring(ctx context.Context) error { return m.probeKeyring(ctx) }

// What ImportAccount did.
const (
	ImportAdded     = "added"     // a new account, with its login
	ImportUpdated   = "updated"   // an account with the same identity got the backup's login
	ImportUnchanged = "unchanged" // the account already holds exactly this login
	// ImportKeptNewer: this machine's saved login expires later than the
	// backup's, so it is the newer one and was kept (restoring an old
	// backup must not put back a spent refresh token).
	ImportKeptNewer = "kept-newer"
)

// ImportAccount saves an account from a backup. An account with the same
// identity (e-mail and organization) is updated, never duplicated: it keeps
// its label here, gets the backup's login and identity, and its "needs a new
// login" mark is cleared. A new account gets the backup's label, or the
// label with a number appended when that is taken. identity is the
// oauthAccount to restore (nil: built from meta); blob must hold a login.
func (m *Manager) ImportAccount(ctx context.Context, meta Account, identity, blob []byte) (*Account, string, error) {
	if meta.AccountUUID == "" || meta.Email == "" {
		return nil, "", errors.New("the account in the backup has no account id or e-mail address")
	}
	incoming, err := claudecode.ParseCredentials(blob)
	if err != nil {
		return nil, "", fmt.Errorf("the login of %s in the backup: %w", meta.Email, err)
	}
	defer incoming.Zero()
	if !incoming.HasLogin() {
		return nil, "", fmt.Errorf("the backup holds no login for %s", meta.Email)
	}
	var id *claudecode.Identity
	if len(identity) > 0 {
		if id, err = claudecode.ParseIdentity(identity); err != nil {
			return nil, "", fmt.Errorf("the identity of %s in the backup: %w", meta.Email, err)
		}
	}
	if id == nil || id.AccountUUID != meta.AccountUUID || id.OrganizationUUID != meta.OrgUUID {
		id = claudecode.NewIdentity(meta.AccountUUID, meta.Email, meta.OrgUUID, meta.OrgName, meta.DisplayName, "")
	}
	if err := m.probeKeyring(ctx); err != nil {
		return nil, "", err
	}
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, "", err
	}
	defer unlock()

	existing, err := m.query(ctx, "WHERE email = ? AND org_uuid = ?", meta.Email, meta.OrgUUID)
	if err != nil {
		return nil, "", err
	}
	if len(existing) == 0 {
		a, err := m.insertImported(ctx, meta, blob, id)
		if err != nil {
			return nil, "", err
		}
		return a, ImportAdded, nil
	}
	a := &existing[0]
	outcome := ImportUpdated
	current, err := m.kr.Get(ctx, a.KeyringRef, m.krAcct)
	switch {
	case errors.Is(err, keyring.ErrNotFound):
	case err != nil:
		return nil, "", fmt.Errorf("reading the saved login of %q: %w", a.Label, err)
	default:
		if claudecode.SameBlob(current, blob) {
			outcome = ImportUnchanged
		} else if cur, perr := claudecode.ParseCredentials(current); perr == nil {
			if cur.HasLogin() && cur.ExpiresAt.After(incoming.ExpiresAt) {
				outcome = ImportKeptNewer
			}
			cur.Zero()
		}
		clear(current)
	}
	if outcome == ImportUpdated {
		if err := m.saveStash(ctx, a, blob); err != nil {
			return nil, "", err
		}
	}
	err = m.db.Write(ctx, func(conn *sqlite.Conn) error {
		err := sqlitex.Execute(conn, `UPDATE accounts SET
			display_name = CASE WHEN ? = '' THEN display_name ELSE ? END,
			org_name = CASE WHEN ? = '' THEN org_name ELSE ? END,
			org_type = CASE WHEN ? = '' THEN org_type ELSE ? END,
			subscription = CASE WHEN ? = '' THEN subscription ELSE ? END,
			rate_tier = CASE WHEN ? = '' THEN rate_tier ELSE ? END
			WHERE id = ?`, &sqlitex.ExecOptions{Args: []any{
			meta.DisplayName, meta.DisplayName, meta.OrgName, meta.OrgName, meta.OrgType, meta.OrgType,
			meta.Subscription, meta.Subscription, meta.RateTier, meta.RateTier, a.ID}})
		if err != nil {
			return err
		}
		if outcome != ImportUpdated {
			return nil
		}
		if err := sqlitex.Execute(conn, "UPDATE accounts SET needs_relogin = 0, relogin_reason = '' WHERE id = ?",
			&sqlitex.ExecOptions{Args: []any{a.ID}}); err != nil {
			return err
		}
		return store.PutSetting(conn, identityKey(a.ID), string(id.Raw), m.clk.Now())
	})
	if err != nil {
		return nil, "", fmt.Errorf("updating %q from the backup: %w", a.Label, err)
	}
	m.log.Debug("imported an account", "label", a.Label, "email", a.Email, "outcome", outcome)
	if fresh, err := m.Get(ctx, a.ID); err == nil {
		a = fresh
	}
	return a, outcome, nil
}

// insertImported saves a new account from a backup through insert (which
// writes the stash first and the row after), under a free label.
func (m *Manager) insertImported(ctx context.Context, meta Account, blob []byte, id *claudecode.Identity) (*Account, error) {
	label, err := m.freeLabel(ctx, meta.Label, meta.Email)
	if err != nil {
		return nil, err
	}
	prof := &anthropic.Profile{
		Account: anthropic.Account{UUID: meta.AccountUUID, Email: meta.Email, DisplayName: meta.DisplayName},
		Organization: anthropic.Organization{UUID: meta.OrgUUID, Name: meta.OrgName, Type: meta.OrgType,
			RateLimitTier: meta.RateTier},
	}
	a, err := m.insert(ctx, label, blob, prof, id)
	if err != nil {
		return nil, err
	}
	if a.Subscription == "" && meta.Subscription != "" {
		if err := m.exec(ctx, "UPDATE accounts SET subscription = ? WHERE id = ?", meta.Subscription, a.ID); err == nil {
			a.Subscription = meta.Subscription
		}
	}
	return a, nil
}

// freeLabel is want when no account has it, else want-2, want-3, …; an
// invalid or empty label falls back to the e-mail's local part.
func (m *Manager) freeLabel(ctx context.Context, want, email string) (string, error) {
	base, err := CheckLabel(want)
	if err != nil {
		if base, err = CheckLabel(strings.SplitN(email, "@", 2)[0]); err != nil {
			base = "imported"
		}
	}
	for n := 1; n < 1000; n++ {
		label := base
		if n > 1 {
			suffix := fmt.Sprintf("-%d", n)
			r := []rune(base)
			if len(r)+len(suffix) > 64 {
				r = r[:64-len(suffix)]
			}
			label = string(r) + suffix
		}
		if _, err := m.ByLabel(ctx, label); errors.Is(err, ErrNotFound) {
			return label, nil
		} else if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("%w: no free label like %q", ErrLabel, base)
}
