// Package sim is a faithful stand-in for the Anthropic OAuth endpoints
// (usage, profile, token refresh) and the GitHub releases list, for tests
// and for the demo. It keeps accounts with identities and usage windows that
// rise with simulated activity and reset on time, issues tokens shaped like
// real ones, rotates single-use refresh tokens, enforces the same headers
// and scopes as the real service, rate-limits per token, and can be switched
// into faults (5xx, hangs, slow or broken bodies, 429s). Time comes from an
// injected clock, so a test can run a simulated day in milliseconds.
//
// It is compiled into the app (for `aimonitor sim` and the demo), so it
// imports nothing test-only and only ever listens on loopback.
package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/clock"
)

// Constants the real service uses and the simulator checks.
const (
	ClientID   = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
	BetaHeader = "oauth-2025-04-20"
	// ProfileScope is what usage and profile require.
	ProfileScope = "user:profile"

	UsagePath   = "/api/oauth/usage"
	ProfilePath = "/api/oauth/profile"
	TokenPath   = "/v1/oauth/token"
)

type config struct {
	accessTTL    time.Duration
	refreshTTL   time.Duration
	rateLimit    int
	ratePeriod   time.Duration
	releasesRepo string
	admin        bool
	rotate       bool
}

// Option configures New.
type Option func(*config)

// WithAccessTokenTTL sets how long access tokens live (default 8 h).
func WithAccessTokenTTL(d time.Duration) Option { return func(c *config) { c.accessTTL = d } }

// WithRefreshTokenTTL sets how long an unused login lives (default 30 days).
func WithRefreshTokenTTL(d time.Duration) Option { return func(c *config) { c.refreshTTL = d } }

// WithRateLimit lets each access token make n usage requests per period;
// the next gets 429 with a Retry-After that is exactly long enough.
// n <= 0 turns the limit off. Default: 5 per minute.
func WithRateLimit(n int, per time.Duration) Option {
	return func(c *config) { c.rateLimit, c.ratePeriod = n, per }
}

// WithReleasesRepo sets the owner/name served at /repos/{owner}/{repo}/releases
// (default buildinfo.ReleasesRepo); other repositories answer 404.
func WithReleasesRepo(ownerName string) Option { return func(c *config) { c.releasesRepo = ownerName } }

// WithoutAdminAPI turns off the /_sim/ control endpoints.
func WithoutAdminAPI() Option { return func(c *config) { c.admin = false } }

// Server is the simulator. Create it with New; it is an http.Handler.
type Server struct {
	clock clock.Clock
	cfg   config
	mux   *http.ServeMux

	mu       sync.Mutex
	accounts map[string]*account
	order    []string
	access   map[string]*accessToken
	refresh  map[string]*refreshToken
	faults   []*Fault
	releases []Release
	log      requestLog

	done      chan struct{}
	closeOnce sync.Once
}

// New returns a simulator with no accounts and the default releases list.
func New(clk clock.Clock, opts ...Option) *Server {
	cfg := config{
		accessTTL:    8 * time.Hour,
		refreshTTL:   30 * 24 * time.Hour,
		rateLimit:    5,
		ratePeriod:   time.Minute,
		releasesRepo: buildinfo.ReleasesRepo,
		admin:        true,
		rotate:       true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		clock:    clk,
		cfg:      cfg,
		accounts: map[string]*account{},
		access:   map[string]*accessToken{},
		refresh:  map[string]*refreshToken{},
		releases: defaultReleases(clk.Now()),
		log:      newRequestLog(),
		done:     make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+UsagePath, s.handleUsage)
	mux.HandleFunc("GET "+ProfilePath, s.handleProfile)
	mux.HandleFunc("POST "+TokenPath, s.handleToken)
	mux.HandleFunc("GET /repos/{owner}/{repo}/releases", s.handleReleases)
	if cfg.admin {
		s.registerAdmin(mux)
	}
	s.mux = mux
	return s
}

// SetRefreshRotation chooses whether refreshes rotate the refresh token
// (default true). With false the answer has no refresh_token and the old
// one stays valid, which real OAuth servers are allowed to do.
func (s *Server) SetRefreshRotation(rotate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.rotate = rotate
}

// Close releases hanging and slow requests. Call it before shutting down
// the HTTP server that serves s.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.done) }) }

func endpointOf(path string) Endpoint {
	switch {
	case path == UsagePath:
		return EndpointUsage
	case path == ProfilePath:
		return EndpointProfile
	case path == TokenPath:
		return EndpointToken
	case strings.HasPrefix(path, "/repos/") && strings.HasSuffix(path, "/releases"):
		return EndpointReleases
	}
	return EndpointOther
}

// ServeHTTP logs the request, applies any matching fault, and otherwise
// answers like the real endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.mux.ServeHTTP(w, r) // control traffic is not part of the log
		return
	}
	ep := endpointOf(r.URL.Path)
	if ep == EndpointToken {
		// Read the body once here to attribute the request to an account;
		// the handler reads the copy.
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	s.mu.Lock()
	acct := s.accountOfRequestLocked(r, ep)
	fault := s.takeFaultLocked(ep, acct)
	s.mu.Unlock()

	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	if fault != nil {
		s.serveFault(sw, r, ep, fault, s.mux)
	} else {
		s.mux.ServeHTTP(sw, r)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	entry := Request{At: s.clock.Now(), Method: r.Method, Path: r.URL.Path, Endpoint: ep, Account: acct, Status: sw.status}
	if fault != nil {
		entry.Fault = fault.Kind
	}
	s.log.add(entry)
	if a, ok := s.accounts[acct]; ok {
		a.requests++
	}
}

// accountOfRequestLocked finds the account a request speaks for, if any,
// without judging whether its token is still valid.
func (s *Server) accountOfRequestLocked(r *http.Request, ep Endpoint) string {
	switch ep {
	case EndpointUsage, EndpointProfile:
		if t, ok := s.access[bearer(r)]; ok {
			return t.account
		}
	case EndpointToken:
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if req, err := parseTokenRequest(r.Header.Get("Content-Type"), body); err == nil {
			if t, ok := s.refresh[req.RefreshToken]; ok {
				return t.account
			}
		}
	}
	return ""
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func hasBeta(r *http.Request) bool {
	for _, v := range r.Header.Values("anthropic-beta") {
		for _, part := range strings.Split(v, ",") {
			if strings.TrimSpace(part) == BetaHeader {
				return true
			}
		}
	}
	return false
}

// authorize applies the real service's checks in its order: beta header,
// token, scope, then (usage only) the per-token rate limit. It returns the
// account, or nil after writing the refusal.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, rateLimited bool) (*account, time.Time) {
	if !hasBeta(r) {
		writeAPIError(w, http.StatusNotFound, "not_found_error", "Not Found")
		return nil, time.Time{}
	}
	s.mu.Lock()
	now := s.clock.Now()
	tok, ok := s.access[bearer(r)]
	switch {
	case !ok || tok.revoked:
		s.mu.Unlock()
		writeAPIError(w, http.StatusUnauthorized, "authentication_error", "Invalid bearer token")
		return nil, now
	case !tok.expiresAt.After(now):
		s.mu.Unlock()
		writeAPIError(w, http.StatusUnauthorized, "authentication_error", "OAuth token has expired. Please obtain a new token or refresh your existing token.")
		return nil, now
	case !slices.Contains(tok.scopes, ProfileScope):
		s.mu.Unlock()
		writeAPIError(w, http.StatusForbidden, "permission_error", "OAuth token does not meet scope requirement "+ProfileScope)
		return nil, now
	}
	if rateLimited && s.cfg.rateLimit > 0 {
		cutoff := now.Add(-s.cfg.ratePeriod)
		kept := tok.hits[:0]
		for _, h := range tok.hits {
			if h.After(cutoff) {
				kept = append(kept, h)
			}
		}
		tok.hits = kept
		if len(tok.hits) >= s.cfg.rateLimit {
			// The oldest hit leaves the period at hits[0]+period; round up so
			// a client that waits exactly Retry-After is let through.
			wait := tok.hits[0].Add(s.cfg.ratePeriod).Sub(now)
			secs := max(1, int(math.Ceil(wait.Seconds())))
			s.mu.Unlock()
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeAPIError(w, http.StatusTooManyRequests, "rate_limit_error", "Rate limited. Please try again later.")
			return nil, now
		}
		tok.hits = append(tok.hits, now)
	}
	a := s.accounts[tok.account]
	s.mu.Unlock()
	return a, now
}

func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) {
	a, now := s.authorize(w, r, true)
	if a == nil {
		return
	}
	s.mu.Lock()
	body := s.usageAnswerLocked(a, now)
	orgID := a.id.OrganizationUUID
	s.mu.Unlock()
	w.Header().Set("anthropic-organization-id", orgID)
	writeJSON(w, http.StatusOK, body)
}

// apiTime formats like the real API: microseconds and a numeric offset.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000-07:00") }

func (s *Server) usageAnswerLocked(a *account, now time.Time) map[string]any {
	out := map[string]any{
		// The real endpoint carries members nobody documents; clients must
		// ignore what they do not know.
		"iguana_necktie": nil,
		"sim_note":       map[string]any{"about": "unknown member for tolerance tests", "values": []int{1, 2, 3}},
	}
	var limits []any
	for _, name := range windowNames {
		w, ok := a.windows[name]
		if !ok {
			out[name] = nil
			continue
		}
		w.advance(now)
		var resets any
		if !w.resetsAt.IsZero() {
			resets = apiTime(w.resetsAt)
		}
		util := math.Round(w.util*100) / 100
		out[name] = map[string]any{"utilization": util, "resets_at": resets}
		// The limits[] list is newer and undocumented; this mirrors the
		// windows in the field names the reference lists.
		group, scope := "weekly", "all_models"
		switch name {
		case FiveHour:
			group = "session"
		case SevenDayOpus:
			scope = "opus"
		case SevenDaySonnet:
			scope = "sonnet"
		case SevenDayOAuthApps:
			scope = "oauth_apps"
		}
		limits = append(limits, map[string]any{
			"kind": name, "group": group, "percent": util, "resets_at": resets,
			"scope": scope, "is_active": !w.resetsAt.IsZero(),
		})
	}
	out["limits"] = limits
	extra := map[string]any{"is_enabled": a.extra.Enabled, "monthly_limit": nil, "used_credits": nil, "utilization": nil, "currency": nil}
	if a.extra.Enabled {
		extra["monthly_limit"] = a.extra.MonthlyLimitCents
		extra["used_credits"] = a.extra.UsedCents
		if a.extra.MonthlyLimitCents > 0 {
			extra["utilization"] = math.Round(a.extra.UsedCents/a.extra.MonthlyLimitCents*10000) / 100
		}
		extra["currency"] = a.extra.Currency
	}
	out["extra_usage"] = extra
	return out
}

func (s *Server) handleProfile(w http.ResponseWriter, r *http.Request) {
	a, _ := s.authorize(w, r, false)
	if a == nil {
		return
	}
	s.mu.Lock()
	id, created, extra := a.id, a.createdAt, a.extra.Enabled
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"account": map[string]any{
			"uuid":           id.AccountUUID,
			"full_name":      id.FullName,
			"display_name":   id.DisplayName,
			"email":          id.Email,
			"has_claude_max": id.SubscriptionType == "max",
			"has_claude_pro": id.SubscriptionType == "pro",
			"created_at":     apiTime(created),
		},
		"organization": map[string]any{
			"uuid":                    id.OrganizationUUID,
			"name":                    id.OrganizationName,
			"organization_type":       id.OrganizationType,
			"billing_type":            "stripe_subscription",
			"rate_limit_tier":         id.RateLimitTier,
			"has_extra_usage_enabled": extra,
			"subscription_status":     "active",
		},
		"application": map[string]any{"uuid": ClientID, "name": "Claude Code", "slug": "claude-code"},
	})
}

type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	RefreshToken string `json:"refresh_token"`
	ClientID     string `json:"client_id"`
}

// parseTokenRequest accepts the JSON body Claude Code sends and, like most
// OAuth servers, the form encoding of RFC 6749.
func parseTokenRequest(contentType string, body []byte) (tokenRequest, error) {
	var req tokenRequest
	if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return req, err
		}
		return tokenRequest{GrantType: vals.Get("grant_type"), RefreshToken: vals.Get("refresh_token"), ClientID: vals.Get("client_id")}, nil
	}
	err := json.Unmarshal(body, &req)
	return req, err
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": description})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	req, err := parseTokenRequest(r.Header.Get("Content-Type"), body)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Invalid request body")
		return
	}
	if req.GrantType != "refresh_token" {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Only refresh_token is supported here")
		return
	}
	if req.ClientID != ClientID {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Unknown client")
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	old, ok := s.refresh[req.RefreshToken]
	var problem string
	switch {
	case !ok:
		problem = "Invalid refresh token"
	case old.revoked:
		problem = "Refresh token has been revoked"
	case old.used:
		problem = "Refresh token has already been used"
	case !old.expiresAt.After(now):
		problem = "Refresh token has expired"
	}
	if problem != "" {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", problem)
		return
	}
	a := s.accounts[old.account]
	at, exp := s.issueAccessLocked(a, old.scopes, now)
	answer := map[string]any{
		"token_type":   "Bearer",
		"access_token": at,
		"expires_in":   int(exp.Sub(now).Seconds()),
		"scope":        strings.Join(old.scopes, " "),
		"account":      map[string]any{"uuid": a.id.AccountUUID, "email_address": a.id.Email},
		"organization": map[string]any{"uuid": a.id.OrganizationUUID, "name": a.id.OrganizationName},
	}
	if s.cfg.rotate {
		old.used = true
		rt := newToken("sk-ant-ort01-")
		s.refresh[rt] = &refreshToken{account: old.account, scopes: old.scopes, expiresAt: now.Add(s.cfg.refreshTTL)}
		answer["refresh_token"] = rt
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, answer)
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(p)
}

// Flush keeps slow-body faults streaming through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body := mustJSON(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sim: cannot encode answer: " + err.Error()) // only our own maps are encoded
	}
	return b
}

func itoa(n int) string { return strconv.Itoa(n) }

// ListenAndServe serves s on addr until ctx is done. addr must be a
// loopback address ("127.0.0.1:8080", "[::1]:0", "localhost:0"): the
// simulator hands out credentials and must never be reachable from outside,
// and the egress allowlist only lets the app talk to loopback overrides
// anyway. ready, if not nil, is called with the base URL (for example
// "http://127.0.0.1:41234") once the socket is listening.
func ListenAndServe(ctx context.Context, addr string, s *Server, ready func(baseURL string)) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sim: listen address %q: %w", addr, err)
	}
	if !isLoopbackHost(host) {
		return fmt.Errorf("sim: refusing to listen on %q: only loopback addresses (127.0.0.1, ::1, localhost) are allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if ap, err := netip.ParseAddrPort(ln.Addr().String()); err != nil || !ap.Addr().Unmap().IsLoopback() {
		ln.Close()
		return fmt.Errorf("sim: %q did not resolve to a loopback address", addr)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready("http://" + ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("sim: %w", err)
	case <-ctx.Done():
	}
	s.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sim: %w", err)
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == "" && a.Unmap().IsLoopback()
}
