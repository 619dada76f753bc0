// Package anthropic talks to Anthropic's OAuth endpoints on behalf of a
// Claude subscription login: the usage windows (GET /api/oauth/usage), the
// login's identity (GET /api/oauth/profile) and the access-token refresh
// (POST <token URL>). Every failure is an *Error whose Kind the rest of the
// app acts on; no token byte ever appears in an error.
//
// The client never builds its own HTTP client: callers pass the one from
// package egress, which enforces the outbound allowlist.
package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aimonitor/aimonitor/backend/jsonbytes"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/egress"
)

const (
	// DefaultBaseURL serves /api/oauth/usage and /api/oauth/profile.
	DefaultBaseURL = "https://api.anthropic.com"
	// DefaultTokenURL is where refresh tokens are exchanged.
	DefaultTokenURL = "https://platform.claude.com/v1/oauth/token"
	// ClientID is Claude Code's public OAuth client id; the refresh must
	// name the client the login was issued to.
	ClientID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
	// BetaHeader is the anthropic-beta value the OAuth endpoints require.
	BetaHeader = "oauth-2025-04-20"
	// MaxBodyBytes caps every answer read into memory.
	MaxBodyBytes = 1 << 20
	// DefaultTimeout bounds one request, body included.
	DefaultTimeout = 30 * time.Second

	usagePath   = "/api/oauth/usage"
	profilePath = "/api/oauth/profile"
	// maxErrorBody is how much of an error answer is read to find its code.
	maxErrorBody = 64 << 10
)

// Client calls the Anthropic OAuth endpoints. It is safe for concurrent use.
type Client struct {
	http     *http.Client
	clock    clock.Clock
	baseURL  string // no trailing slash
	tokenURL string
	timeout  time.Duration
}

// Option configures New.
type Option func(*Client)

// WithBaseURL overrides DefaultBaseURL (AIMONITOR_API_BASE). A path prefix
// is kept: "http://127.0.0.1:8080/x" serves usage at /x/api/oauth/usage.
func WithBaseURL(u string) Option { return func(c *Client) { c.baseURL = u } }

// WithTokenURL overrides DefaultTokenURL (AIMONITOR_TOKEN_URL).
func WithTokenURL(u string) Option { return func(c *Client) { c.tokenURL = u } }

// WithTimeout overrides DefaultTimeout for each request.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// New returns a Client. httpClient must be the egress client (it is not
// defaulted, so nothing can bypass the allowlist by forgetting it); clk is
// used to turn expires_in and HTTP-date Retry-After values into times.
func New(httpClient *http.Client, clk clock.Clock, opts ...Option) (*Client, error) {
	if httpClient == nil {
		return nil, errors.New("anthropic: an HTTP client is required (use egress.NewClient)")
	}
	if clk == nil {
		return nil, errors.New("anthropic: a clock is required")
	}
	c := &Client{http: httpClient, clock: clk, baseURL: DefaultBaseURL, tokenURL: DefaultTokenURL, timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	for _, u := range []struct{ name, value string }{{"API base URL", c.baseURL}, {"token URL", c.tokenURL}} {
		p, err := url.Parse(u.value)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, fmt.Errorf("anthropic: the %s is not an http(s) URL", u.name)
		}
	}
	c.baseURL = strings.TrimRight(c.baseURL, "/")
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// Usage fetches the usage windows of the login that owns accessToken. The
// caller keeps ownership of accessToken.
func (c *Client) Usage(ctx context.Context, accessToken []byte) (*Usage, error) {
	body, err := c.getJSON(ctx, "usage", usagePath, accessToken)
	if err != nil {
		return nil, err
	}
	return DecodeUsage(body)
}

// Profile fetches the account and organization of the login that owns
// accessToken.
func (c *Client) Profile(ctx context.Context, accessToken []byte) (*Profile, error) {
	body, err := c.getJSON(ctx, "profile", profilePath, accessToken)
	if err != nil {
		return nil, err
	}
	return DecodeProfile(body)
}

func (c *Client) getJSON(ctx context.Context, endpoint, path string, accessToken []byte) ([]byte, error) {
	if len(accessToken) == 0 {
		return nil, &Error{Kind: ErrUnauthorized, Endpoint: endpoint, Err: errors.New("no access token")}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+path, nil)
	if err != nil {
		return nil, &Error{Kind: ErrNetwork, Endpoint: endpoint, Err: errors.New("could not build the request")}
	}
	// net/http headers are strings, so this makes one immutable copy of the
	// token that lives until the request is garbage; there is no way around
	// it without reimplementing HTTP.
	req.Header.Set("Authorization", "Bearer "+string(accessToken))
	req.Header.Set("anthropic-beta", BetaHeader)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", buildinfo.UserAgent())
	return c.do(req, endpoint, statusKind)
}

// do sends req and returns the body of a 2xx answer. For other statuses it
// returns an *Error whose kind comes from classify.
func (c *Client) do(req *http.Request, endpoint string, classify func(status int, errType string) error) ([]byte, error) {
	start := time.Now() // real time, not c.clock: it measures the wait a timeout reports
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Error{Kind: ErrNetwork, Endpoint: endpoint, Err: egress.Unreachable(req, time.Since(start), err)}
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		small, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		errType := errorType(small)
		clear(small) // an error body could echo what we sent
		e := &Error{Kind: classify(resp.StatusCode, errType), Endpoint: endpoint, Status: resp.StatusCode, ErrorType: errType}
		if e.Kind == ErrThrottled {
			e.RetryAfter, e.ServerRetryAfter = effectiveRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
		}
		return nil, e
	}

	// A declared length over the cap is refused before reading: on a slow
	// link the read could otherwise outlast the timeout and the answer be
	// reported as a network fault instead of a malformed one.
	if resp.ContentLength > MaxBodyBytes {
		return nil, &Error{Kind: ErrMalformed, Endpoint: endpoint, Status: resp.StatusCode, Err: fmt.Errorf("the answer is larger than %d KiB", MaxBodyBytes>>10)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		clear(body)
		return nil, &Error{Kind: ErrNetwork, Endpoint: endpoint, Status: resp.StatusCode, Err: egress.Interrupted(req, time.Since(start), err)}
	}
	if len(body) > MaxBodyBytes {
		clear(body)
		return nil, &Error{Kind: ErrMalformed, Endpoint: endpoint, Status: resp.StatusCode, Err: fmt.Errorf("the answer is larger than %d KiB", MaxBodyBytes>>10)}
	}
	return body, nil
}

// errorType finds the machine-readable code in the two error shapes
// Anthropic uses: {"error":{"type":"rate_limit_error",...}} on the API and
// {"error":"invalid_grant",...} on the OAuth token endpoint.
func errorType(body []byte) string {
	var shape struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &shape) != nil || len(shape.Error) == 0 {
		return ""
	}
	var code string
	if json.Unmarshal(shape.Error, &code) == nil {
		return safeErrorType(code)
	}
	var nested struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(shape.Error, &nested) == nil {
		return safeErrorType(nested.Type)
	}
	return ""
}

// Tokens is the result of a refresh. The token fields are never marshalled
// or printed; call Zero once they are stored.
type Tokens struct {
	AccessToken []byte `json:"-"`
	// RefreshToken is the rotated refresh token, or a copy of the one sent
	// when the answer had none (then Rotated is false).
	RefreshToken []byte `json:"-"`
	Rotated      bool   `json:"rotated"`
	// ExpiresAt is when AccessToken stops working, from expires_in.
	ExpiresAt time.Time `json:"expires_at"`
	// Scopes granted, nil when the answer did not say (keep the old ones).
	Scopes []string `json:"scopes,omitempty"`
	// Identity, when the token endpoint includes it (it usually does).
	AccountUUID      string `json:"account_uuid,omitempty"`
	AccountEmail     string `json:"account_email,omitempty"`
	OrganizationUUID string `json:"organization_uuid,omitempty"`
	OrganizationName string `json:"organization_name,omitempty"`
}

// Zero overwrites both tokens.
func (t *Tokens) Zero() {
	clear(t.AccessToken)
	clear(t.RefreshToken)
}

// String keeps tokens out of %v and %+v.
func (t Tokens) String() string {
	return fmt.Sprintf("anthropic.Tokens{access:[redacted] refresh:[redacted] rotated:%t expires:%s}", t.Rotated, t.ExpiresAt.Format(time.RFC3339))
}

// GoString keeps tokens out of %#v.
func (t Tokens) GoString() string { return t.String() }

// fallbackTokenLifetime is assumed when a refresh answer lacks a usable
// expires_in. The answer is still used, because by then the server has
// already rotated the refresh token: discarding the answer would lose the
// only refresh token that still works. A short lifetime just makes the app
// refresh again early.
const fallbackTokenLifetime = time.Hour

// Refresh exchanges refreshToken for a new access token. The caller keeps
// ownership of refreshToken; the returned Tokens hold fresh copies. Persist
// Tokens.RefreshToken before anything else: the old one is now dead.
func (c *Client) Refresh(ctx context.Context, refreshToken []byte) (*Tokens, error) {
	const endpoint = "token refresh"
	if len(refreshToken) == 0 {
		return nil, &Error{Kind: ErrRefreshDead, Endpoint: endpoint, Err: errors.New("no refresh token")}
	}
	payload := refreshPayload(refreshToken)
	body := &zeroingBody{buf: payload}
	defer body.Close()

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, body)
	if err != nil {
		return nil, &Error{Kind: ErrNetwork, Endpoint: endpoint, Err: errors.New("could not build the request")}
	}
	req.ContentLength = int64(len(payload))
	req.GetBody = nil // never replay the token on a redirect
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", buildinfo.UserAgent())

	answer, err := c.do(req, endpoint, refreshKind)
	if err != nil {
		return nil, err
	}
	defer clear(answer)
	return decodeTokens(answer, refreshToken, c.clock.Now())
}

// refreshPayload builds the JSON body by hand so the token is never turned
// into an immutable string.
func refreshPayload(refreshToken []byte) []byte {
	buf := make([]byte, 0, len(refreshToken)+128)
	buf = append(buf, `{"grant_type":"refresh_token","refresh_token":`...)
	buf = appendJSONString(buf, refreshToken)
	buf = append(buf, `,"client_id":"`+ClientID+`"}`...)
	return buf
}

func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, b := range s {
		switch {
		case b == '"' || b == '\\':
			dst = append(dst, '\\', b)
		case b < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
		default:
			dst = append(dst, b)
		}
	}
	return append(dst, '"')
}

// zeroingBody is a request body that wipes itself when the transport
// closes it (or when Refresh returns, whichever is first). The mutex matters:
// the transport may still be reading when Refresh returns.
type zeroingBody struct {
	mu  sync.Mutex
	buf []byte
	off int
}

func (z *zeroingBody) Read(p []byte) (int, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.off >= len(z.buf) {
		return 0, io.EOF
	}
	n := copy(p, z.buf[z.off:])
	z.off += n
	return n, nil
}

func (z *zeroingBody) Close() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	clear(z.buf)
	z.off = len(z.buf)
	return nil
}

func decodeTokens(answer, sentRefresh []byte, now time.Time) (*Tokens, error) {
	var shape struct {
		AccessToken  json.RawMessage `json:"access_token"`
		RefreshToken json.RawMessage `json:"refresh_token"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
		Scope        json.RawMessage `json:"scope"`
		Account      *struct {
			UUID         string `json:"uuid"`
			EmailAddress string `json:"email_address"`
		} `json:"account"`
		Organization *struct {
			UUID string `json:"uuid"`
			Name string `json:"name"`
		} `json:"organization"`
	}
	trimmed := bytes.TrimSpace(answer)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &shape) != nil {
		clear(shape.AccessToken)
		clear(shape.RefreshToken)
		return nil, malformed("token refresh", errors.New("expected a JSON object"))
	}
	defer clear(shape.AccessToken)
	defer clear(shape.RefreshToken)

	access, err := jsonbytes.String(shape.AccessToken)
	if err != nil || len(access) == 0 {
		clear(access)
		return nil, malformed("token refresh", errors.New("the answer has no access_token"))
	}
	t := &Tokens{AccessToken: access}
	if rotated, err := jsonbytes.String(shape.RefreshToken); err == nil && len(rotated) > 0 {
		t.RefreshToken, t.Rotated = rotated, true
	} else {
		t.RefreshToken = append([]byte(nil), sentRefresh...)
	}
	lifetime := fallbackTokenLifetime
	if secs, ok, err := decodeNumber(shape.ExpiresIn); err == nil && ok && secs > 0 && secs < (400*24*time.Hour).Seconds() {
		lifetime = time.Duration(secs * float64(time.Second))
	}
	t.ExpiresAt = now.Add(lifetime)
	if !isNull(shape.Scope) {
		var scope string
		if json.Unmarshal(shape.Scope, &scope) == nil {
			t.Scopes = strings.Fields(scope)
		} else {
			_ = json.Unmarshal(shape.Scope, &t.Scopes) // some servers send a list
		}
	}
	if shape.Account != nil {
		t.AccountUUID, t.AccountEmail = shape.Account.UUID, shape.Account.EmailAddress
	}
	if shape.Organization != nil {
		t.OrganizationUUID, t.OrganizationName = shape.Organization.UUID, shape.Organization.Name
	}
	return t, nil
}
