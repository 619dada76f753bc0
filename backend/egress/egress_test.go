package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder is a Resolver and DialFunc that remembers every call, so tests
// can prove a refused host never reached DNS or a socket.
type recorder struct {
	mu       sync.Mutex
	lookups  []string
	dials    []string
	answer   map[string][]netip.Addr
	realDial bool
}

func (r *recorder) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups = append(r.lookups, host)
	if a, ok := r.answer[host]; ok {
		return a, nil
	}
	return nil, errors.New("recorder: no such host")
}

func (r *recorder) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	r.mu.Lock()
	r.dials = append(r.dials, addr)
	real := r.realDial
	r.mu.Unlock()
	if real {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return nil, errors.New("recorder: dialing disabled")
}

func (r *recorder) calls() (lookups, dials []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lookups...), append([]string(nil), r.dials...)
}

func TestPolicyFromOverrides(t *testing.T) {
	cases := []struct {
		name     string
		apiBase  string
		wantErr  string // substring; "" = allowed
		notAllow bool   // errors.Is(err, ErrNotAllowed)
	}{
		{"unset", "", "", false},
		{"production https", "https://api.anthropic.com", "", false},
		{"production with trailing dot and caps", "https://API.Anthropic.com./", "", false},
		{"production explicit 443", "https://api.anthropic.com:443/x", "", false},
		{"another setting's production host", "https://api.github.com/x", `host "api.github.com" is not the host of this setting`, true},
		{"loopback v4 http", "http://127.0.0.1:8080", "", false},
		{"loopback v4 other /8 address", "http://127.9.9.9:1", "", false},
		{"loopback v6", "http://[::1]:9999/base", "", false},
		{"localhost https", "https://localhost:8443", "", false},
		{"exfil host", "https://exfil.invalid",
			`AIMONITOR_API_BASE: egress: host "exfil.invalid" is not allowed (only api.anthropic.com, platform.claude.com, api.github.com, or loopback for test overrides)`, true},
		{"production over http", "http://api.anthropic.com", `host "api.anthropic.com" needs https`, true},
		{"production odd port", "https://api.anthropic.com:8443", "only allowed on port 443", true},
		{"lookalike suffix", "https://api.anthropic.com.evil.example", `"api.anthropic.com.evil.example" is not allowed`, true},
		{"loopback lookalike name", "http://127.0.0.1.nip.io:80", "is not allowed", true},
		{"unspecified address", "http://0.0.0.0:8080", `"0.0.0.0" is not allowed`, true},
		{"private address", "http://10.0.0.1:8080", "is not allowed", true},
		{"zoned link-local", "http://[fe80::1%25lo]:80", "is not allowed", true},
		{"userinfo", "http://user:pw@127.0.0.1:80", "user name or password", true},
		{"no scheme", "exfil.invalid", "must start with https://", true},
		{"other scheme", "ftp://127.0.0.1/", "must start with https://", true},
		{"unparseable", "http://[::1", "not a valid URL", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PolicyFromOverrides(tc.apiBase, "", "")
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want error containing %q, got nil", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "AIMONITOR_API_BASE: ") {
				t.Fatalf("error %q does not name the setting", err)
			}
			if tc.notAllow != errors.Is(err, ErrNotAllowed) {
				t.Fatalf("errors.Is(ErrNotAllowed) = %v, want %v", !tc.notAllow, tc.notAllow)
			}
		})
	}
}

func TestOverrideErrorsNameTheirSetting(t *testing.T) {
	if _, err := PolicyFromOverrides("", "https://exfil.invalid/v1/oauth/token", ""); err == nil || !strings.HasPrefix(err.Error(), "AIMONITOR_TOKEN_URL: ") {
		t.Fatalf("token URL error = %v", err)
	}
	if _, err := PolicyFromOverrides("", "", "http://api.github.com/repos/x/y/releases"); err == nil || !strings.HasPrefix(err.Error(), "AIMONITOR_RELEASES_URL: ") {
		t.Fatalf("releases URL error = %v", err)
	}
}

// Each override may name only its own production host (or loopback): a
// token URL pointing at GitHub would send refresh tokens there.
func TestOverrideMayNameOnlyItsOwnHost(t *testing.T) {
	own := []struct{ api, token, releases string }{
		{"https://api.anthropic.com", "", ""},
		{"", "https://platform.claude.com/v1/oauth/token", ""},
		{"", "", "https://api.github.com/repos/x/y/releases"},
	}
	for _, o := range own {
		if _, err := PolicyFromOverrides(o.api, o.token, o.releases); err != nil {
			t.Errorf("own host refused: %v", err)
		}
	}
	foreign := []struct{ api, token, releases, setting string }{
		{"https://api.github.com", "", "", "AIMONITOR_API_BASE"},
		{"https://platform.claude.com", "", "", "AIMONITOR_API_BASE"},
		{"", "https://api.github.com/x", "", "AIMONITOR_TOKEN_URL"},
		{"", "https://api.anthropic.com/v1/oauth/token", "", "AIMONITOR_TOKEN_URL"},
		{"", "", "https://api.anthropic.com/repos/x/y/releases", "AIMONITOR_RELEASES_URL"},
		{"", "", "https://PLATFORM.claude.com./x", "AIMONITOR_RELEASES_URL"},
	}
	for _, o := range foreign {
		_, err := PolicyFromOverrides(o.api, o.token, o.releases)
		if err == nil || !errors.Is(err, ErrNotAllowed) || !strings.HasPrefix(err.Error(), o.setting+": ") ||
			!strings.Contains(err.Error(), "is not the host of this setting") {
			t.Errorf("%s=%s%s%s: err = %v, want a refusal naming the setting", o.setting, o.api, o.token, o.releases, err)
		}
	}
}

// The acceptance check: a request to a refused host fails before any DNS
// lookup or dial, with an error that says the host is not allowed.
func TestRefusedHostNeverResolved(t *testing.T) {
	for _, raw := range []string{
		"https://exfil.invalid/api/oauth/usage",
		"http://api.anthropic.com/api/oauth/usage",
		"https://api.anthropic.com:8443/",
		"http://localhost:1/",
		"https://169.254.169.254/latest/meta-data",
	} {
		t.Run(raw, func(t *testing.T) {
			rec := &recorder{}
			c := NewClient(DefaultPolicy(), WithResolver(rec), WithDialFunc(rec.Dial))
			resp, err := c.Get(raw)
			if err == nil {
				resp.Body.Close()
				t.Fatal("request succeeded")
			}
			if !errors.Is(err, ErrNotAllowed) {
				t.Fatalf("error %v is not ErrNotAllowed", err)
			}
			if !strings.Contains(err.Error(), "egress: host") {
				t.Fatalf("error %q does not name the host", err)
			}
			if l, d := rec.calls(); len(l) != 0 || len(d) != 0 {
				t.Fatalf("refused host reached the network layer: lookups %v dials %v", l, d)
			}
		})
	}
}

func TestDialerRefusesBeforeResolving(t *testing.T) {
	rec := &recorder{}
	d := NewDialer(DefaultPolicy(), WithResolver(rec), WithDialFunc(rec.Dial))
	_, err := d.DialContext(context.Background(), "tcp", "exfil.invalid:443")
	if !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("err = %v", err)
	}
	if l, dd := rec.calls(); len(l) != 0 || len(dd) != 0 {
		t.Fatalf("lookups %v dials %v", l, dd)
	}
}

func TestAllowedHostIsResolvedThroughTheHook(t *testing.T) {
	// The recorder fails the lookup, so nothing leaves the machine.
	rec := &recorder{}
	c := NewClient(DefaultPolicy(), WithResolver(rec), WithDialFunc(rec.Dial))
	resp, err := c.Get("https://api.anthropic.com/api/oauth/usage")
	if err == nil {
		resp.Body.Close()
		t.Fatal("expected the fake lookup to fail")
	}
	if errors.Is(err, ErrNotAllowed) {
		t.Fatalf("allowed host was refused: %v", err)
	}
	l, d := rec.calls()
	if len(l) != 1 || l[0] != "api.anthropic.com" || len(d) != 0 {
		t.Fatalf("lookups %v dials %v", l, d)
	}
}

func TestLocalhostMustResolveToLoopback(t *testing.T) {
	p, err := PolicyFromOverrides("http://localhost:8080", "", "")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{answer: map[string][]netip.Addr{
		"localhost": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("93.184.216.34")},
	}}
	c := NewClient(p, WithResolver(rec), WithDialFunc(rec.Dial))
	resp, err := c.Get("http://localhost:8080/api/oauth/usage")
	if err == nil {
		resp.Body.Close()
		t.Fatal("request succeeded")
	}
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "non-loopback") {
		t.Fatalf("err = %v", err)
	}
	if _, d := rec.calls(); len(d) != 0 {
		t.Fatalf("dialed %v", d)
	}
}

func TestLoopbackOverrideReachesServerAndNothingElse(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	defer ok.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the server not named by any override was reached")
	}))
	defer other.Close()

	p, err := PolicyFromOverrides(ok.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(p)
	resp, err := c.Get(ok.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" {
		t.Fatalf("body %q", body)
	}

	resp, err = c.Get(other.URL + "/x")
	if err == nil {
		resp.Body.Close()
		t.Fatal("reached a loopback port no override names")
	}
	if !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("err = %v", err)
	}
	// Same host and port but https instead of the override's http.
	u, _ := url.Parse(ok.URL)
	u.Scheme = "https"
	resp, err = c.Get(u.String())
	if err == nil {
		resp.Body.Close()
		t.Fatal("scheme change was allowed")
	}
	if !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("err = %v", err)
	}
}

func TestRedirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("redirect target outside the policy was reached")
	}))
	defer other.Close()
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, srvURL+"/final", http.StatusFound)
		case "/other-loopback":
			http.Redirect(w, r, other.URL+"/final", http.StatusFound)
		case "/exfil":
			http.Redirect(w, r, "https://exfil.invalid/steal", http.StatusFound)
		case "/allowed-but-other-host":
			http.Redirect(w, r, "https://api.github.com/", http.StatusFound)
		case "/final":
			io.WriteString(w, "final")
		}
	}))
	defer srv.Close()
	srvURL = srv.URL
	p, err := PolicyFromOverrides(srv.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{realDial: true, answer: map[string][]netip.Addr{}}
	c := NewClient(p, WithResolver(rec), WithDialFunc(rec.Dial))

	resp, err := c.Get(srv.URL + "/same")
	if err != nil {
		t.Fatalf("same-host redirect: %v", err)
	}
	resp.Body.Close()

	for _, path := range []string{"/other-loopback", "/exfil", "/allowed-but-other-host"} {
		resp, err := c.Get(srv.URL + path)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s: redirect followed", path)
		}
		if !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("%s: err = %v", path, err)
		}
	}
	if l, _ := rec.calls(); len(l) != 0 {
		t.Fatalf("redirect targets were looked up: %v", l)
	}
}

func TestTransportIgnoresProxyEnvironment(t *testing.T) {
	tr := NewTransport(DefaultPolicy())
	base := tr.next.(*http.Transport)
	if base.Proxy != nil {
		t.Fatal("transport would consult HTTPS_PROXY")
	}
}

func TestAllowedHostsIsACopy(t *testing.T) {
	h := AllowedHosts()
	h[0] = "exfil.invalid"
	if _, err := PolicyFromOverrides("https://exfil.invalid", "", ""); err == nil {
		t.Fatal("mutating the returned slice changed the allowlist")
	}
}

// The client offers only HTTP/1.1. Go's HTTP/2 transport logs every header
// (the Authorization bearer token among them) and the start of every frame
// (a refresh token in a request body) through the standard logger when
// GODEBUG=http2debug is set, past aimonitor's redacting logger; HTTP/1.1
// has no such path. The server records the protocols the client offers in
// its hello, before the client refuses the test certificate.
func TestClientNeverOffersHTTP2(t *testing.T) {
	var mu sync.Mutex
	var offered [][]string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		offered = append(offered, hello.SupportedProtos)
		mu.Unlock()
		return nil, nil
	}}
	srv.StartTLS()
	defer srv.Close()

	rec := &recorder{answer: map[string][]netip.Addr{"api.anthropic.com": {netip.MustParseAddr("127.0.0.1")}}}
	toServer := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	c := NewClient(DefaultPolicy(), WithResolver(rec), WithDialFunc(toServer))
	resp, err := c.Get("https://api.anthropic.com/api/oauth/usage")
	if err == nil {
		resp.Body.Close()
		t.Fatal("the test server's certificate was trusted")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(offered) == 0 {
		t.Fatalf("no TLS hello reached the server: %v", err)
	}
	for _, protos := range offered {
		if slices.Contains(protos, "h2") {
			t.Fatalf("the client offered HTTP/2 (ALPN %q)", protos)
		}
	}
}
