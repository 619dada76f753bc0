package update_test

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/egress"
	"github.com/aimonitor/aimonitor/backend/update"
	"github.com/aimonitor/aimonitor/internal/loopback"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const repo = "acme/aimonitor"

func newChecker(t *testing.T, handler http.Handler, path string) (*update.Checker, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	policy, err := egress.PolicyFromOverrides("", "", srv.URL+path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := update.New(egress.NewClient(policy), update.WithReleasesURL(srv.URL+path))
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestCheckAgainstSimulator(t *testing.T) {
	s := sim.New(clock.NewFake(t0), sim.WithReleasesRepo(repo))
	defer s.Close()
	c, _ := newChecker(t, s, "/repos/"+repo+"/releases")
	ctx := context.Background()

	// The default list has v1.2.0 as a draft and v1.1.0-rc.1 as a
	// prerelease: the newest stable release is v1.0.0.
	cases := []struct {
		current     string
		update      bool
		unversioned bool
	}{
		{"v0.9.0", true, false},
		{"0.9.5", true, false},
		{"v1.0.0", false, false},
		{"v1.0.1", false, false},
		{"v1.1.0-rc.1", false, false},
		{"v1.0.0-beta.2", true, false},
		{"v1", false, false},
		{"0.9", true, false},
		{"v1.0.0+linux.amd64", false, false},
		{"v0.9.9-12-gabc1234", true, false}, // git describe between tags
		{"dev", false, true},
		{"v1.0", false, false},
	}
	for _, tc := range cases {
		res, cache, err := c.Check(ctx, tc.current, update.Cache{})
		if err != nil {
			t.Fatalf("%s: %v", tc.current, err)
		}
		if res.Latest != "v1.0.0" || res.UpdateAvailable != tc.update || res.CurrentUnversioned != tc.unversioned || res.Current != tc.current {
			t.Fatalf("%s: %+v", tc.current, res)
		}
		if res.URL != "https://github.com/"+repo+"/releases/tag/v1.0.0" || res.PublishedAt == nil || !res.PublishedAt.Equal(t0.Add(-10*24*time.Hour)) {
			t.Fatalf("%s: url %q published %v", tc.current, res.URL, res.PublishedAt)
		}
		if cache.ETag == "" || cache.Latest == nil || cache.Latest.Version != "v1.0.0" || res.NotModified {
			t.Fatalf("%s: cache %+v", tc.current, cache)
		}
	}
}

func TestETagRoundTrip(t *testing.T) {
	s := sim.New(clock.NewFake(t0), sim.WithReleasesRepo(repo))
	defer s.Close()
	c, _ := newChecker(t, s, "/repos/"+repo+"/releases")
	ctx := context.Background()

	_, cache, err := c.Check(ctx, "v0.9.0", update.Cache{})
	if err != nil {
		t.Fatal(err)
	}
	s.ResetLog()
	res, cache2, err := c.Check(ctx, "v0.9.0", cache)
	if err != nil {
		t.Fatal(err)
	}
	if !res.NotModified || res.Latest != "v1.0.0" || !res.UpdateAvailable || cache2 != cache {
		t.Fatalf("conditional check: %+v %+v", res, cache2)
	}
	if got := s.Log().Count(sim.EndpointReleases, http.StatusNotModified); got != 1 {
		t.Fatalf("the simulator saw %d 304s; log %+v", got, s.Log().ByStatus)
	}

	// A new release changes the list and its ETag.
	s.SetReleases([]sim.Release{
		{Tag: "v2.0.0-rc.1", Prerelease: false, PublishedAt: t0}, // semver pre-release despite the flag
		{Tag: "v1.3.0", PublishedAt: t0.Add(-time.Hour)},
		{Tag: "nightly", PublishedAt: t0},
		{Tag: "v1.10.0", Draft: true},
	})
	res, cache3, err := c.Check(ctx, "v1.0.0", cache2)
	if err != nil {
		t.Fatal(err)
	}
	if res.NotModified || res.Latest != "v1.3.0" || !res.UpdateAvailable || cache3.ETag == cache2.ETag {
		t.Fatalf("after a new release: %+v %+v", res, cache3)
	}

	// A list without any stable release: no latest, no update, and the
	// empty answer is cached too.
	s.SetReleases([]sim.Release{{Tag: "v3.0.0", Draft: true}})
	res, cache4, err := c.Check(ctx, "v1.0.0", cache3)
	if err != nil || res.Latest != "" || res.UpdateAvailable || cache4.Latest != nil || cache4.ETag == "" {
		t.Fatalf("no stable release: %+v %+v %v", res, cache4, err)
	}
	res, _, err = c.Check(ctx, "v1.0.0", cache4)
	if err != nil || !res.NotModified || res.Latest != "" {
		t.Fatalf("cached empty answer: %+v %v", res, err)
	}
}

func TestCheckErrors(t *testing.T) {
	ctx := context.Background()
	prior := update.Cache{ETag: `W/"old"`, Latest: &update.Release{Version: "v0.1.0"}}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		fault   *sim.Fault
		want    string
		is      error
	}{
		{name: "not found", handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, want: "HTTP 404"},
		{name: "rate limited 403", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.WriteHeader(http.StatusForbidden)
		}, is: update.ErrRateLimited},
		{name: "rate limited 429", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }, is: update.ErrRateLimited},
		{name: "server error", fault: &sim.Fault{Kind: sim.FaultServerError, Status: 502}, want: "HTTP 502"},
		{name: "wrong shape", fault: &sim.Fault{Kind: sim.FaultWrongShape}, want: "cannot read"},
		{name: "malformed", fault: &sim.Fault{Kind: sim.FaultMalformedJSON}, want: "cannot read"},
		{name: "huge", fault: &sim.Fault{Kind: sim.FaultHugeBody, Size: 5 << 20}, want: "larger than 4 MiB"},
		{name: "304 without etag", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) }, want: "304"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h http.Handler = tc.handler
			if tc.fault != nil {
				s := sim.New(clock.NewFake(t0), sim.WithReleasesRepo(repo))
				defer s.Close()
				if err := s.SetFault(*tc.fault); err != nil {
					t.Fatal(err)
				}
				h = s
			}
			c, _ := newChecker(t, h, "/repos/"+repo+"/releases")
			cache := prior
			if tc.name == "304 without etag" {
				cache = update.Cache{}
			}
			_, got, err := c.Check(ctx, "v1.0.0", cache)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q lacks %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v is not %v", err, tc.is)
			}
			if got != cache {
				t.Fatalf("cache changed on error: %+v", got)
			}
		})
	}
}

func TestRequestHeadersAndNoDownloads(t *testing.T) {
	var seen []*http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Clone(context.Background()))
		w.Header().Set("ETag", `"abc"`)
		w.Write([]byte(`[{"tag_name":"v9.0.0","html_url":"javascript:alert(1)","assets":[{"browser_download_url":"https://example.com/x"}]}]`))
	})
	c, _ := newChecker(t, h, "/releases")
	res, _, err := c.Check(context.Background(), "v1.0.0", update.Cache{ETag: `"old"`})
	if err != nil {
		t.Fatal(err)
	}
	if res.Latest != "v9.0.0" || res.URL != "" {
		t.Fatalf("result %+v (a non-https link must be dropped)", res)
	}
	if len(seen) != 1 {
		t.Fatalf("%d requests: an update check must make exactly one", len(seen))
	}
	r := seen[0]
	if r.Header.Get("If-None-Match") != `"old"` || r.Header.Get("Accept") != "application/vnd.github+json" || !strings.HasPrefix(r.Header.Get("User-Agent"), "aimonitor/") {
		t.Fatalf("headers %v", r.Header)
	}
}

func TestEgressRefusesOtherHosts(t *testing.T) {
	c, err := update.New(egress.NewClient(egress.DefaultPolicy()), update.WithReleasesURL("https://exfil.invalid/releases"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Check(context.Background(), "v1.0.0", update.Cache{})
	if !errors.Is(err, egress.ErrNotAllowed) {
		t.Fatalf("err = %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := update.New(nil); err == nil {
		t.Error("nil client accepted")
	}
	if _, err := update.New(http.DefaultClient, update.WithReleasesURL("github.com/x")); err == nil {
		t.Error("URL without scheme accepted")
	}
	if got := update.DefaultReleasesURL(); !strings.HasPrefix(got, "https://api.github.com/repos/") || !strings.HasSuffix(got, "/releases") {
		t.Errorf("default URL %q", got)
	}
}

type failingResolver struct{}

func (failingResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// A failed fetch says in words which host did not answer and why, with the
// cause still wrapped; never Go's request line (the URL) or dialer wording.
func TestUnreachableInWords(t *testing.T) {
	cases := []struct {
		name     string
		url      func(t *testing.T) string // the releases URL
		resolver egress.Resolver
		// want is the message ({host}: the URL's host:port), or its start
		// when wantEnd is set (a timeout's seconds come between).
		want, wantEnd string
		is            func(error) bool
		// timeout bounds the check: short only where a timeout is what
		// is tested, a guard elsewhere (a loaded machine's TLS handshake
		// on loopback can take longer than 0.2 s).
		timeout time.Duration
	}{
		{name: "refused", url: func(t *testing.T) string {
			return "http://" + loopback.ClosedAddr(t) + "/releases?per_page=30"
		}, want: "update: could not reach {host}: the connection was refused — check your network or firewall",
			is: func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
		{name: "no answer", timeout: 200 * time.Millisecond, url: func(t *testing.T) string { return "http://" + loopback.Silent(t) + "/releases" },
			want: "update: could not reach {host}: no answer within 0.", wantEnd: " s — check your network, or try again later",
			is: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{name: "answer stalls", timeout: 200 * time.Millisecond, url: func(t *testing.T) string {
			return "http://" + loopback.Serve(t, func(c net.Conn) {
				c.Read(make([]byte, 4096))
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n[")
			}) + "/releases"
		}, want: "update: the answer from {host} broke off: it did not finish within 0.", wantEnd: " s — check your network, or try again later",
			is: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{name: "untrusted certificate", url: func(t *testing.T) string {
			srv := httptest.NewUnstartedServer(http.NotFoundHandler())
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			t.Cleanup(srv.Close)
			return srv.URL + "/releases"
		}, want: "update: could not reach {host}: its certificate is not trusted — something on your network may be intercepting secure connections",
			is: func(err error) bool {
				var ce *tls.CertificateVerificationError
				return errors.As(err, &ce)
			}},
		{name: "name not resolved", url: func(*testing.T) string { return update.DefaultReleasesURL() }, resolver: failingResolver{},
			want: "update: could not reach api.github.com: the name could not be looked up — are you offline?",
			is: func(err error) bool {
				var de *net.DNSError
				return errors.As(err, &de)
			}},
		{name: "egress refusal", url: func(*testing.T) string { return "https://exfil.invalid/releases" },
			want: `update: egress: host "exfil.invalid" is not allowed (only api.anthropic.com, platform.claude.com, api.github.com, or loopback for test overrides)`,
			is:   func(err error) bool { return errors.Is(err, egress.ErrNotAllowed) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.url(t)
			policy := egress.DefaultPolicy()
			if p, err := egress.PolicyFromOverrides("", "", raw); err == nil {
				policy = p
			}
			var opts []egress.Option
			if tc.resolver != nil {
				opts = append(opts, egress.WithResolver(tc.resolver))
			}
			c, err := update.New(egress.NewClient(policy, opts...), update.WithReleasesURL(raw), update.WithTimeout(cmp.Or(tc.timeout, 30*time.Second)))
			if err != nil {
				t.Fatal(err)
			}
			prior := update.Cache{ETag: `"old"`}
			_, got, err := c.Check(context.Background(), "v1.0.0", prior)
			if err == nil {
				t.Fatal("no error")
			}
			u, _ := url.Parse(raw)
			msg, want := err.Error(), strings.ReplaceAll(tc.want, "{host}", u.Host)
			if tc.wantEnd == "" && msg != want || tc.wantEnd != "" && !(strings.HasPrefix(msg, want) && strings.HasSuffix(msg, tc.wantEnd)) {
				t.Errorf("message\n got %q\nwant %q…%q", msg, want, tc.wantEnd)
			}
			if !tc.is(err) {
				t.Errorf("errors.Is/As no longer see the cause of %q", msg)
			}
			for _, goWords := range []string{`Get "`, "dial tcp", "://", "/releases", "per_page", "deadline exceeded", "\n"} {
				if strings.Contains(msg, goWords) {
					t.Errorf("message %q shows %q", msg, goWords)
				}
			}
			if got != prior {
				t.Errorf("cache changed on error: %+v", got)
			}
		})
	}
}
