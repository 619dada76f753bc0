package anthropic

import (
	"encoding/json"
	"errors"
	"strings"
)

// Account is the person behind a login.
type Account struct {
	UUID        string `json:"uuid"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	FullName    string `json:"full_name,omitempty"`
}

// Organization is the billing organization a login belongs to.
type Organization struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
	// Type is organization_type as sent, e.g. "claude_max", "claude_pro".
	Type          string `json:"organization_type"`
	BillingType   string `json:"billing_type,omitempty"`
	RateLimitTier string `json:"rate_limit_tier,omitempty"`
}

// SubscriptionType maps the organization type to the short name Claude
// Code stores in its credentials ("max", "pro", "team", "enterprise"), or
// "" when unknown.
func (o Organization) SubscriptionType() string {
	t := strings.ToLower(o.Type)
	for _, name := range []string{"max", "pro", "team", "enterprise"} {
		if t == "claude_"+name || t == name {
			return name
		}
	}
	return ""
}

// Profile is the answer of GET /api/oauth/profile.
type Profile struct {
	Account      Account      `json:"account"`
	Organization Organization `json:"organization"`
}

// DecodeProfile parses a profile answer. Unknown fields and nulls are fine;
// an answer without an account uuid is malformed, because the account
// uuid is what identifies a login.
func DecodeProfile(body []byte) (*Profile, error) {
	var top map[string]json.RawMessage
	if err := decodeObject(body, &top); err != nil {
		return nil, malformed("profile", err)
	}
	var acc, org map[string]json.RawMessage
	if err := decodeObject(top["account"], &acc); err != nil {
		return nil, malformed("profile", errors.New("account: expected a JSON object"))
	}
	if raw := top["organization"]; !isNull(raw) {
		if err := decodeObject(raw, &org); err != nil {
			return nil, malformed("profile", errors.New("organization: expected a JSON object"))
		}
	}
	p := &Profile{
		Account: Account{
			UUID:        decodeText(acc["uuid"]),
			Email:       firstText(acc, "email", "email_address"),
			DisplayName: decodeText(acc["display_name"]),
			FullName:    decodeText(acc["full_name"]),
		},
		Organization: Organization{
			UUID:          decodeText(org["uuid"]),
			Name:          decodeText(org["name"]),
			Type:          decodeText(org["organization_type"]),
			BillingType:   decodeText(org["billing_type"]),
			RateLimitTier: decodeText(org["rate_limit_tier"]),
		},
	}
	if p.Account.UUID == "" {
		return nil, malformed("profile", errors.New("account has no uuid"))
	}
	return p, nil
}

func firstText(obj map[string]json.RawMessage, names ...string) string {
	for _, n := range names {
		if s := decodeText(obj[n]); s != "" {
			return s
		}
	}
	return ""
}
