package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/service"
)

// ExportOptions configure Export.
type ExportOptions struct {
	// Passphrase, when set, includes every account's login, encrypted
	// under it. Nil exports settings and account metadata only.
	Passphrase []byte
	Now        time.Time // time.Now() when zero
}

// ExportReport says what went into a backup.
type ExportReport struct {
	Settings int `json:"settings"`
	Accounts int `json:"accounts"`
	Logins   int `json:"logins"`
	// Missing lists accounts whose saved login is not in the keyring;
	// they are exported without one.
	Missing []string `json:"missing_logins,omitempty"`
}

// Export builds a backup of svc's settings and accounts.
func Export(ctx context.Context, svc *service.Service, opts ExportOptions) (*Bundle, *ExportReport, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	b := &Bundle{Format: FormatName, Version: FormatVersion, AppVersion: buildinfo.Version,
		CreatedAt: now.UTC().Truncate(time.Second), Settings: map[string]any{}, Accounts: []Account{}}
	// The file's own values: an environment override is this shell's, not
	// a setting to carry to another machine.
	fileOnly, err := config.Load(svc.Paths.ConfigFile, []string{})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the settings to export: %w", err)
	}
	for _, f := range fileOnly.Fields() {
		if f.Source == config.FromFile {
			b.Settings[f.Key] = f.Value
		}
	}
	m, err := svc.Accounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	exported, err := m.ExportAccounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range exported {
		b.Accounts = append(b.Accounts, Account{
			Label: e.Label, AccountUUID: e.AccountUUID, Email: e.Email, DisplayName: e.DisplayName,
			OrgUUID: e.OrgUUID, OrgName: e.OrgName, OrgType: e.OrgType, Subscription: e.Subscription,
			RateTier: e.RateTier, CreatedAt: e.CreatedAt.UTC(), Identity: e.Identity,
		})
	}
	rep := &ExportReport{Settings: len(b.Settings), Accounts: len(b.Accounts)}
	if opts.Passphrase == nil {
		return b, rep, nil
	}
	blobs, missing, err := m.ExportLogins(ctx)
	if err != nil {
		return nil, nil, err
	}
	var logins []Login
	defer func() { ZeroLogins(logins) }()
	for _, e := range exported {
		if blob, ok := blobs[e.ID]; ok {
			logins = append(logins, Login{Email: e.Email, OrgUUID: e.OrgUUID, Credentials: blob})
		}
	}
	if err := b.SealLogins(opts.Passphrase, logins); err != nil {
		return nil, nil, err
	}
	rep.Logins, rep.Missing = len(logins), missing
	return b, rep, nil
}

// ImportOptions configure Import.
type ImportOptions struct {
	// Passphrase is asked only when the file holds logins.
	Passphrase func() ([]byte, error)
	// Confirm, when set, is shown what the import would change once every
	// check has passed and before anything is written; false (or an error)
	// stops the import with nothing written (ErrNotConfirmed). It is not
	// asked when nothing would change.
	Confirm func(*Preview) (bool, error)
}

// ImportedAccount is what happened to one account of the backup.
type ImportedAccount struct {
	Label string `json:"label"`
	Email string `json:"email"`
	// Outcome is accounts.ImportAdded, ImportUpdated, ImportUnchanged,
	// ImportKeptNewer, or OutcomeNoLogin.
	Outcome string `json:"outcome"`
}

// OutcomeNoLogin: the file holds no login for the account, so a new
// account was not created (it could not be used) and an existing one was
// left as it is.
const OutcomeNoLogin = "no-login"

// ImportReport says what an import changed.
type ImportReport struct {
	Settings []string `json:"settings"`
	// Overridden lists imported settings that an AIMONITOR_* variable
	// overrides in this environment.
	Overridden []string          `json:"overridden,omitempty"`
	Accounts   []ImportedAccount `json:"accounts"`
}

// Import restores a backup into svc. Everything is checked first — the
// file, the passphrase, every login, the settings as they would be saved,
// the keyring — and nothing is written unless all of it passes. Then the
// accounts are saved (an account with the same identity is updated, not
// duplicated), then the config file is replaced atomically.
func Import(ctx context.Context, svc *service.Service, data []byte, opts ImportOptions) (*ImportReport, error) {
	b, err := Decode(data)
	if err != nil {
		return nil, err
	}
	var logins []Login
	defer func() { ZeroLogins(logins) }()
	if b.Logins != nil {
		if opts.Passphrase == nil {
			return nil, errors.New("this backup holds encrypted logins and no passphrase was given")
		}
		pass, err := opts.Passphrase()
		if err != nil {
			return nil, err
		}
		logins, err = b.OpenLogins(pass)
		clear(pass)
		if err != nil {
			return nil, err
		}
	}
	newConfig, err := mergedConfig(svc.Paths.ConfigFile, b.Settings)
	if err != nil {
		return nil, fmt.Errorf("the backup's settings cannot be applied (nothing was imported): %w", err)
	}
	m, err := svc.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	if len(logins) > 0 {
		if err := m.CheckKeyring(ctx); err != nil {
			return nil, fmt.Errorf("nothing was imported: %w", err)
		}
	}

	rep := &ImportReport{Settings: []string{}, Accounts: []ImportedAccount{}}
	byKey := map[string][]byte{}
	for _, l := range logins {
		byKey[l.key()] = l.Credentials
	}
	if opts.Confirm != nil {
		p, err := preview(ctx, svc.Paths.ConfigFile, b, m, byKey)
		if err != nil {
			return nil, fmt.Errorf("nothing was imported: %w", err)
		}
		if !p.Empty() {
			ok, err := opts.Confirm(p)
			if err != nil {
				return nil, fmt.Errorf("nothing was imported: %w", err)
			}
			if !ok {
				return nil, ErrNotConfirmed
			}
		}
	}
	for _, a := range b.Accounts {
		blob, ok := byKey[a.key()]
		if !ok {
			label := a.Label
			if cur, err := findByIdentity(ctx, m, a); err == nil && cur != nil {
				label = cur.Label
			}
			rep.Accounts = append(rep.Accounts, ImportedAccount{Label: label, Email: a.Email, Outcome: OutcomeNoLogin})
			continue
		}
		meta := accounts.Account{Label: a.Label, AccountUUID: a.AccountUUID, Email: a.Email, DisplayName: a.DisplayName,
			OrgUUID: a.OrgUUID, OrgName: a.OrgName, OrgType: a.OrgType, Subscription: a.Subscription, RateTier: a.RateTier}
		got, outcome, err := m.ImportAccount(ctx, meta, a.Identity, blob)
		if err != nil {
			return rep, fmt.Errorf("importing %s: %w", a.Email, err)
		}
		rep.Accounts = append(rep.Accounts, ImportedAccount{Label: got.Label, Email: got.Email, Outcome: outcome})
	}

	if newConfig != nil {
		if err := paths.WriteFileAtomic(svc.Paths.ConfigFile, newConfig); err != nil {
			return rep, fmt.Errorf("the accounts were imported, but saving the settings failed: %w", err)
		}
		cfg, err := svc.ReloadConfig()
		if err != nil {
			return rep, err
		}
		for k := range b.Settings {
			rep.Settings = append(rep.Settings, k)
		}
		sort.Strings(rep.Settings)
		for _, f := range cfg.Fields() {
			if _, ok := b.Settings[f.Key]; ok && f.Source == config.FromEnv {
				rep.Overridden = append(rep.Overridden, f.EnvVar)
			}
		}
		_, a1 := b.Settings["autostart"]
		_, a2 := b.Settings["autostart_run"]
		if a1 || a2 {
			entry, err := svc.Autostart()
			if err == nil {
				err = entry.Apply(cfg.Autostart, cfg.AutostartRun)
			}
			if err != nil {
				return rep, fmt.Errorf("the settings were imported, but the start-at-login entry could not be updated: %w", err)
			}
		}
	}
	return rep, nil
}

func findByIdentity(ctx context.Context, m *accounts.Manager, a Account) (*accounts.Account, error) {
	all, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Email == a.Email && all[i].OrgUUID == a.OrgUUID {
			return &all[i], nil
		}
	}
	return nil, nil
}

// mergedConfig returns the config file as it will be after the import —
// the current file with each imported key set through config.Set, which
// validates every value and the rules between keys — or nil when there is
// nothing to change. It works on a copy in a temporary directory, so the
// real file is untouched until the caller writes the result.
func mergedConfig(path string, settings map[string]any) ([]byte, error) {
	if len(settings) == 0 {
		return nil, nil
	}
	// The file as it is must load, or the errors below would name the
	// scratch copy instead of it.
	if _, err := config.Load(path, []string{}); err != nil {
		return nil, err
	}
	current, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	dir, err := os.MkdirTemp("", "aimonitor-import-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	scratch := filepath.Join(dir, "config.yaml")
	if current != nil {
		if err := os.WriteFile(scratch, current, paths.FileMode); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// A key can be refused only because of another key not set yet
	// (notify.warn_pct must stay below notify.crit_pct): retry the refused
	// ones while each round makes progress.
	var lastErr error
	for len(keys) > 0 {
		var refused []string
		for _, k := range keys {
			text, err := SettingText(settings[k])
			if err == nil {
				err = config.Set(scratch, k, text)
			}
			if err != nil {
				refused, lastErr = append(refused, k), err
			}
		}
		if len(refused) == len(keys) {
			return nil, lastErr
		}
		keys = refused
	}
	if _, err := config.Load(scratch, []string{}); err != nil {
		return nil, err
	}
	return os.ReadFile(scratch)
}
