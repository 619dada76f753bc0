package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	clock *clock.Fake
	sim   *Server
	srv   *httptest.Server
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	clk := clock.NewFake(t0)
	s := New(clk, opts...)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return &harness{t: t, clock: clk, sim: s, srv: srv}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, a.body)
	}
	return m
}

func (h *harness) get(path, token string, beta bool) answer {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if beta {
		req.Header.Set("anthropic-beta", BetaHeader)
	}
	return h.do(req)
}

func (h *harness) refresh(rt string) answer {
	h.t.Helper()
	body, _ := json.Marshal(map[string]string{"grant_type": "refresh_token", "refresh_token": rt, "client_id": ClientID})
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+TokenPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return h.do(req)
}

func (h *harness) do(req *http.Request) answer {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("reading body: %v", err)
	}
	return answer{resp.StatusCode, resp.Header, body}
}

func (h *harness) add(spec AccountSpec) Credentials {
	h.t.Helper()
	c, err := h.sim.AddAccount(spec)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func windowOf(t *testing.T, usage map[string]any, name string) (util float64, resets *time.Time) {
	t.Helper()
	w, ok := usage[name].(map[string]any)
	if !ok {
		t.Fatalf("%s is %v, want an object", name, usage[name])
	}
	util = w["utilization"].(float64)
	if s, ok := w["resets_at"].(string); ok {
		r, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("%s.resets_at %q: %v", name, s, err)
		}
		resets = &r
	} else if w["resets_at"] != nil {
		t.Fatalf("%s.resets_at is %v", name, w["resets_at"])
	}
	return util, resets
}

func TestTokensLookReal(t *testing.T) {
	h := newHarness(t)
	c := h.add(AccountSpec{Email: "a@example.com"})
	if !regexp.MustCompile(`^sk-ant-oat01-[A-Za-z0-9_-]{84}AA$`).MatchString(c.AccessToken) {
		t.Fatalf("access token shape: %d chars, prefix %q", len(c.AccessToken), c.AccessToken[:13])
	}
	if !regexp.MustCompile(`^sk-ant-ort01-[A-Za-z0-9_-]{84}AA$`).MatchString(c.RefreshToken) {
		t.Fatalf("refresh token shape: %d chars", len(c.RefreshToken))
	}
	if !c.ExpiresAt.Equal(t0.Add(8 * time.Hour)) {
		t.Fatalf("expires %v", c.ExpiresAt)
	}
	if c.SubscriptionType != "max" || c.RateLimitTier != "default_claude_max_20x" {
		t.Fatalf("subscription %q tier %q", c.SubscriptionType, c.RateLimitTier)
	}
	if got := strings.Join(c.Scopes, " "); got != "user:inference user:profile user:sessions:claude_code" {
		t.Fatalf("scopes %q", got)
	}
	for _, s := range []string{c.String(), c.GoString()} {
		if strings.Contains(s, c.AccessToken) || strings.Contains(s, c.RefreshToken) {
			t.Fatalf("String leaks a token: %s", s)
		}
	}
	var blob struct {
		ClaudeAiOauth struct {
			AccessToken      string   `json:"accessToken"`
			RefreshToken     string   `json:"refreshToken"`
			ExpiresAt        int64    `json:"expiresAt"`
			Scopes           []string `json:"scopes"`
			SubscriptionType string   `json:"subscriptionType"`
		} `json:"claudeAiOauth"`
	}
	if err := json.Unmarshal(c.ClaudeCodeJSON(), &blob); err != nil {
		t.Fatal(err)
	}
	if blob.ClaudeAiOauth.AccessToken != c.AccessToken || blob.ClaudeAiOauth.ExpiresAt != c.ExpiresAt.UnixMilli() || blob.ClaudeAiOauth.SubscriptionType != "max" {
		t.Fatalf("blob %+v", blob.ClaudeAiOauth)
	}
	var acct map[string]any
	if err := json.Unmarshal(c.OAuthAccountJSON(), &acct); err != nil || acct["accountUuid"] != c.Identity.AccountUUID || acct["emailAddress"] != "a@example.com" {
		t.Fatalf("oauthAccount %v %v", acct, err)
	}
}

func TestHeadersScopesAndExpiry(t *testing.T) {
	h := newHarness(t)
	good := h.add(AccountSpec{Email: "good@example.com"})
	noScope := h.add(AccountSpec{Email: "inference-only@example.com", Scopes: []string{"user:inference"}})

	cases := []struct {
		name       string
		path       string
		token      string
		beta       bool
		wantStatus int
		wantType   string
	}{
		{"usage ok", UsagePath, good.AccessToken, true, 200, ""},
		{"profile ok", ProfilePath, good.AccessToken, true, 200, ""},
		{"missing beta header", UsagePath, good.AccessToken, false, 404, "not_found_error"},
		{"missing beta header on profile", ProfilePath, good.AccessToken, false, 404, "not_found_error"},
		{"no token", UsagePath, "", true, 401, "authentication_error"},
		{"unknown token", UsagePath, "sk-ant-oat01-nope", true, 401, "authentication_error"},
		{"refresh token used as bearer", UsagePath, good.RefreshToken, true, 401, "authentication_error"},
		{"missing scope", UsagePath, noScope.AccessToken, true, 403, "permission_error"},
		{"missing scope on profile", ProfilePath, noScope.AccessToken, true, 403, "permission_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := h.get(tc.path, tc.token, tc.beta)
			if a.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", a.status, tc.wantStatus, a.body)
			}
			if tc.wantType != "" {
				e, _ := a.json(t)["error"].(map[string]any)
				if e["type"] != tc.wantType {
					t.Fatalf("error type %v, want %s", e["type"], tc.wantType)
				}
			}
		})
	}

	h.clock.Advance(8*time.Hour - time.Second)
	if a := h.get(ProfilePath, good.AccessToken, true); a.status != 200 {
		t.Fatalf("token expired early: %d", a.status)
	}
	h.clock.Advance(time.Second)
	a := h.get(ProfilePath, good.AccessToken, true)
	if a.status != 401 || !strings.Contains(string(a.body), "expired") {
		t.Fatalf("expired token: %d %s", a.status, a.body)
	}
}

func TestUsageFollowsActivityAndResets(t *testing.T) {
	h := newHarness(t, WithRateLimit(0, 0), WithAccessTokenTTL(48*time.Hour))
	c := h.add(AccountSpec{Email: "busy@example.com", Windows: map[string]WindowSpec{
		FiveHour: {RatePerHour: 10},
		SevenDay: {Utilization: 50, ResetsIn: 30 * time.Hour, RatePerHour: 1},
	}})
	usage := func() map[string]any {
		a := h.get(UsagePath, c.AccessToken, true)
		if a.status != 200 {
			t.Fatalf("usage: %d %s", a.status, a.body)
		}
		return a.json(t)
	}

	// A simulated day, one hour at a time. The five-hour window opens with
	// the activity at t0, so it resets at t0+5h, t0+10h, ...
	for hour := 0; hour <= 24; hour++ {
		u := usage()
		util, resets := windowOf(t, u, FiveHour)
		sinceOpen := hour % 5
		if hour == 0 {
			if util != 0 || resets != nil {
				t.Fatalf("hour 0: %v %v", util, resets)
			}
		} else {
			if math.Abs(util-float64(sinceOpen*10)) > 1e-9 {
				t.Fatalf("hour %d: five_hour %v, want %d", hour, util, sinceOpen*10)
			}
			wantReset := t0.Add(time.Duration(hour-sinceOpen+5) * time.Hour)
			if resets == nil || !resets.Equal(wantReset) {
				t.Fatalf("hour %d: resets_at %v, want %v", hour, resets, wantReset)
			}
		}
		weekly, wreset := windowOf(t, u, SevenDay)
		want := 50 + float64(hour)
		if math.Abs(weekly-want) > 1e-9 || wreset == nil || !wreset.Equal(t0.Add(30*time.Hour)) {
			t.Fatalf("hour %d: seven_day %v %v", hour, weekly, wreset)
		}
		h.clock.Advance(time.Hour)
	}
	// Activity stops: after the next reset the window goes idle (null).
	if err := h.sim.SetActivity(c.Identity.AccountUUID, "", 0); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(5 * time.Hour)
	util, resets := windowOf(t, usage(), FiveHour)
	if util != 0 || resets != nil {
		t.Fatalf("idle window: %v %v", util, resets)
	}
	// The weekly window reached its reset at t0+30h and, idle, stays null.
	weekly, wreset := windowOf(t, usage(), SevenDay)
	if weekly != 0 || wreset != nil {
		t.Fatalf("weekly after reset: %v %v", weekly, wreset)
	}
}

func TestUtilizationIsCappedAt100(t *testing.T) {
	h := newHarness(t)
	c := h.add(AccountSpec{Email: "x@example.com", Windows: map[string]WindowSpec{FiveHour: {Utilization: 90, ResetsIn: 4 * time.Hour, RatePerHour: 60}}})
	h.clock.Advance(3 * time.Hour)
	util, _ := windowOf(t, h.get(UsagePath, c.AccessToken, true).json(t), FiveHour)
	if util != 100 {
		t.Fatalf("utilization %v", util)
	}
}

func TestUsageAnswerShape(t *testing.T) {
	h := newHarness(t)
	mx := h.add(AccountSpec{Email: "max@example.com", ExtraUsage: ExtraUsage{Enabled: true, MonthlyLimitCents: 2000, UsedCents: 500}})
	pro := h.add(AccountSpec{Email: "pro@example.com", SubscriptionType: "pro"})

	u := h.get(UsagePath, mx.AccessToken, true).json(t)
	for _, k := range []string{FiveHour, SevenDay, SevenDayOpus, SevenDaySonnet, SevenDayOAuthApps, "limits", "extra_usage", "iguana_necktie"} {
		if _, ok := u[k]; !ok {
			t.Errorf("answer lacks %q", k)
		}
	}
	if u[SevenDayOAuthApps] != nil {
		t.Errorf("oauth apps window should be null: %v", u[SevenDayOAuthApps])
	}
	extra := u["extra_usage"].(map[string]any)
	if extra["is_enabled"] != true || extra["utilization"] != 25.0 || extra["currency"] != "USD" {
		t.Errorf("extra_usage %v", extra)
	}
	if limits := u["limits"].([]any); len(limits) != 4 {
		t.Errorf("limits %v", limits)
	}

	p := h.get(UsagePath, pro.AccessToken, true).json(t)
	if p[SevenDayOpus] != nil {
		t.Errorf("pro has an opus window: %v", p[SevenDayOpus])
	}
	if e := p["extra_usage"].(map[string]any); e["is_enabled"] != false || e["monthly_limit"] != nil {
		t.Errorf("pro extra_usage %v", e)
	}
}

func TestProfile(t *testing.T) {
	h := newHarness(t)
	c := h.add(AccountSpec{Email: "grace@example.com", DisplayName: "Grace", OrganizationName: "Navy", SubscriptionType: "team"})
	p := h.get(ProfilePath, c.AccessToken, true).json(t)
	acc := p["account"].(map[string]any)
	org := p["organization"].(map[string]any)
	if acc["uuid"] != c.Identity.AccountUUID || acc["email"] != "grace@example.com" || acc["display_name"] != "Grace" {
		t.Fatalf("account %v", acc)
	}
	if org["uuid"] != c.Identity.OrganizationUUID || org["name"] != "Navy" || org["organization_type"] != "claude_team" {
		t.Fatalf("organization %v", org)
	}
}

func TestRefreshRotatesAndRejectsReuse(t *testing.T) {
	h := newHarness(t, WithAccessTokenTTL(time.Hour))
	c := h.add(AccountSpec{Email: "r@example.com"})
	h.clock.Advance(2 * time.Hour) // the first access token has expired

	a := h.refresh(c.RefreshToken)
	if a.status != 200 {
		t.Fatalf("refresh: %d %s", a.status, a.body)
	}
	m := a.json(t)
	newAccess, _ := m["access_token"].(string)
	newRefresh, _ := m["refresh_token"].(string)
	if !strings.HasPrefix(newAccess, "sk-ant-oat01-") || !strings.HasPrefix(newRefresh, "sk-ant-ort01-") || newRefresh == c.RefreshToken {
		t.Fatalf("refresh answer %v", m)
	}
	if m["expires_in"] != 3600.0 || m["scope"] != "user:inference user:profile user:sessions:claude_code" {
		t.Fatalf("expires_in %v scope %v", m["expires_in"], m["scope"])
	}
	if got := h.get(UsagePath, newAccess, true).status; got != 200 {
		t.Fatalf("new access token: %d", got)
	}

	// The old refresh token is single-use.
	a = h.refresh(c.RefreshToken)
	if a.status != 400 || a.json(t)["error"] != "invalid_grant" {
		t.Fatalf("reuse: %d %s", a.status, a.body)
	}
	// The rotated one works, once.
	if a = h.refresh(newRefresh); a.status != 200 {
		t.Fatalf("rotated token: %d %s", a.status, a.body)
	}
	third := a.json(t)["refresh_token"].(string)

	// Revoking the login kills refresh and access tokens alike.
	if err := h.sim.RevokeLogin(c.Identity.AccountUUID); err != nil {
		t.Fatal(err)
	}
	if a = h.refresh(third); a.status != 400 || a.json(t)["error"] != "invalid_grant" {
		t.Fatalf("revoked refresh: %d %s", a.status, a.body)
	}
	if got := h.get(UsagePath, newAccess, true).status; got != 401 {
		t.Fatalf("revoked access token: %d", got)
	}
	// A new login works again.
	fresh, err := h.sim.Login(c.Identity.AccountUUID)
	if err != nil {
		t.Fatal(err)
	}
	if a = h.refresh(fresh.RefreshToken); a.status != 200 {
		t.Fatalf("fresh login: %d", a.status)
	}
}

func TestRefreshWithoutRotationKeepsOldToken(t *testing.T) {
	h := newHarness(t)
	c := h.add(AccountSpec{Email: "r@example.com"})
	h.sim.SetRefreshRotation(false)
	for i := 0; i < 2; i++ {
		a := h.refresh(c.RefreshToken)
		if a.status != 200 {
			t.Fatalf("refresh %d: %d", i, a.status)
		}
		if _, has := a.json(t)["refresh_token"]; has {
			t.Fatal("answer carries a refresh token although rotation is off")
		}
	}
}

func TestTokenEndpointRejectsBadRequests(t *testing.T) {
	h := newHarness(t)
	c := h.add(AccountSpec{Email: "r@example.com"})
	post := func(contentType, body string) answer {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+TokenPath, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		return h.do(req)
	}
	cases := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"not json", "application/json", "{", 400, "invalid_request"},
		{"wrong grant", "application/json", `{"grant_type":"password","refresh_token":"x","client_id":"` + ClientID + `"}`, 400, "unsupported_grant_type"},
		{"wrong client", "application/json", `{"grant_type":"refresh_token","refresh_token":"` + c.RefreshToken + `","client_id":"someone-else"}`, 401, "invalid_client"},
		{"unknown token", "application/json", `{"grant_type":"refresh_token","refresh_token":"sk-ant-ort01-nope","client_id":"` + ClientID + `"}`, 400, "invalid_grant"},
		{"form encoded works", "application/x-www-form-urlencoded", "grant_type=refresh_token&client_id=" + ClientID + "&refresh_token=" + c.RefreshToken, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := post(tc.ct, tc.body)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if tc.code != "" && a.json(t)["error"] != tc.code {
				t.Fatalf("error %s", a.body)
			}
		})
	}
}

func TestRefreshTokenExpires(t *testing.T) {
	h := newHarness(t, WithRefreshTokenTTL(48*time.Hour))
	c := h.add(AccountSpec{Email: "r@example.com"})
	h.clock.Advance(48 * time.Hour)
	if a := h.refresh(c.RefreshToken); a.status != 400 || !strings.Contains(string(a.body), "expired") {
		t.Fatalf("expired login: %d %s", a.status, a.body)
	}
}

// The simulator's own Retry-After is exact: waiting less is refused again,
// waiting that long is let through.
func TestRateLimitHonoursItsOwnRetryAfter(t *testing.T) {
	h := newHarness(t, WithRateLimit(3, time.Minute))
	c := h.add(AccountSpec{Email: "rl@example.com"})
	other := h.add(AccountSpec{Email: "other@example.com"})
	for i := 0; i < 3; i++ {
		if a := h.get(UsagePath, c.AccessToken, true); a.status != 200 {
			t.Fatalf("request %d: %d", i, a.status)
		}
		h.clock.Advance(10 * time.Second)
	}
	a := h.get(UsagePath, c.AccessToken, true)
	if a.status != 429 {
		t.Fatalf("4th request: %d", a.status)
	}
	if e := a.json(t)["error"].(map[string]any); e["type"] != "rate_limit_error" {
		t.Fatalf("error %v", e)
	}
	secs, err := strconv.Atoi(a.header.Get("Retry-After"))
	if err != nil || secs != 30 { // first hit at t0, period 60 s, now t0+30 s
		t.Fatalf("Retry-After %q", a.header.Get("Retry-After"))
	}
	// The limit is per token: another account is unaffected, and so is
	// the profile endpoint.
	if got := h.get(UsagePath, other.AccessToken, true).status; got != 200 {
		t.Fatalf("other token: %d", got)
	}
	if got := h.get(ProfilePath, c.AccessToken, true).status; got != 200 {
		t.Fatalf("profile: %d", got)
	}

	h.clock.Advance(time.Duration(secs-1) * time.Second)
	a = h.get(UsagePath, c.AccessToken, true)
	if a.status != 429 || a.header.Get("Retry-After") != "1" {
		t.Fatalf("one second early: %d Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	h.clock.Advance(time.Second)
	if a = h.get(UsagePath, c.AccessToken, true); a.status != 200 {
		t.Fatalf("after waiting Retry-After: %d", a.status)
	}
}

func TestFaults(t *testing.T) {
	h := newHarness(t, WithRateLimit(0, 0))
	c := h.add(AccountSpec{Email: "f@example.com"})
	cases := []struct {
		name   string
		fault  Fault
		status int
		check  func(t *testing.T, a answer)
	}{
		{"server error default", Fault{Kind: FaultServerError}, 500, nil},
		{"overloaded", Fault{Kind: FaultServerError, Status: 529}, 529, func(t *testing.T, a answer) {
			if !strings.Contains(string(a.body), "overloaded_error") {
				t.Fatalf("body %s", a.body)
			}
		}},
		{"throttle retry-after 0", Fault{Kind: FaultThrottle, RetryAfter: "0"}, 429, func(t *testing.T, a answer) {
			if v, ok := a.header["Retry-After"]; !ok || v[0] != "0" {
				t.Fatalf("Retry-After %v", a.header["Retry-After"])
			}
		}},
		{"throttle without retry-after", Fault{Kind: FaultThrottle}, 429, func(t *testing.T, a answer) {
			if _, ok := a.header["Retry-After"]; ok {
				t.Fatal("Retry-After present")
			}
		}},
		{"malformed json", Fault{Kind: FaultMalformedJSON}, 200, func(t *testing.T, a answer) {
			if json.Valid(a.body) || len(a.body) == 0 {
				t.Fatalf("body is valid JSON or empty: %s", a.body)
			}
		}},
		{"wrong shape", Fault{Kind: FaultWrongShape}, 200, func(t *testing.T, a answer) {
			if !json.Valid(a.body) || !strings.Contains(string(a.body), `"five_hour":"nearly full"`) {
				t.Fatalf("body %s", a.body)
			}
		}},
		{"huge body", Fault{Kind: FaultHugeBody, Size: 3 << 20}, 200, func(t *testing.T, a answer) {
			if len(a.body) != 3<<20 || !json.Valid(a.body) {
				t.Fatalf("body of %d bytes, valid %v", len(a.body), json.Valid(a.body))
			}
		}},
		{"slow body", Fault{Kind: FaultSlowBody, Delay: time.Millisecond}, 200, func(t *testing.T, a answer) {
			if !json.Valid(a.body) || !strings.Contains(string(a.body), "five_hour") {
				t.Fatalf("slow body %s", a.body)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fault
			f.Endpoint, f.Times = EndpointUsage, 1
			if err := h.sim.SetFault(f); err != nil {
				t.Fatal(err)
			}
			a := h.get(UsagePath, c.AccessToken, true)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d", a.status, tc.status)
			}
			if tc.check != nil {
				tc.check(t, a)
			}
			// Times: 1 — the next request is normal again.
			if a := h.get(UsagePath, c.AccessToken, true); a.status != 200 || !json.Valid(a.body) {
				t.Fatalf("after the fault: %d", a.status)
			}
		})
	}
}

func TestFaultFilters(t *testing.T) {
	h := newHarness(t, WithRateLimit(0, 0))
	a := h.add(AccountSpec{Email: "a@example.com"})
	b := h.add(AccountSpec{Email: "b@example.com"})
	if err := h.sim.SetFault(Fault{Kind: FaultServerError, Status: 503, Account: a.Identity.AccountUUID, Endpoint: EndpointUsage}); err != nil {
		t.Fatal(err)
	}
	if got := h.get(UsagePath, a.AccessToken, true).status; got != 503 {
		t.Fatalf("account a usage: %d", got)
	}
	if got := h.get(UsagePath, a.AccessToken, true).status; got != 503 {
		t.Fatalf("Times 0 should persist: %d", got)
	}
	if got := h.get(ProfilePath, a.AccessToken, true).status; got != 200 {
		t.Fatalf("account a profile: %d", got)
	}
	if got := h.get(UsagePath, b.AccessToken, true).status; got != 200 {
		t.Fatalf("account b usage: %d", got)
	}
	// Token endpoint faults are attributed through the refresh token.
	if err := h.sim.SetFault(Fault{Kind: FaultServerError, Account: b.Identity.AccountUUID, Endpoint: EndpointToken}); err != nil {
		t.Fatal(err)
	}
	if got := h.refresh(b.RefreshToken).status; got != 500 {
		t.Fatalf("b refresh: %d", got)
	}
	if got := h.refresh(a.RefreshToken).status; got != 200 {
		t.Fatalf("a refresh: %d", got)
	}
	h.sim.ClearFaults()
	if got := h.get(UsagePath, a.AccessToken, true).status; got != 200 {
		t.Fatalf("after clear: %d", got)
	}
	for _, bad := range []Fault{{Kind: "melt"}, {Kind: FaultThrottle, Endpoint: "nowhere"}, {Kind: FaultServerError, Status: 200}} {
		if err := h.sim.SetFault(bad); err == nil {
			t.Errorf("fault %+v accepted", bad)
		}
	}
}

func TestHangReleasesWhenClientGivesUp(t *testing.T) {
	h := newHarness(t)
	c := h.add(AccountSpec{Email: "h@example.com"})
	if err := h.sim.SetFault(Fault{Kind: FaultHang, Endpoint: EndpointUsage, Times: 1}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+UsagePath, nil)
	req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	req.Header.Set("anthropic-beta", BetaHeader)
	_, err := h.srv.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	// The handler must have returned (httptest.Server.Close would block
	// otherwise) and the next request is served normally.
	if a := h.get(UsagePath, c.AccessToken, true); a.status != 200 {
		t.Fatalf("after hang: %d", a.status)
	}
}

func TestRequestLog(t *testing.T) {
	h := newHarness(t, WithRateLimit(1, time.Hour))
	a := h.add(AccountSpec{Email: "a@example.com"})
	b := h.add(AccountSpec{Email: "b@example.com"})
	h.get(UsagePath, a.AccessToken, true)
	h.get(UsagePath, a.AccessToken, true) // 429
	h.get(ProfilePath, b.AccessToken, true)
	h.get(UsagePath, "sk-ant-oat01-unknown", true)
	h.refresh(b.RefreshToken)
	h.get("/repos/"+h.sim.cfg.releasesRepo+"/releases", "", false)
	h.get("/_sim/log", "", false) // control traffic is not logged

	l := h.sim.Log()
	if l.Total != 6 || len(l.Requests) != 6 {
		t.Fatalf("total %d entries %d", l.Total, len(l.Requests))
	}
	if l.ByEndpoint[EndpointUsage] != 3 || l.ByEndpoint[EndpointProfile] != 1 || l.ByEndpoint[EndpointToken] != 1 || l.ByEndpoint[EndpointReleases] != 1 {
		t.Fatalf("by endpoint %v", l.ByEndpoint)
	}
	if l.ByAccount[a.Identity.AccountUUID] != 2 || l.ByAccount[b.Identity.AccountUUID] != 2 {
		t.Fatalf("by account %v", l.ByAccount)
	}
	if l.ByStatus[429] != 1 || l.ByStatus[401] != 1 || l.Count(EndpointUsage, 200) != 1 {
		t.Fatalf("by status %v", l.ByStatus)
	}
	if l.Requests[0].Path != UsagePath || !l.Requests[0].At.Equal(t0) {
		t.Fatalf("first entry %+v", l.Requests[0])
	}
	h.sim.ResetLog()
	if l := h.sim.Log(); l.Total != 0 || len(l.ByEndpoint) != 0 {
		t.Fatalf("after reset %+v", l)
	}
}

func TestReleasesETag(t *testing.T) {
	h := newHarness(t, WithReleasesRepo("acme/tool"))
	a := h.get("/repos/acme/tool/releases", "", false)
	if a.status != 200 {
		t.Fatalf("status %d", a.status)
	}
	var list []map[string]any
	if err := json.Unmarshal(a.body, &list); err != nil || len(list) != 4 {
		t.Fatalf("list %v %v", list, err)
	}
	var draft, pre int
	for _, r := range list {
		if r["draft"] == true {
			draft++
			if r["published_at"] != nil {
				t.Error("a draft has published_at")
			}
		}
		if r["prerelease"] == true {
			pre++
		}
	}
	if draft != 1 || pre != 1 {
		t.Fatalf("drafts %d prereleases %d", draft, pre)
	}
	etag := a.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/repos/acme/tool/releases", nil)
	req.Header.Set("If-None-Match", etag)
	if b := h.do(req); b.status != 304 || len(b.body) != 0 {
		t.Fatalf("conditional: %d %q", b.status, b.body)
	}
	h.sim.SetReleases([]Release{{Tag: "v2.0.0", PublishedAt: t0}})
	c := h.do(req)
	if c.status != 200 || c.header.Get("ETag") == etag {
		t.Fatalf("changed list: %d etag %q", c.status, c.header.Get("ETag"))
	}
	if got := h.get("/repos/someone/else/releases", "", false).status; got != 404 {
		t.Fatalf("other repo: %d", got)
	}
}

func TestAdminAPI(t *testing.T) {
	h := newHarness(t, WithRateLimit(0, 0))
	post := func(path, body string) answer {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(body))
		return h.do(req)
	}
	a := post("/_sim/accounts", `{"email":"admin@example.com","subscription_type":"pro"}`)
	if a.status != 200 {
		t.Fatalf("add: %d %s", a.status, a.body)
	}
	var creds credentialsAnswer
	if err := json.Unmarshal(a.body, &creds); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(creds.AccessToken, "sk-ant-oat01-") || !bytes.Contains(creds.ClaudeCodeJSON, []byte(`"subscriptionType":"pro"`)) {
		t.Fatalf("credentials %s", a.body)
	}
	id := creds.Identity.AccountUUID
	if a := post("/_sim/accounts/"+id+"/usage", `{"window":"five_hour","utilization":42.5,"rate_per_hour":60}`); a.status != 204 {
		t.Fatalf("usage: %d %s", a.status, a.body)
	}
	if a := post("/_sim/advance?by=30m", ""); a.status != 200 {
		t.Fatalf("advance: %d %s", a.status, a.body)
	}
	util, _ := windowOf(t, h.get(UsagePath, creds.AccessToken, true).json(t), FiveHour)
	if util != 72.5 {
		t.Fatalf("utilization %v", util)
	}
	if a := post("/_sim/faults", `{"kind":"hang","endpoint":"usage","delay":"1ms","times":1}`); a.status != 204 {
		t.Fatalf("fault: %d %s", a.status, a.body)
	}
	if got := h.get(UsagePath, creds.AccessToken, true).status; got != 504 {
		t.Fatalf("hang with 1ms delay: %d", got)
	}
	if a := post("/_sim/accounts/"+id+"/expire", ""); a.status != 204 {
		t.Fatalf("expire: %d", a.status)
	}
	if got := h.get(UsagePath, creds.AccessToken, true).status; got != 401 {
		t.Fatalf("after expire: %d", got)
	}
	if a := post("/_sim/accounts/nope/revoke", ""); a.status != 404 {
		t.Fatalf("unknown account: %d", a.status)
	}
	if a := post("/_sim/faults", `{"kind":"explode"}`); a.status != 400 {
		t.Fatalf("bad fault: %d", a.status)
	}
	var states []AccountState
	if err := json.Unmarshal(h.get("/_sim/accounts", "", false).body, &states); err != nil || len(states) != 1 || states[0].Identity.Email != "admin@example.com" {
		t.Fatalf("accounts %v %v", states, err)
	}
	if bytes.Contains(h.get("/_sim/accounts", "", false).body, []byte("sk-ant-")) {
		t.Fatal("account listing shows tokens")
	}
}

func TestAdminAdvanceNeedsFakeClock(t *testing.T) {
	s := New(clock.Real{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/_sim/advance?by=1h", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("status %d", resp.StatusCode)
	}
	off := New(clock.Real{}, WithoutAdminAPI())
	srv2 := httptest.NewServer(off)
	defer srv2.Close()
	resp, err = srv2.Client().Get(srv2.URL + "/_sim/accounts")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("admin API without admin: %d", resp.StatusCode)
	}
}

func TestDemoMovesWithinMinutes(t *testing.T) {
	clk := clock.NewFake(t0)
	s, creds := Demo(clk)
	if len(creds) != 4 {
		t.Fatalf("%d demo accounts", len(creds))
	}
	before := s.Accounts()
	clk.Advance(10 * time.Minute)
	after := s.Accounts()
	for i, name := range []string{"ada@example.com", "grace@example.com"} {
		b, a := before[i].Windows[FiveHour].Utilization, after[i].Windows[FiveHour].Utilization
		if before[i].Identity.Email != name || a-b < 5 {
			t.Errorf("%s moved %.1f -> %.1f in ten minutes", name, b, a)
		}
	}
	if g := after[1].Windows[FiveHour].Utilization; g < 93 || g > 100 {
		t.Errorf("grace should be near her limit after ten minutes: %.1f", g)
	}
	clk.Advance(16 * time.Minute)
	if g := s.Accounts()[1].Windows[FiveHour]; g.Utilization > 10 || g.ResetsAt == nil {
		t.Errorf("grace's five-hour window should have reset and reopened: %+v", g)
	}
	if creds[2].SubscriptionType != "pro" || creds[3].SubscriptionType != "team" {
		t.Errorf("subscriptions %q %q", creds[2].SubscriptionType, creds[3].SubscriptionType)
	}
	if !creds[0].ExpiresAt.Equal(t0.Add(20 * time.Minute)) {
		t.Errorf("demo access token expiry %v", creds[0].ExpiresAt)
	}
}

func TestListenAndServe(t *testing.T) {
	s := New(clock.Real{})
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "nonsense"} {
		if err := ListenAndServe(context.Background(), addr, s, nil); err == nil {
			t.Fatalf("%s accepted", addr)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- ListenAndServe(ctx, "127.0.0.1:0", s, func(u string) { urls <- u }) }()
	base := <-urls
	resp, err := http.Get(base + "/repos/" + s.cfg.releasesRepo + "/releases")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestAdminErrors(t *testing.T) {
	h := newHarness(t)
	if _, err := h.sim.AddAccount(AccountSpec{}); err == nil {
		t.Error("account without email accepted")
	}
	if _, err := h.sim.AddAccount(AccountSpec{Email: "x@example.com", SubscriptionType: "platinum"}); err == nil {
		t.Error("unknown subscription accepted")
	}
	if _, err := h.sim.AddAccount(AccountSpec{Email: "x@example.com", Windows: map[string]WindowSpec{"ten_minutes": {}}}); err == nil {
		t.Error("unknown window accepted")
	}
	c := h.add(AccountSpec{Email: "x@example.com", AccountUUID: "fixed"})
	if _, err := h.sim.AddAccount(AccountSpec{Email: "y@example.com", AccountUUID: "fixed"}); err == nil {
		t.Error("duplicate uuid accepted")
	}
	if err := h.sim.SetUsage(c.Identity.AccountUUID, "ten_minutes", 1, nil); err == nil {
		t.Error("unknown window accepted by SetUsage")
	}
	for _, err := range []error{
		h.sim.SetUsage("nope", FiveHour, 1, nil),
		h.sim.SetActivity("nope", "", 1),
		h.sim.RevokeLogin("nope"),
		h.sim.ExpireAccessTokens("nope"),
	} {
		if !errors.Is(err, ErrUnknownAccount) {
			t.Errorf("err = %v", err)
		}
	}
	if _, err := h.sim.Login("nope"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("login err = %v", err)
	}
}

// A usage request through the whole simulator (auth, rate limit, window
// model, JSON) over loopback HTTP.
func BenchmarkUsageRequest(b *testing.B) {
	clk := clock.NewFake(t0)
	s := New(clk, WithRateLimit(0, 0), WithAccessTokenTTL(100*365*24*time.Hour))
	srv := httptest.NewServer(s)
	defer srv.Close()
	c, _ := s.AddAccount(AccountSpec{Email: "bench@example.com", Windows: map[string]WindowSpec{FiveHour: {RatePerHour: 10}}})
	client := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		clk.Advance(time.Second)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+UsagePath, nil)
		req.Header.Set("Authorization", "Bearer "+c.AccessToken)
		req.Header.Set("anthropic-beta", BetaHeader)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
}
