package claudecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aimonitor/aimonitor/backend/jsonbytes"
)

// OAuthKey is the member of the credential blob that holds the Claude
// subscription login.
const OAuthKey = "claudeAiOauth"

// LoginKeys are the members of the credential blob that belong to one
// login: the ones Claude Code itself deletes on /logout. A switch replaces
// exactly these and keeps every other member (mcpOAuth and whatever future
// versions add), which belong to the machine, not to the account.
var loginKeys = [...]string{OAuthKey, "organizationUuid", "trustedDeviceToken", "enterpriseGateway", "designOauth"}

// LoginKeys returns the blob members that belong to a login.
func LoginKeys() []string { return append([]string(nil), loginKeys[:]...) }

// Credentials is a parsed credential blob. The token fields are copies the
// caller owns; call Zero when done. Unknown members stay in the blob the
// Credentials was parsed from and are never touched by the helpers below.
type Credentials struct {
	AccessToken      []byte
	RefreshToken     []byte
	ExpiresAt        time.Time // zero when the blob has no expiresAt
	Scopes           []string
	SubscriptionType string
	RateLimitTier    string
}

// Zero overwrites the tokens.
func (c *Credentials) Zero() {
	if c == nil {
		return
	}
	clear(c.AccessToken)
	clear(c.RefreshToken)
}

// String keeps tokens out of %v.
func (c Credentials) String() string {
	return fmt.Sprintf("claudecode.Credentials{tokens:[redacted] expires:%s subscription:%s}", c.ExpiresAt.Format(time.RFC3339), c.SubscriptionType)
}

// GoString keeps tokens out of %#v.
func (c Credentials) GoString() string { return c.String() }

// HasLogin reports whether the blob holds a usable login (a refresh token,
// or at least an access token).
func (c *Credentials) HasLogin() bool {
	return c != nil && (len(c.RefreshToken) > 0 || len(c.AccessToken) > 0)
}

// ExpiresWithin reports whether the access token is expired or will be
// within d of now. A blob without an expiry counts as expired.
func (c *Credentials) ExpiresWithin(now time.Time, d time.Duration) bool {
	return c.ExpiresAt.IsZero() || !c.ExpiresAt.After(now.Add(d))
}

// ErrMalformed marks a credential blob or .claude.json that is not the JSON
// Claude Code writes. Nothing is written when it is returned.
var ErrMalformed = errors.New("not in the format Claude Code writes")

// ParseCredentials reads the login out of a credential blob. A blob with
// no claudeAiOauth member parses to empty Credentials (HasLogin false).
func ParseCredentials(blob []byte) (*Credentials, error) {
	o, err := scanObject(blob)
	if err != nil {
		return nil, fmt.Errorf("the credential data is %w (%v)", ErrMalformed, err)
	}
	raw := o.value(OAuthKey)
	c := &Credentials{}
	if raw == nil || string(bytes.TrimSpace(raw)) == "null" {
		return c, nil
	}
	oo, err := scanObject(raw)
	if err != nil {
		return nil, fmt.Errorf("the credential data is %w (%s: %v)", ErrMalformed, OAuthKey, err)
	}
	fail := func(field string) (*Credentials, error) {
		c.Zero()
		return nil, fmt.Errorf("the credential data is %w (%s.%s has the wrong type)", ErrMalformed, OAuthKey, field)
	}
	if c.AccessToken, err = jsonbytes.String(oo.value("accessToken")); err != nil {
		return fail("accessToken")
	}
	if c.RefreshToken, err = jsonbytes.String(oo.value("refreshToken")); err != nil {
		return fail("refreshToken")
	}
	if v := bytes.TrimSpace(oo.value("expiresAt")); len(v) > 0 && string(v) != "null" {
		ms, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return fail("expiresAt")
		}
		c.ExpiresAt = time.UnixMilli(int64(ms))
	}
	if v := oo.value("scopes"); v != nil && string(bytes.TrimSpace(v)) != "null" {
		if json.Unmarshal(v, &c.Scopes) != nil {
			return fail("scopes")
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"subscriptionType", &c.SubscriptionType}, {"rateLimitTier", &c.RateLimitTier}} {
		if v := oo.value(f.name); v != nil && string(bytes.TrimSpace(v)) != "null" {
			if json.Unmarshal(v, f.dst) != nil {
				return fail(f.name)
			}
		}
	}
	return c, nil
}

// OAuthBytes returns the raw claudeAiOauth value of a blob (a sub-slice),
// or nil. Two blobs hold the same login exactly when these bytes match.
func OAuthBytes(blob []byte) []byte {
	o, err := scanObject(blob)
	if err != nil {
		return nil
	}
	return o.value(OAuthKey)
}

// WithTokens returns a copy of blob whose claudeAiOauth carries the new
// tokens, expiry and (when scopes is non-nil) scopes. Every other byte of
// the blob, unknown members included, is kept.
func WithTokens(blob, access, refresh []byte, expiresAt time.Time, scopes []string) ([]byte, error) {
	o, err := scanObject(blob)
	if err != nil {
		return nil, fmt.Errorf("the credential data is %w (%v)", ErrMalformed, err)
	}
	inner := o.value(OAuthKey)
	if inner == nil {
		return nil, fmt.Errorf("the credential data is %w (no %s)", ErrMalformed, OAuthKey)
	}
	updated := append([]byte(nil), inner...)
	defer clear(updated)
	tok := make([]byte, 0, len(access)+2)
	updated, err = setMember(updated, "accessToken", appendString(tok, access))
	clear(tok)
	if err != nil {
		return nil, err
	}
	tok = make([]byte, 0, len(refresh)+2)
	next, err := setMember(updated, "refreshToken", appendString(tok, refresh))
	clear(tok)
	clear(updated)
	if err != nil {
		return nil, err
	}
	updated = next
	next, err = setMember(updated, "expiresAt", []byte(strconv.FormatInt(expiresAt.UnixMilli(), 10)))
	clear(updated)
	if err != nil {
		return nil, err
	}
	updated = next
	if scopes != nil {
		s, _ := json.Marshal(scopes)
		next, err = setMember(updated, "scopes", s)
		clear(updated)
		if err != nil {
			return nil, err
		}
		updated = next
	}
	return setMember(blob, OAuthKey, updated)
}

// WithLogin returns live with its login members (LoginKeys) replaced by
// those of stash: present in stash means set, absent means removed. All
// other members of live, such as mcpOAuth, are kept byte for byte. live may
// be nil (no credential file yet).
func WithLogin(live, stash []byte) ([]byte, error) {
	so, err := scanObject(stash)
	if err != nil {
		return nil, fmt.Errorf("the saved login is %w (%v)", ErrMalformed, err)
	}
	out := append([]byte(nil), bytes.TrimSpace(live)...)
	if len(out) == 0 {
		out = []byte("{}")
	}
	for _, key := range loginKeys {
		var next []byte
		if v := so.value(key); v != nil {
			next, err = setMember(out, key, v)
		} else {
			next, err = deleteMember(out, key)
		}
		if err != nil {
			clear(out)
			return nil, fmt.Errorf("Claude Code's credential data is %w (%v)", ErrMalformed, err)
		}
		if &next[0] != &out[0] {
			clear(out)
		}
		out = next
	}
	if len(live) > 0 && live[len(live)-1] == '\n' {
		out = append(out, '\n')
	}
	return out, nil
}

// MachinePart returns blob without its login members: what belongs to the
// machine rather than the account. Two blobs whose machine parts are equal
// differ only in the login they hold. A malformed blob gives nil.
func MachinePart(blob []byte) []byte {
	out := blob
	for _, key := range loginKeys {
		next, err := deleteMember(out, key)
		if err != nil {
			return nil
		}
		out = next
	}
	return bytes.TrimSpace(out)
}
