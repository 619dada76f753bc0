package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/config"
)

// The file format. A reader refuses other names and newer versions.
const (
	FormatName    = "aimonitor-backup"
	FormatVersion = 1
	// MaxFileSize bounds what Decode reads: a real backup is a few KiB.
	MaxFileSize = 4 << 20
	maxAccounts = 1000
)

// Bundle is one backup file. Everything but Logins is plain JSON without
// secrets; Logins, when present, holds every account's login, encrypted,
// with the rest of the bundle as associated data.
type Bundle struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	AppVersion string    `json:"app_version"`
	CreatedAt  time.Time `json:"created_at"`
	// Settings are the keys set in the config file (dotted key → value);
	// keys left at their defaults are not carried, so they follow the
	// defaults of the version that imports them.
	Settings map[string]any `json:"settings"`
	Accounts []Account      `json:"accounts"`
	Logins   *Sealed        `json:"logins,omitempty"`
}

// Account is an account's metadata and the oauthAccount Claude Code gets
// when switching to it. No secret.
type Account struct {
	Label        string          `json:"label"`
	AccountUUID  string          `json:"account_uuid"`
	Email        string          `json:"email"`
	DisplayName  string          `json:"display_name,omitempty"`
	OrgUUID      string          `json:"organization_uuid"`
	OrgName      string          `json:"organization,omitempty"`
	OrgType      string          `json:"organization_type,omitempty"`
	Subscription string          `json:"subscription,omitempty"`
	RateTier     string          `json:"rate_limit_tier,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
	Identity     json.RawMessage `json:"identity,omitempty"`
}

// key is what identifies an account across machines: the database's
// unique (email, organization) pair.
func (a Account) key() string { return a.Email + "\x00" + a.OrgUUID }

// Login is one account's credential blob, as sealed in Logins.
type Login struct {
	Email       string `json:"email"`
	OrgUUID     string `json:"organization_uuid"`
	Credentials []byte `json:"credentials"`
}

func (l Login) key() string { return l.Email + "\x00" + l.OrgUUID }

// ZeroLogins overwrites the credential blobs.
func ZeroLogins(logins []Login) {
	for i := range logins {
		clear(logins[i].Credentials)
	}
}

// sealedLogins is the plaintext inside Logins.
type sealedLogins struct {
	Logins []Login `json:"logins"`
}

// aad is the associated data that binds the sealed logins to everything
// else in the file: the bundle without Logins, as compact JSON. Encoding
// decoded values again gives the same bytes for any file this package
// wrote; an edited file gives other bytes, and opening fails.
func (b *Bundle) aad() ([]byte, error) {
	c := *b
	c.Logins = nil
	data, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return append([]byte(FormatName+"\n"), data...), nil
}

// SealLogins encrypts logins into b.Logins under passphrase. Every login
// must belong to one of b's accounts, at most one per account. Call it
// after everything else in b is final.
func (b *Bundle) SealLogins(passphrase []byte, logins []Login) error {
	if err := b.checkLogins(logins); err != nil {
		return err
	}
	aad, err := b.aad()
	if err != nil {
		return err
	}
	plain, err := json.Marshal(sealedLogins{Logins: logins})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer clear(plain)
	s, err := Seal(passphrase, plain, aad)
	if err != nil {
		return err
	}
	b.Logins = s
	return nil
}

// OpenLogins decrypts b.Logins (nil when b holds none) and checks that
// every login is a Claude login of one of b's accounts. A wrong passphrase
// and an altered file both give ErrDecrypt. The caller owns the
// credentials and should ZeroLogins them.
func (b *Bundle) OpenLogins(passphrase []byte) ([]Login, error) {
	if b.Logins == nil {
		return nil, nil
	}
	aad, err := b.aad()
	if err != nil {
		return nil, err
	}
	plain, err := Open(passphrase, b.Logins, aad)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	var sl sealedLogins
	if err := strictDecode(plain, &sl); err != nil {
		ZeroLogins(sl.Logins)
		return nil, errors.New("backup: the encrypted logins are not in the expected format")
	}
	if err := b.checkLogins(sl.Logins); err != nil {
		ZeroLogins(sl.Logins)
		return nil, err
	}
	return sl.Logins, nil
}

func (b *Bundle) checkLogins(logins []Login) error {
	known := map[string]bool{}
	for _, a := range b.Accounts {
		known[a.key()] = true
	}
	seen := map[string]bool{}
	for _, l := range logins {
		if !known[l.key()] {
			return fmt.Errorf("backup: a login for %s is not matched by an account in the file", l.Email)
		}
		if seen[l.key()] {
			return fmt.Errorf("backup: two logins for %s", l.Email)
		}
		seen[l.key()] = true
		c, err := claudecode.ParseCredentials(l.Credentials)
		if err != nil {
			return fmt.Errorf("backup: the login of %s: %w", l.Email, err)
		}
		ok := c.HasLogin()
		c.Zero()
		if !ok {
			return fmt.Errorf("backup: the login of %s holds no Claude login", l.Email)
		}
	}
	return nil
}

// Encode renders b as the file's bytes (indented JSON).
func Encode(b *Bundle) ([]byte, error) {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return append(data, '\n'), nil
}

// ErrNotBackup is wrapped by errors about files that are not aimonitor
// backups at all.
var ErrNotBackup = errors.New("this is not an aimonitor backup file")

// ReadFile reads a backup file, reading no more than MaxFileSize+1 bytes
// whatever the file is (a huge file, a device, a pipe), so a wrong pick in
// a file dialog cannot exhaust memory.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the backup: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the backup: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %w (it is larger than %d MiB)", path, ErrNotBackup, MaxFileSize>>20)
	}
	return data, nil
}

// Decode parses and checks a backup file: format and version, every
// account's identity, every setting's key and value. It does not decrypt.
func Decode(data []byte) (*Bundle, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w (it is larger than %d MiB)", ErrNotBackup, MaxFileSize>>20)
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Format != FormatName {
		return nil, ErrNotBackup
	}
	if head.Version != FormatVersion {
		if head.Version > FormatVersion {
			return nil, fmt.Errorf("this backup was made by a newer aimonitor (format version %d); update aimonitor to import it", head.Version)
		}
		return nil, fmt.Errorf("%w (unknown format version %d)", ErrNotBackup, head.Version)
	}
	var b Bundle
	if err := strictDecode(data, &b); err != nil {
		return nil, fmt.Errorf("the backup file is damaged: %w", err)
	}
	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("the backup file is damaged: %w", err)
	}
	return &b, nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON document")
	}
	return nil
}

func (b *Bundle) validate() error {
	if len(b.Accounts) > maxAccounts {
		return fmt.Errorf("more than %d accounts", maxAccounts)
	}
	seen := map[string]bool{}
	for i, a := range b.Accounts {
		if a.AccountUUID == "" || a.Email == "" {
			return fmt.Errorf("account %d has no account id or e-mail address", i+1)
		}
		if _, err := accounts.CheckLabel(a.Label); err != nil {
			return fmt.Errorf("account %s: %w", a.Email, err)
		}
		if seen[a.key()] {
			return fmt.Errorf("account %s (%s) appears twice", a.Email, a.OrgName)
		}
		seen[a.key()] = true
		if len(a.Identity) > 0 {
			id, err := claudecode.ParseIdentity(a.Identity)
			if err != nil {
				return fmt.Errorf("account %s: %w", a.Email, err)
			}
			if id != nil && (id.AccountUUID != a.AccountUUID || id.OrganizationUUID != a.OrgUUID) {
				return fmt.Errorf("account %s: its identity names another account", a.Email)
			}
		}
	}
	// The associated data must be computable, or the logins could never
	// be opened (a date outside years 0–9999 cannot be encoded again).
	if _, err := b.aad(); err != nil {
		return err
	}
	keys := config.Keys()
	for k, v := range b.Settings {
		if !slices.Contains(keys, k) {
			return fmt.Errorf("unknown setting %q", k)
		}
		if _, err := SettingText(v); err != nil {
			return fmt.Errorf("setting %s: %w", k, err)
		}
	}
	return nil
}

// SettingText turns a setting's JSON value into the text config.Set
// takes: true/false, a whole number, or a string.
func SettingText(v any) (string, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<31 {
			return "", errors.New("not a whole number")
		}
		return fmt.Sprintf("%d", int64(x)), nil
	case int:
		return fmt.Sprintf("%d", x), nil
	case string:
		return x, nil
	}
	return "", errors.New("must be true/false, a number or text")
}
