package sim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Identity is who an account is, as the profile endpoint and Claude Code's
// ~/.claude.json describe it.
type Identity struct {
	AccountUUID      string `json:"account_uuid"`
	Email            string `json:"email"`
	DisplayName      string `json:"display_name"`
	FullName         string `json:"full_name"`
	OrganizationUUID string `json:"organization_uuid"`
	OrganizationName string `json:"organization_name"`
	// OrganizationType as the profile endpoint sends it, e.g. "claude_max".
	OrganizationType string `json:"organization_type"`
	SubscriptionType string `json:"subscription_type"` // "max", "pro", "team", "enterprise"
	RateLimitTier    string `json:"rate_limit_tier"`
}

// WindowSpec is the starting state of one usage window.
type WindowSpec struct {
	Utilization float64 `json:"utilization"`
	// ResetsIn is how long until the window resets; 0 leaves the window
	// idle (resets_at null) until activity opens it.
	ResetsIn time.Duration `json:"resets_in"`
	// RatePerHour is how fast simulated activity uses the window, in
	// percentage points per hour.
	RatePerHour float64 `json:"rate_per_hour"`
}

// AccountSpec describes an account to add. Only Email is required.
type AccountSpec struct {
	Email            string `json:"email"`
	DisplayName      string `json:"display_name"`
	AccountUUID      string `json:"account_uuid"`
	OrganizationUUID string `json:"organization_uuid"`
	OrganizationName string `json:"organization_name"`
	// SubscriptionType is "max" (default), "pro", "team" or "enterprise".
	SubscriptionType string `json:"subscription_type"`
	RateLimitTier    string `json:"rate_limit_tier"`
	// Scopes of the login; default user:inference user:profile
	// user:sessions:claude_code. Leave out user:profile to get 403s.
	Scopes []string `json:"scopes"`
	// Windows sets starting usage; windows not named start idle at 0.
	// Pro accounts have no seven_day_opus window (it answers null).
	Windows    map[string]WindowSpec `json:"windows"`
	ExtraUsage ExtraUsage            `json:"extra_usage"`
}

// Credentials is what a login hands Claude Code. The tokens are fake but
// shaped like real ones, so they also serve as canaries: tests can assert
// that no byte of them reaches a log, an error or a file it must not.
type Credentials struct {
	AccessToken      string    `json:"access_token"`
	RefreshToken     string    `json:"refresh_token"`
	ExpiresAt        time.Time `json:"expires_at"`
	Scopes           []string  `json:"scopes"`
	SubscriptionType string    `json:"subscription_type"`
	RateLimitTier    string    `json:"rate_limit_tier"`
	Identity         Identity  `json:"identity"`
}

// String keeps the tokens out of %v, so a stray log line does not spoil a
// canary test.
func (c Credentials) String() string {
	return fmt.Sprintf("sim.Credentials{%s tokens:[redacted] expires:%s}", c.Identity.Email, c.ExpiresAt.Format(time.RFC3339))
}

// GoString keeps the tokens out of %#v.
func (c Credentials) GoString() string { return c.String() }

// ClaudeCodeJSON is the credential blob Claude Code stores (the content of
// ~/.claude/.credentials.json or the macOS Keychain item).
func (c Credentials) ClaudeCodeJSON() []byte {
	blob := map[string]any{"claudeAiOauth": map[string]any{
		"accessToken":      c.AccessToken,
		"refreshToken":     c.RefreshToken,
		"expiresAt":        c.ExpiresAt.UnixMilli(),
		"scopes":           c.Scopes,
		"subscriptionType": c.SubscriptionType,
		"rateLimitTier":    c.RateLimitTier,
	}}
	out, _ := json.Marshal(blob)
	return out
}

// OAuthAccountJSON is the "oauthAccount" object Claude Code keeps in
// ~/.claude.json for this login.
func (c Credentials) OAuthAccountJSON() []byte {
	out, _ := json.Marshal(map[string]any{
		"accountUuid":          c.Identity.AccountUUID,
		"emailAddress":         c.Identity.Email,
		"organizationUuid":     c.Identity.OrganizationUUID,
		"organizationName":     c.Identity.OrganizationName,
		"displayName":          c.Identity.DisplayName,
		"organizationRole":     "admin",
		"workspaceRole":        nil,
		"billingType":          "stripe_subscription",
		"hasExtraUsageEnabled": false,
	})
	return out
}

type account struct {
	id         Identity
	scopes     []string
	windows    map[string]*window // absent key: the endpoint answers null
	extra      ExtraUsage
	createdAt  time.Time
	requests   int
	lastAccess string // most recent access token, for Accounts()
}

type accessToken struct {
	account   string
	scopes    []string
	expiresAt time.Time
	revoked   bool
	hits      []time.Time // accepted usage requests inside the rate-limit period
}

type refreshToken struct {
	account   string
	scopes    []string
	expiresAt time.Time
	used      bool
	revoked   bool
}

func defaultScopes() []string {
	return []string{"user:inference", "user:profile", "user:sessions:claude_code"}
}

// ErrUnknownAccount is returned by admin methods given an unknown uuid.
var ErrUnknownAccount = errors.New("sim: unknown account")

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newToken makes a token shaped like Anthropic's: a typed prefix, 86
// URL-safe characters, and the "AA" tail the real ones carry.
func newToken(prefix string) string {
	var b [64]byte
	rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])[:84] + "AA"
}

func subscriptionDefaults(sub string) (orgType, tier string, err error) {
	switch sub {
	case "", "max":
		return "claude_max", "default_claude_max_20x", nil
	case "pro":
		return "claude_pro", "default_claude_pro", nil
	case "team":
		return "claude_team", "default_claude_team", nil
	case "enterprise":
		return "claude_enterprise", "default_claude_enterprise", nil
	}
	return "", "", fmt.Errorf("sim: unknown subscription type %q", sub)
}

// AddAccount creates an account and logs it in once, returning the
// credentials of that first login.
func (s *Server) AddAccount(spec AccountSpec) (Credentials, error) {
	if spec.Email == "" {
		return Credentials{}, errors.New("sim: an account needs an email")
	}
	orgType, tier, err := subscriptionDefaults(spec.SubscriptionType)
	if err != nil {
		return Credentials{}, err
	}
	sub := spec.SubscriptionType
	if sub == "" {
		sub = "max"
	}
	id := Identity{
		AccountUUID:      spec.AccountUUID,
		Email:            spec.Email,
		DisplayName:      spec.DisplayName,
		OrganizationUUID: spec.OrganizationUUID,
		OrganizationName: spec.OrganizationName,
		OrganizationType: orgType,
		SubscriptionType: sub,
		RateLimitTier:    spec.RateLimitTier,
	}
	local, _, _ := strings.Cut(spec.Email, "@")
	if id.AccountUUID == "" {
		id.AccountUUID = newUUID()
	}
	if id.OrganizationUUID == "" {
		id.OrganizationUUID = newUUID()
	}
	if id.DisplayName == "" {
		id.DisplayName = local
	}
	id.FullName = id.DisplayName
	if id.OrganizationName == "" {
		id.OrganizationName = spec.Email + "'s Organization"
	}
	if id.RateLimitTier == "" {
		id.RateLimitTier = tier
	}
	scopes := spec.Scopes
	if scopes == nil {
		scopes = defaultScopes()
	}
	for name := range spec.Windows {
		if !knownWindow(name) {
			return Credentials{}, fmt.Errorf("sim: unknown window %q", name)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.accounts[id.AccountUUID]; dup {
		return Credentials{}, fmt.Errorf("sim: account %s already exists", id.AccountUUID)
	}
	now := s.clock.Now()
	a := &account{id: id, scopes: slices.Clone(scopes), windows: map[string]*window{}, extra: spec.ExtraUsage, createdAt: now}
	if a.extra.Currency == "" && a.extra.Enabled {
		a.extra.Currency = "USD"
	}
	for _, name := range windowNames {
		// Pro plans have no Opus allowance and nobody gets the OAuth-apps
		// window unless asked for: both answer null, as the real API does.
		if (name == SevenDayOpus && sub == "pro") || name == SevenDayOAuthApps {
			if _, asked := spec.Windows[name]; !asked {
				continue
			}
		}
		w := newWindow(name, now)
		if ws, ok := spec.Windows[name]; ok {
			w.util = ws.Utilization
			w.rate = ws.RatePerHour
			if ws.ResetsIn > 0 {
				w.resetsAt = now.Add(ws.ResetsIn)
			}
		}
		a.windows[name] = w
	}
	s.accounts[id.AccountUUID] = a
	s.order = append(s.order, id.AccountUUID)
	return s.loginLocked(a, now), nil
}

// Login issues a fresh login (new refresh and access token) for an existing
// account, as "claude /login" would; earlier logins stay valid.
func (s *Server) Login(accountUUID string) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountUUID]
	if !ok {
		return Credentials{}, ErrUnknownAccount
	}
	return s.loginLocked(a, s.clock.Now()), nil
}

func (s *Server) loginLocked(a *account, now time.Time) Credentials {
	rt := newToken("sk-ant-ort01-")
	s.refresh[rt] = &refreshToken{account: a.id.AccountUUID, scopes: slices.Clone(a.scopes), expiresAt: now.Add(s.cfg.refreshTTL)}
	at, exp := s.issueAccessLocked(a, a.scopes, now)
	return Credentials{
		AccessToken:      at,
		RefreshToken:     rt,
		ExpiresAt:        exp,
		Scopes:           slices.Clone(a.scopes),
		SubscriptionType: a.id.SubscriptionType,
		RateLimitTier:    a.id.RateLimitTier,
		Identity:         a.id,
	}
}

func (s *Server) issueAccessLocked(a *account, scopes []string, now time.Time) (string, time.Time) {
	s.pruneLocked(now)
	at := newToken("sk-ant-oat01-")
	exp := now.Add(s.cfg.accessTTL)
	s.access[at] = &accessToken{account: a.id.AccountUUID, scopes: slices.Clone(scopes), expiresAt: exp}
	a.lastAccess = at
	return at, exp
}

// pruneLocked forgets access tokens that expired long ago, so a demo that
// runs for days does not grow without bound. Refresh tokens are kept: a
// reused one must keep answering invalid_grant.
func (s *Server) pruneLocked(now time.Time) {
	for k, t := range s.access {
		if now.Sub(t.expiresAt) > 24*time.Hour {
			delete(s.access, k)
		}
	}
}

// RevokeLogin kills every refresh and access token of the account, as a
// /logout in Claude Code or a revocation on claude.ai does.
func (s *Server) RevokeLogin(accountUUID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[accountUUID]; !ok {
		return ErrUnknownAccount
	}
	for _, t := range s.refresh {
		if t.account == accountUUID {
			t.revoked = true
		}
	}
	for _, t := range s.access {
		if t.account == accountUUID {
			t.revoked = true
		}
	}
	return nil
}

// ExpireAccessTokens makes every access token of the account expire now;
// refresh tokens keep working.
func (s *Server) ExpireAccessTokens(accountUUID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[accountUUID]; !ok {
		return ErrUnknownAccount
	}
	now := s.clock.Now()
	for _, t := range s.access {
		if t.account == accountUUID && t.expiresAt.After(now) {
			t.expiresAt = now
		}
	}
	return nil
}

// SetUsage sets a window's utilization and reset time (nil: idle, null).
func (s *Server) SetUsage(accountUUID, windowName string, utilization float64, resetsAt *time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, err := s.windowLocked(accountUUID, windowName)
	if err != nil {
		return err
	}
	w.advance(s.clock.Now())
	w.util = utilization
	w.resetsAt = time.Time{}
	if resetsAt != nil {
		w.resetsAt = *resetsAt
	}
	return nil
}

// SetActivity sets how fast simulated activity uses a window, in percentage
// points per hour; 0 stops it. windowName "" sets every window.
func (s *Server) SetActivity(accountUUID, windowName string, ratePerHour float64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if windowName == "" {
		a, ok := s.accounts[accountUUID]
		if !ok {
			return ErrUnknownAccount
		}
		for _, w := range a.windows {
			w.advance(now)
			w.rate = ratePerHour
		}
		return nil
	}
	w, err := s.windowLocked(accountUUID, windowName)
	if err != nil {
		return err
	}
	w.advance(now)
	w.rate = ratePerHour
	return nil
}

func (s *Server) windowLocked(accountUUID, name string) (*window, error) {
	a, ok := s.accounts[accountUUID]
	if !ok {
		return nil, ErrUnknownAccount
	}
	if !knownWindow(name) {
		return nil, fmt.Errorf("sim: unknown window %q", name)
	}
	w, ok := a.windows[name]
	if !ok {
		// Turning on a window the plan did not have (e.g. opus on pro).
		w = newWindow(name, s.clock.Now())
		a.windows[name] = w
	}
	return w, nil
}

// WindowState is a window as the simulator sees it right now.
type WindowState struct {
	Utilization float64    `json:"utilization"`
	ResetsAt    *time.Time `json:"resets_at"`
	RatePerHour float64    `json:"rate_per_hour"`
}

// AccountState is an account as the simulator sees it right now (no tokens).
type AccountState struct {
	Identity Identity               `json:"identity"`
	Windows  map[string]WindowState `json:"windows"`
	Requests int                    `json:"requests"`
}

// Accounts returns every account in the order they were added.
func (s *Server) Accounts() []AccountState {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	out := make([]AccountState, 0, len(s.order))
	for _, id := range s.order {
		a := s.accounts[id]
		st := AccountState{Identity: a.id, Windows: map[string]WindowState{}, Requests: a.requests}
		for name, w := range a.windows {
			w.advance(now)
			ws := WindowState{Utilization: w.util, RatePerHour: w.rate}
			if !w.resetsAt.IsZero() {
				r := w.resetsAt
				ws.ResetsAt = &r
			}
			st.Windows[name] = ws
		}
		out = append(out, st)
	}
	return out
}
