package anthropic_test

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
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/egress"
	"github.com/aimonitor/aimonitor/internal/loopback"
)

type failingResolver struct{}

func (failingResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// A request that gets no answer reads as one sentence naming the endpoint
// and the host — never Go's request line or dialer wording — and the cause
// is still there for errors.Is/As.
func TestNetworkFailuresInWords(t *testing.T) {
	token := []byte("sk-ant-oat01-must-not-leave-the-machine")
	closed := func(t *testing.T) string { return "http://" + loopback.ClosedAddr(t) }
	silent := func(t *testing.T) string { return "http://" + loopback.Silent(t) }
	untrusted := func(t *testing.T) string {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			t.Error("the request got past an untrusted certificate")
		}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}
	usage := func(c *anthropic.Client) error { _, err := c.Usage(context.Background(), token); return err }
	profile := func(c *anthropic.Client) error { _, err := c.Profile(context.Background(), token); return err }
	refresh := func(c *anthropic.Client) error { _, err := c.Refresh(context.Background(), token); return err }

	cases := []struct {
		name     string
		base     func(t *testing.T) string // "" = the production URLs
		resolver egress.Resolver
		call     func(*anthropic.Client) error
		// want is the whole message ({host}: the base's host:port), or
		// its start and end around the seconds a timeout waited.
		want, wantEnd string
		is            func(error) bool
		// timeout bounds the request: short only where the timeout is
		// what is tested, a guard everywhere else (a loaded machine can
		// take longer than 0.2 s for a TLS handshake on loopback).
		timeout time.Duration
	}{
		{name: "refused", base: closed, call: usage,
			want: "anthropic usage: could not reach {host}: the connection was refused — check your network or firewall",
			is:   func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
		{name: "refused on refresh", base: closed, call: refresh,
			want: "anthropic token refresh: could not reach {host}: the connection was refused — check your network or firewall",
			is:   func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
		{name: "timeout", base: silent, call: usage, timeout: 200 * time.Millisecond,
			want: "anthropic usage: could not reach {host}: no answer within 0.", wantEnd: " s — check your network, or try again later",
			is: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{name: "untrusted certificate", base: untrusted, call: profile,
			want: "anthropic profile: could not reach {host}: its certificate is not trusted — something on your network may be intercepting secure connections",
			is: func(err error) bool {
				var ce *tls.CertificateVerificationError
				return errors.As(err, &ce)
			}},
		{name: "name not resolved", resolver: failingResolver{}, call: usage,
			want: "anthropic usage: could not reach api.anthropic.com: the name could not be looked up — are you offline?",
			is: func(err error) bool {
				var de *net.DNSError
				return errors.As(err, &de)
			}},
		{name: "name not resolved on refresh", resolver: failingResolver{}, call: refresh,
			want: "anthropic token refresh: could not reach platform.claude.com: the name could not be looked up — are you offline?",
			is: func(err error) bool {
				var de *net.DNSError
				return errors.As(err, &de)
			}},
		{name: "egress refusal", base: func(*testing.T) string { return "https://exfil.invalid" }, call: usage,
			want: `anthropic usage: egress: host "exfil.invalid" is not allowed (only api.anthropic.com, platform.claude.com, api.github.com, or loopback for test overrides)`,
			is:   func(err error) bool { return errors.Is(err, egress.ErrNotAllowed) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			policy := egress.DefaultPolicy()
			var opts []anthropic.Option
			host := ""
			if tc.base != nil {
				base := tc.base(t)
				if p, err := egress.PolicyFromOverrides(base, "", ""); err == nil {
					policy = p
				}
				opts = append(opts, anthropic.WithBaseURL(base), anthropic.WithTokenURL(base+"/v1/oauth/token"))
				host = strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
			}
			var eopts []egress.Option
			if tc.resolver != nil {
				eopts = append(eopts, egress.WithResolver(tc.resolver))
			}
			c, err := anthropic.New(egress.NewClient(policy, eopts...), clock.NewFake(t0), append(opts, anthropic.WithTimeout(cmp.Or(tc.timeout, 30*time.Second)))...)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.call(c)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			want := strings.ReplaceAll(tc.want, "{host}", host)
			if tc.wantEnd == "" && msg != want || tc.wantEnd != "" && !(strings.HasPrefix(msg, want) && strings.HasSuffix(msg, tc.wantEnd)) {
				t.Errorf("message\n got %q\nwant %q…%q", msg, want, tc.wantEnd)
			}
			if !errors.Is(err, anthropic.ErrNetwork) || !tc.is(err) {
				t.Errorf("errors.Is/As no longer see the kind or the cause of %q", msg)
			}
			var ae *anthropic.Error
			if !errors.As(err, &ae) || ae.Status != 0 {
				t.Errorf("not an *anthropic.Error without a status: %#v", err)
			}
			for _, goWords := range []string{`Get "`, `Post "`, "dial tcp", "://", "/api/oauth", "deadline exceeded", "must-not-leave", "\n"} {
				if strings.Contains(msg, goWords) {
					t.Errorf("message %q shows %q", msg, goWords)
				}
			}
		})
	}
}
