package anthropic_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/egress"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type env struct {
	clock  *clock.Fake
	sim    *sim.Server
	srv    *httptest.Server
	client *anthropic.Client
}

// newEnv runs the simulator on loopback and a client that reaches it only
// through the egress allowlist, exactly as the app would with
// AIMONITOR_API_BASE / AIMONITOR_TOKEN_URL pointing at it.
func newEnv(t *testing.T, simOpts []sim.Option, clientOpts ...anthropic.Option) *env {
	t.Helper()
	clk := clock.NewFake(t0)
	s := sim.New(clk, simOpts...)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	policy, err := egress.PolicyFromOverrides(srv.URL, srv.URL+sim.TokenPath, "")
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]anthropic.Option{anthropic.WithBaseURL(srv.URL), anthropic.WithTokenURL(srv.URL + sim.TokenPath)}, clientOpts...)
	c, err := anthropic.New(egress.NewClient(policy), clk, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &env{clock: clk, sim: s, srv: srv, client: c}
}

func (e *env) add(t *testing.T, spec sim.AccountSpec) sim.Credentials {
	t.Helper()
	c, err := e.sim.AddAccount(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noTokenIn fails if any token of creds appears in s.
func noTokenIn(t *testing.T, s string, creds ...sim.Credentials) {
	t.Helper()
	if strings.Contains(s, "sk-ant-") {
		t.Fatalf("token material in %q", s)
	}
	for _, c := range creds {
		for _, tok := range []string{c.AccessToken, c.RefreshToken} {
			// The random part alone, in case a prefix was stripped.
			if strings.Contains(s, tok[13:40]) {
				t.Fatalf("token material in %q", s)
			}
		}
	}
}

func TestUsageAgainstSimulator(t *testing.T) {
	e := newEnv(t, nil)
	creds := e.add(t, sim.AccountSpec{
		Email: "ada@example.com",
		Windows: map[string]sim.WindowSpec{
			sim.FiveHour:     {Utilization: 12.5, ResetsIn: 3 * time.Hour, RatePerHour: 6},
			sim.SevenDay:     {Utilization: 40, ResetsIn: 50 * time.Hour},
			sim.SevenDayOpus: {Utilization: 3},
		},
		ExtraUsage: sim.ExtraUsage{Enabled: true, MonthlyLimitCents: 4000, UsedCents: 1000, Currency: "EUR"},
	})
	e.clock.Advance(30 * time.Minute)
	u, err := e.client.Usage(context.Background(), []byte(creds.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	if u.FiveHour == nil || u.FiveHour.Utilization != 15.5 || u.FiveHour.ResetsAt == nil || !u.FiveHour.ResetsAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("five_hour %+v", u.FiveHour)
	}
	if u.SevenDay == nil || u.SevenDay.Utilization != 40 || !u.SevenDay.ResetsAt.Equal(t0.Add(50*time.Hour)) {
		t.Fatalf("seven_day %+v", u.SevenDay)
	}
	if u.SevenDayOpus == nil || u.SevenDayOpus.Utilization != 3 || u.SevenDayOpus.ResetsAt != nil {
		t.Fatalf("seven_day_opus %+v (an idle window has no reset time)", u.SevenDayOpus)
	}
	if u.SevenDayOAuthApps != nil {
		t.Fatalf("seven_day_oauth_apps %+v, want nil for null", u.SevenDayOAuthApps)
	}
	if u.ExtraUsage == nil || !u.ExtraUsage.IsEnabled || *u.ExtraUsage.Utilization != 25 || *u.ExtraUsage.MonthlyLimit != 4000 || u.ExtraUsage.Currency != "EUR" {
		t.Fatalf("extra_usage %+v", u.ExtraUsage)
	}
	if len(u.Limits) != 4 || u.Limits[0].Kind != "five_hour" || *u.Limits[0].Percent != 15.5 || !u.Limits[0].IsActive {
		t.Fatalf("limits %+v", u.Limits)
	}
	if len(u.OtherWindows) != 0 {
		t.Fatalf("unknown members mistaken for windows: %v", u.OtherWindows)
	}
}

func TestProfileAgainstSimulator(t *testing.T) {
	e := newEnv(t, nil)
	creds := e.add(t, sim.AccountSpec{Email: "grace@example.com", DisplayName: "Grace", OrganizationName: "Navy", SubscriptionType: "pro"})
	p, err := e.client.Profile(context.Background(), []byte(creds.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	want := anthropic.Profile{
		Account: anthropic.Account{UUID: creds.Identity.AccountUUID, Email: "grace@example.com", DisplayName: "Grace", FullName: "Grace"},
		Organization: anthropic.Organization{UUID: creds.Identity.OrganizationUUID, Name: "Navy", Type: "claude_pro",
			BillingType: "stripe_subscription", RateLimitTier: "default_claude_pro"},
	}
	if *p != want {
		t.Fatalf("profile\n got %+v\nwant %+v", *p, want)
	}
	if p.Organization.SubscriptionType() != "pro" {
		t.Fatalf("subscription type %q", p.Organization.SubscriptionType())
	}
}

func TestRefreshAgainstSimulator(t *testing.T) {
	e := newEnv(t, []sim.Option{sim.WithAccessTokenTTL(time.Hour)})
	creds := e.add(t, sim.AccountSpec{Email: "r@example.com"})
	ctx := context.Background()
	e.clock.Advance(2 * time.Hour)

	if _, err := e.client.Usage(ctx, []byte(creds.AccessToken)); !errors.Is(err, anthropic.ErrUnauthorized) {
		t.Fatalf("expired access token: %v", err)
	}
	sent := []byte(creds.RefreshToken)
	tok, err := e.client.Refresh(ctx, sent)
	if err != nil {
		t.Fatal(err)
	}
	if string(sent) != creds.RefreshToken {
		t.Fatal("Refresh modified the caller's refresh token")
	}
	if !tok.Rotated || string(tok.RefreshToken) == creds.RefreshToken || !strings.HasPrefix(string(tok.RefreshToken), "sk-ant-ort01-") {
		t.Fatalf("refresh token not rotated: %v", tok)
	}
	if !tok.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("expires %v", tok.ExpiresAt)
	}
	if strings.Join(tok.Scopes, " ") != "user:inference user:profile user:sessions:claude_code" {
		t.Fatalf("scopes %v", tok.Scopes)
	}
	if tok.AccountUUID != creds.Identity.AccountUUID || tok.AccountEmail != "r@example.com" || tok.OrganizationUUID != creds.Identity.OrganizationUUID {
		t.Fatalf("identity %+v", tok)
	}
	if _, err := e.client.Usage(ctx, tok.AccessToken); err != nil {
		t.Fatalf("new access token: %v", err)
	}

	// Reusing the old refresh token: the login is dead as far as that token goes.
	_, err = e.client.Refresh(ctx, []byte(creds.RefreshToken))
	var ae *anthropic.Error
	if !errors.As(err, &ae) || ae.Kind != anthropic.ErrRefreshDead || ae.Status != 400 || ae.ErrorType != "invalid_grant" {
		t.Fatalf("reuse: %v", err)
	}
	noTokenIn(t, err.Error(), creds)

	// Without rotation the old refresh token is kept (a copy).
	e.sim.SetRefreshRotation(false)
	again, err := e.client.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if again.Rotated || string(again.RefreshToken) != string(tok.RefreshToken) {
		t.Fatalf("kept token differs or claims rotation: %v", again)
	}
	again.RefreshToken[0] ^= 1
	if string(again.RefreshToken) == string(tok.RefreshToken) {
		t.Fatal("the kept refresh token aliases the caller's slice")
	}

	tok.Zero()
	for _, b := range append(tok.AccessToken, tok.RefreshToken...) {
		if b != 0 {
			t.Fatal("Zero left token bytes")
		}
	}
}

func TestTokensNeverPrinted(t *testing.T) {
	tok := anthropic.Tokens{AccessToken: []byte("sk-ant-oat01-secret"), RefreshToken: []byte("sk-ant-ort01-secret"), ExpiresAt: t0}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprintf("%v", &tok)} {
		if strings.Contains(s, "secret") || strings.Contains(s, "115 107") {
			t.Fatalf("tokens printed: %s", s)
		}
	}
}

// Every error class, produced by the simulator.
func TestErrorClasses(t *testing.T) {
	type call func(e *env, c sim.Credentials) error
	usage := func(e *env, c sim.Credentials) error {
		_, err := e.client.Usage(context.Background(), []byte(c.AccessToken))
		return err
	}
	profile := func(e *env, c sim.Credentials) error {
		_, err := e.client.Profile(context.Background(), []byte(c.AccessToken))
		return err
	}
	refresh := func(e *env, c sim.Credentials) error {
		_, err := e.client.Refresh(context.Background(), []byte(c.RefreshToken))
		return err
	}
	cases := []struct {
		name     string
		setup    func(e *env, c sim.Credentials)
		spec     sim.AccountSpec
		call     call
		kind     error
		status   int
		retry    time.Duration // expected RetryAfter for throttles
		contains string
	}{
		{name: "expired access token", call: usage, kind: anthropic.ErrUnauthorized, status: 401,
			setup: func(e *env, c sim.Credentials) { e.sim.ExpireAccessTokens(c.Identity.AccountUUID) }},
		{name: "revoked login on profile", call: profile, kind: anthropic.ErrUnauthorized, status: 401,
			setup: func(e *env, c sim.Credentials) { e.sim.RevokeLogin(c.Identity.AccountUUID) }},
		{name: "missing scope", call: usage, kind: anthropic.ErrMissingScope, status: 403, contains: "log in again",
			spec: sim.AccountSpec{Scopes: []string{"user:inference"}}},
		{name: "throttled with retry-after 0", call: usage, kind: anthropic.ErrThrottled, status: 429, retry: anthropic.MinRetryAfter,
			setup: fault(sim.Fault{Kind: sim.FaultThrottle, RetryAfter: "0"})},
		{name: "throttled without retry-after", call: usage, kind: anthropic.ErrThrottled, status: 429, retry: anthropic.MinRetryAfter, contains: "retry in 1m0s",
			setup: fault(sim.Fault{Kind: sim.FaultThrottle})},
		{name: "throttled 300 s", call: usage, kind: anthropic.ErrThrottled, status: 429, retry: 300 * time.Second,
			setup: fault(sim.Fault{Kind: sim.FaultThrottle, RetryAfter: "300"})},
		{name: "throttled http-date", call: usage, kind: anthropic.ErrThrottled, status: 429, retry: 10 * time.Minute,
			setup: fault(sim.Fault{Kind: sim.FaultThrottle, RetryAfter: t0.Add(10 * time.Minute).Format(http.TimeFormat)})},
		{name: "simulator rate limit", call: usage, kind: anthropic.ErrThrottled, status: 429, retry: anthropic.MinRetryAfter,
			setup: func(e *env, c sim.Credentials) {
				for i := 0; i < 5; i++ {
					usage(e, c)
				}
			}},
		{name: "server error", call: usage, kind: anthropic.ErrServer, status: 503,
			setup: fault(sim.Fault{Kind: sim.FaultServerError, Status: 503})},
		{name: "server error on refresh", call: refresh, kind: anthropic.ErrServer, status: 500,
			setup: fault(sim.Fault{Kind: sim.FaultServerError})},
		{name: "throttled refresh", call: refresh, kind: anthropic.ErrThrottled, status: 429, retry: 90 * time.Second,
			setup: fault(sim.Fault{Kind: sim.FaultThrottle, RetryAfter: "90"})},
		{name: "malformed json", call: usage, kind: anthropic.ErrMalformed, status: 0, contains: "cannot read",
			setup: fault(sim.Fault{Kind: sim.FaultMalformedJSON})},
		{name: "wrong shape", call: usage, kind: anthropic.ErrMalformed, contains: "five_hour",
			setup: fault(sim.Fault{Kind: sim.FaultWrongShape})},
		{name: "wrong shape profile", call: profile, kind: anthropic.ErrMalformed,
			setup: fault(sim.Fault{Kind: sim.FaultWrongShape})},
		{name: "wrong shape refresh", call: refresh, kind: anthropic.ErrMalformed, contains: "access_token",
			setup: fault(sim.Fault{Kind: sim.FaultWrongShape})},
		{name: "malformed refresh", call: refresh, kind: anthropic.ErrMalformed,
			setup: fault(sim.Fault{Kind: sim.FaultMalformedJSON})},
		{name: "huge body", call: usage, kind: anthropic.ErrMalformed, contains: "larger than 1024 KiB",
			setup: fault(sim.Fault{Kind: sim.FaultHugeBody})},
		{name: "refresh token reused", call: refresh, kind: anthropic.ErrRefreshDead, status: 400, contains: "invalid_grant",
			setup: func(e *env, c sim.Credentials) { refresh(e, c) }},
		{name: "refresh after revoke", call: refresh, kind: anthropic.ErrRefreshDead, status: 400,
			setup: func(e *env, c sim.Credentials) { e.sim.RevokeLogin(c.Identity.AccountUUID) }},
		{name: "hang", call: usage, kind: anthropic.ErrNetwork, contains: ": no answer within 0.",
			setup: fault(sim.Fault{Kind: sim.FaultHang, Delay: 10 * time.Second})},
		{name: "slow body past the deadline", call: usage, kind: anthropic.ErrNetwork, contains: " broke off: it did not finish within 0.",
			setup: fault(sim.Fault{Kind: sim.FaultSlowBody, Delay: 50 * time.Millisecond})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, anthropic.WithTimeout(300*time.Millisecond))
			spec := tc.spec
			spec.Email = "err@example.com"
			c := e.add(t, spec)
			if tc.setup != nil {
				tc.setup(e, c)
			}
			err := tc.call(e, c)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %q is not %v", err, tc.kind)
			}
			var ae *anthropic.Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %T is not *anthropic.Error", err)
			}
			if tc.status != 0 && ae.Status != tc.status {
				t.Fatalf("status %d, want %d", ae.Status, tc.status)
			}
			if tc.retry != 0 && ae.RetryAfter != tc.retry {
				t.Fatalf("RetryAfter %v, want %v", ae.RetryAfter, tc.retry)
			}
			if tc.contains != "" && !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("error %q lacks %q", err, tc.contains)
			}
			noTokenIn(t, err.Error(), c)
			noTokenIn(t, fmt.Sprintf("%+v", err), c)
		})
	}
}

func fault(f sim.Fault) func(e *env, c sim.Credentials) {
	return func(e *env, c sim.Credentials) {
		if err := e.sim.SetFault(f); err != nil {
			panic(err)
		}
	}
}

// A malformed or 5xx usage answer gives a clear error, no panic, and the
// next good answer is used normally.
func TestRecoversAfterBadAnswers(t *testing.T) {
	e := newEnv(t, []sim.Option{sim.WithRateLimit(0, 0)})
	c := e.add(t, sim.AccountSpec{Email: "ok@example.com", Windows: map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 33, ResetsIn: time.Hour}}})
	ctx := context.Background()
	for _, f := range []sim.Fault{
		{Kind: sim.FaultMalformedJSON},
		{Kind: sim.FaultServerError, Status: 502},
		{Kind: sim.FaultWrongShape},
		{Kind: sim.FaultHugeBody},
		{Kind: sim.FaultServerError, Status: 529},
	} {
		f.Endpoint, f.Times = sim.EndpointUsage, 1
		if err := e.sim.SetFault(f); err != nil {
			t.Fatal(err)
		}
		u, err := e.client.Usage(ctx, []byte(c.AccessToken))
		if err == nil || u != nil {
			t.Fatalf("%s: got %+v, %v", f.Kind, u, err)
		}
		if !errors.Is(err, anthropic.ErrMalformed) && !errors.Is(err, anthropic.ErrServer) {
			t.Fatalf("%s: unclear error %v", f.Kind, err)
		}
		u, err = e.client.Usage(ctx, []byte(c.AccessToken))
		if err != nil {
			t.Fatalf("after %s: %v", f.Kind, err)
		}
		if u.FiveHour == nil || u.FiveHour.Utilization != 33 {
			t.Fatalf("after %s: %+v", f.Kind, u.FiveHour)
		}
	}
}

// headerRecorder wraps the simulator to see what the client sends.
type headerRecorder struct {
	mu   sync.Mutex
	seen []http.Header
	next http.Handler
}

func (h *headerRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen = append(h.seen, r.Header.Clone())
	h.mu.Unlock()
	h.next.ServeHTTP(w, r)
}

func TestRequestHeaders(t *testing.T) {
	clk := clock.NewFake(t0)
	s := sim.New(clk)
	rec := &headerRecorder{next: s}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c, err := anthropic.New(srv.Client(), clk, anthropic.WithBaseURL(srv.URL+"/"), anthropic.WithTokenURL(srv.URL+sim.TokenPath))
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := s.AddAccount(sim.AccountSpec{Email: "h@example.com"})
	ctx := context.Background()
	if _, err := c.Usage(ctx, []byte(creds.AccessToken)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Profile(ctx, []byte(creds.AccessToken)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(ctx, []byte(creds.RefreshToken)); err != nil {
		t.Fatal(err)
	}
	if len(rec.seen) != 3 {
		t.Fatalf("%d requests", len(rec.seen))
	}
	for i, h := range rec.seen {
		if h.Get("User-Agent") != buildinfo.UserAgent() || !strings.HasPrefix(h.Get("User-Agent"), "aimonitor/") {
			t.Errorf("request %d User-Agent %q", i, h.Get("User-Agent"))
		}
		if h.Get("Accept") != "application/json" {
			t.Errorf("request %d Accept %q", i, h.Get("Accept"))
		}
	}
	for _, h := range rec.seen[:2] {
		if h.Get("anthropic-beta") != anthropic.BetaHeader || h.Get("Authorization") != "Bearer "+creds.AccessToken {
			t.Errorf("API headers %v", h)
		}
	}
	if rec.seen[2].Get("Authorization") != "" || rec.seen[2].Get("Content-Type") != "application/json" {
		t.Errorf("token request headers %v", rec.seen[2])
	}
}

type lookupRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (r *lookupRecorder) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts = append(r.hosts, host)
	return nil, errors.New("lookups are not allowed in this test")
}

// AIMONITOR_API_BASE=https://exfil.invalid is refused up front, and even a
// client built around the check never looks the host up.
func TestExfilOverrideFailsBeforeDNS(t *testing.T) {
	_, err := egress.PolicyFromOverrides("https://exfil.invalid", "", "")
	if err == nil || !errors.Is(err, egress.ErrNotAllowed) ||
		!strings.Contains(err.Error(), `host "exfil.invalid" is not allowed`) {
		t.Fatalf("policy error = %v", err)
	}

	rec := &lookupRecorder{}
	dialed := false
	hc := egress.NewClient(egress.DefaultPolicy(), egress.WithResolver(rec), egress.WithDialFunc(func(context.Context, string, string) (net.Conn, error) {
		dialed = true
		return nil, errors.New("no dialing")
	}))
	c, err := anthropic.New(hc, clock.NewFake(t0), anthropic.WithBaseURL("https://exfil.invalid"), anthropic.WithTokenURL("https://exfil.invalid/token"))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("sk-ant-oat01-must-not-leave")
	_, err = c.Usage(context.Background(), secret)
	if !errors.Is(err, egress.ErrNotAllowed) || !errors.Is(err, anthropic.ErrNetwork) {
		t.Fatalf("usage error = %v", err)
	}
	if !strings.Contains(err.Error(), `host "exfil.invalid" is not allowed`) {
		t.Fatalf("error %q does not say the host is not allowed", err)
	}
	_, err = c.Refresh(context.Background(), []byte("sk-ant-ort01-must-not-leave"))
	if !errors.Is(err, egress.ErrNotAllowed) {
		t.Fatalf("refresh error = %v", err)
	}
	if len(rec.hosts) != 0 || dialed {
		t.Fatalf("refused host reached DNS (%v) or a socket (%v)", rec.hosts, dialed)
	}
	if strings.Contains(err.Error(), "must-not-leave") {
		t.Fatalf("token in error: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	clk := clock.NewFake(t0)
	hc := egress.NewClient(egress.DefaultPolicy())
	if _, err := anthropic.New(nil, clk); err == nil {
		t.Error("nil HTTP client accepted")
	}
	if _, err := anthropic.New(hc, nil); err == nil {
		t.Error("nil clock accepted")
	}
	for _, u := range []string{"", "ftp://x", "api.anthropic.com", "http://"} {
		if _, err := anthropic.New(hc, clk, anthropic.WithBaseURL(u)); err == nil {
			t.Errorf("base URL %q accepted", u)
		}
		if _, err := anthropic.New(hc, clk, anthropic.WithTokenURL(u)); err == nil {
			t.Errorf("token URL %q accepted", u)
		}
	}
	c, err := anthropic.New(hc, clk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Usage(context.Background(), nil); !errors.Is(err, anthropic.ErrUnauthorized) {
		t.Errorf("empty access token: %v", err)
	}
	if _, err := c.Refresh(context.Background(), nil); !errors.Is(err, anthropic.ErrRefreshDead) {
		t.Errorf("empty refresh token: %v", err)
	}
}
