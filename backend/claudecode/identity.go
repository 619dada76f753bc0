package claudecode

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// IdentityKey is the member of .claude.json that says who is logged in.
const IdentityKey = "oauthAccount"

// Identity is Claude Code's oauthAccount: who the live login belongs to.
// It holds no secret. Raw is the whole member as stored, so it can be put
// back exactly, fields this package does not know included.
type Identity struct {
	AccountUUID      string          `json:"accountUuid"`
	EmailAddress     string          `json:"emailAddress"`
	OrganizationUUID string          `json:"organizationUuid"`
	OrganizationName string          `json:"organizationName"`
	DisplayName      string          `json:"displayName"`
	BillingType      string          `json:"billingType,omitempty"`
	Raw              json.RawMessage `json:"-"`
}

// Same reports whether two identities name the same account in the same
// organization (the pair Claude Code's login is for).
func (i *Identity) Same(o *Identity) bool {
	if i == nil || o == nil {
		return false
	}
	return i.AccountUUID != "" && i.AccountUUID == o.AccountUUID && i.OrganizationUUID == o.OrganizationUUID
}

// ParseIdentity decodes an oauthAccount value. null or absent gives nil.
func ParseIdentity(raw []byte) (*Identity, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	var id Identity
	if err := json.Unmarshal(t, &id); err != nil {
		return nil, fmt.Errorf("%s is %w (%v)", IdentityKey, ErrMalformed, err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, t); err != nil {
		return nil, fmt.Errorf("%s is %w (%v)", IdentityKey, ErrMalformed, err)
	}
	id.Raw = compact.Bytes()
	return &id, nil
}

// identityOf extracts oauthAccount from the bytes of .claude.json.
func identityOf(config []byte) (*Identity, error) {
	o, err := scanObject(config)
	if err != nil {
		return nil, err
	}
	return ParseIdentity(o.value(IdentityKey))
}

// NewIdentity builds an oauthAccount for a login whose .claude.json entry
// is not known (Claude Code fills in the rest when it next fetches the
// profile).
func NewIdentity(accountUUID, email, orgUUID, orgName, displayName, billingType string) *Identity {
	id := &Identity{AccountUUID: accountUUID, EmailAddress: email, OrganizationUUID: orgUUID, OrganizationName: orgName, DisplayName: displayName, BillingType: billingType}
	id.Raw, _ = json.Marshal(id)
	return id
}
