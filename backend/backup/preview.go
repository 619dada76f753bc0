package backup

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/config"
)

// ErrNotConfirmed is returned when the confirmation of an import's changes
// was declined; nothing was written.
var ErrNotConfirmed = errors.New("nothing was imported: the changes were not confirmed")

// Preview is what an import is about to change, shown before anything is
// written. A file without logins carries no passphrase, so nothing in it
// is authenticated: the user must see what it would do, start-at-login
// included.
type Preview struct {
	// Sealed: the file holds logins, and everything else in it is bound
	// to them under the passphrase, so it was made by someone who knew it.
	Sealed    bool             `json:"sealed"`
	Settings  []SettingChange  `json:"settings"`
	Accounts  []PlannedAccount `json:"accounts"`
	Autostart bool             `json:"autostart"` // the start-at-login entry changes
}

// SettingChange is one setting whose saved value the import changes.
type SettingChange struct {
	Key  string `json:"key"`
	From string `json:"from"`
	To   string `json:"to"`
}

// PlannedAccount is one account the import adds or updates.
type PlannedAccount struct {
	Label  string `json:"label"`
	Email  string `json:"email"`
	Action string `json:"action"` // "add" or "update"
}

// Empty reports whether the import would change nothing.
func (p *Preview) Empty() bool { return len(p.Settings) == 0 && len(p.Accounts) == 0 }

// Lines words the preview, one change a line, for the CLI and the dialog.
func (p *Preview) Lines() []string {
	var out []string
	if !p.Sealed {
		out = append(out, "This backup holds no logins, so nothing proves who made it: check each change.")
	}
	for _, s := range p.Settings {
		out = append(out, fmt.Sprintf("setting %s: %s → %s", s.Key, s.From, s.To))
	}
	if p.Autostart {
		out = append(out, "the start-at-login entry will be updated to match")
	}
	for _, a := range p.Accounts {
		verb := "add account"
		if a.Action == "update" {
			verb = "update account"
		}
		out = append(out, fmt.Sprintf("%s %q (%s)", verb, a.Label, a.Email))
	}
	if p.Empty() {
		out = append(out, "nothing to change")
	}
	return out
}

// preview compares the backup with what is saved here: the config file's
// values (environment overrides aside, as the import writes the file) and
// the accounts by identity.
func preview(ctx context.Context, configFile string, b *Bundle, m *accounts.Manager, withLogin map[string][]byte) (*Preview, error) {
	p := &Preview{Sealed: b.Logins != nil, Settings: []SettingChange{}, Accounts: []PlannedAccount{}}
	current, err := config.Load(configFile, []string{})
	if err != nil {
		return nil, fmt.Errorf("reading the current settings: %w", err)
	}
	now := map[string]any{}
	for _, f := range current.Fields() {
		now[f.Key] = f.Value
	}
	for k, v := range b.Settings {
		to, err := SettingText(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		from, _ := SettingText(now[k])
		if from == to {
			continue
		}
		p.Settings = append(p.Settings, SettingChange{Key: k, From: from, To: to})
		if k == "autostart" || k == "autostart_run" {
			p.Autostart = true
		}
	}
	sort.Slice(p.Settings, func(i, j int) bool { return p.Settings[i].Key < p.Settings[j].Key })
	for _, a := range b.Accounts {
		if _, ok := withLogin[a.key()]; !ok {
			continue // left alone: the file has no login for it
		}
		planned := PlannedAccount{Label: a.Label, Email: a.Email, Action: "add"}
		if cur, err := findByIdentity(ctx, m, a); err == nil && cur != nil {
			planned.Label, planned.Action = cur.Label, "update"
		}
		p.Accounts = append(p.Accounts, planned)
	}
	return p, nil
}
