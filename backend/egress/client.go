package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Resolver turns a host name into addresses. *net.Resolver satisfies it;
// tests pass a recorder to prove refused hosts are never looked up.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc opens a connection to an "ip:port" address.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Option adjusts NewClient / NewTransport.
type Option func(*options)

type options struct {
	resolver Resolver
	dial     DialFunc
	timeout  time.Duration
}

// WithResolver replaces the system resolver (tests).
func WithResolver(r Resolver) Option { return func(o *options) { o.resolver = r } }

// WithDialFunc replaces the TCP dialer that connects to resolved addresses (tests).
func WithDialFunc(d DialFunc) Option { return func(o *options) { o.dial = d } }

// WithTimeout bounds a whole exchange, body included (default 60 s). Callers
// should still pass contexts with their own, usually shorter, deadlines.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

func buildOptions(opts []Option) options {
	o := options{
		resolver: net.DefaultResolver,
		dial:     (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		timeout:  60 * time.Second,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Dialer connects only to destinations the policy allows. The host is
// checked before it is resolved, and for loopback overrides every resolved
// address must itself be loopback (so "localhost" cannot be pointed
// elsewhere by a hosts file or DNS).
type Dialer struct {
	policy   Policy
	resolver Resolver
	dial     DialFunc
}

// NewDialer returns a policy-checking dialer.
func NewDialer(p Policy, opts ...Option) *Dialer {
	o := buildOptions(opts)
	return &Dialer{policy: p, resolver: o.resolver, dial: o.dial}
}

// DialContext has the signature http.Transport.DialContext expects.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("%w: bad address", ErrNotAllowed)
	}
	loopbackOnly, err := d.policy.checkDial(host, port)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if ip, perr := netip.ParseAddr(host); perr == nil {
		addrs = []netip.Addr{ip}
	} else {
		addrs, err = d.resolver.LookupNetIP(ctx, ipNetwork(network), host)
		if err != nil {
			return nil, fmt.Errorf("could not look up %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("could not look up %s: %w", host, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true})
		}
	}
	if loopbackOnly {
		for _, a := range addrs {
			if !a.Unmap().IsLoopback() {
				return nil, &NotAllowedError{Host: host, Reason: "resolved to a non-loopback address"}
			}
		}
	}
	var errs []error
	for _, a := range addrs {
		conn, err := d.dial(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func ipNetwork(network string) string {
	switch network {
	case "tcp4":
		return "ip4"
	case "tcp6":
		return "ip6"
	}
	return "ip"
}

// Transport checks every request URL against the policy before handing it
// to the wrapped transport, whose dialer checks again.
type Transport struct {
	policy Policy
	next   http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.policy.CheckURL(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close() // RoundTrip must close the body, even on errors.
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// NewTransport returns the policy-enforcing RoundTripper. It never uses a
// proxy: HTTPS_PROXY and friends are ignored, because a proxy is a host the
// allowlist does not name and would see every request. It speaks HTTP/1.1
// only: with GODEBUG=http2debug set, Go's HTTP/2 transport writes every
// header (the bearer token) and the start of every frame (a refresh token)
// to the standard logger, past aimonitor's redacting one.
func NewTransport(p Policy, opts ...Option) *Transport {
	o := buildOptions(opts)
	d := &Dialer{policy: p, resolver: o.resolver, dial: o.dial}
	var http1 http.Protocols
	http1.SetHTTP1(true)
	base := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		Protocols:             &http1,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          10,
	}
	return &Transport{policy: p, next: base}
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the pool.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// NewClient returns the *http.Client every outbound client must use. Besides
// the transport's checks it refuses redirects that leave the original host
// or fail the policy, and it keeps no cookies.
func NewClient(p Policy, opts ...Option) *http.Client {
	o := buildOptions(opts)
	return &http.Client{
		Transport: NewTransport(p, opts...),
		Timeout:   o.timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("egress: too many redirects")
			}
			if err := p.CheckURL(req.URL); err != nil {
				return err
			}
			orig := via[0].URL
			if canonicalHost(req.URL.Hostname()) != canonicalHost(orig.Hostname()) || req.URL.Scheme != orig.Scheme {
				return &NotAllowedError{Host: canonicalHost(req.URL.Hostname()), Reason: "is a redirect to another host, which is not allowed"}
			}
			return nil
		},
	}
}
