// Package egress is the only way aimonitor reaches the network. It builds the
// one *http.Client every outbound client uses, and that client refuses any
// destination outside a fixed allowlist: api.anthropic.com,
// platform.claude.com and api.github.com over HTTPS on port 443. The single
// exception is an explicit test override (AIMONITOR_API_BASE,
// AIMONITOR_TOKEN_URL, AIMONITOR_RELEASES_URL) pointing at a loopback
// address, where plain http is allowed so tests and the demo can talk to the
// simulator. Hosts are checked before any DNS lookup, again at dial time, and
// on every redirect.
package egress

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// The production hosts. An array, not a slice, so nothing can append to it.
var productionHosts = [...]string{"api.anthropic.com", "platform.claude.com", "api.github.com"}

// AllowedHosts returns the production hosts the policy lets through.
func AllowedHosts() []string { return append([]string(nil), productionHosts[:]...) }

// ErrNotAllowed is matched (errors.Is) by every refusal from this package.
var ErrNotAllowed = errors.New("egress: destination not allowed")

// NotAllowedError says which host was refused and why. It never carries a
// full URL (paths or queries could hold something private), only the host.
type NotAllowedError struct {
	Host   string
	Reason string // short, e.g. "is not allowed", "needs https"
	// Setting names the override that was refused, when there is one.
	Setting string
}

func (e *NotAllowedError) Error() string {
	msg := fmt.Sprintf("egress: host %q %s (only %s, or loopback for test overrides)",
		e.Host, e.Reason, strings.Join(productionHosts[:], ", "))
	if e.Setting != "" {
		msg = e.Setting + ": " + msg
	}
	return msg
}

func (e *NotAllowedError) Is(target error) bool { return target == ErrNotAllowed }

// endpoint is one scheme+host+port the policy lets through.
type endpoint struct {
	scheme string // "https" or "http"
	host   string // lower case, IPv6 without brackets
	port   string
}

// Policy decides which destinations are reachable. The zero value is not
// useful: start from DefaultPolicy or PolicyFromOverrides. A Policy is
// immutable once built, so one value can be shared by every client.
type Policy struct {
	// loopback lists the loopback endpoints named by overrides; production
	// hosts are always allowed and not stored here.
	loopback []endpoint
}

// DefaultPolicy allows only the production hosts over HTTPS.
func DefaultPolicy() Policy { return Policy{} }

// PolicyFromOverrides validates the three URL overrides (empty = not set)
// and returns a policy that also allows the loopback endpoints they name.
// Call it before making any request so a bad override fails up front.
func PolicyFromOverrides(apiBase, tokenURL, releasesURL string) (Policy, error) {
	var p Policy
	// Each override may name only the production host of what it is for:
	// a token URL naming GitHub would hand refresh tokens to GitHub.
	for _, o := range []struct{ setting, value, own string }{
		{"AIMONITOR_API_BASE", apiBase, "api.anthropic.com"},
		{"AIMONITOR_TOKEN_URL", tokenURL, "platform.claude.com"},
		{"AIMONITOR_RELEASES_URL", releasesURL, "api.github.com"},
	} {
		if o.value == "" {
			continue
		}
		ep, err := checkOverride(o.value, o.own)
		if err != nil {
			var na *NotAllowedError
			if errors.As(err, &na) {
				na.Setting = o.setting
				return Policy{}, na
			}
			return Policy{}, fmt.Errorf("%s: %w", o.setting, err)
		}
		if ep != nil {
			p.loopback = append(p.loopback, *ep)
		}
	}
	return p, nil
}

// checkOverride returns the loopback endpoint an override adds, nil when it
// names its own production host own (already allowed), or an error.
func checkOverride(raw, own string) (*endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse errors quote the input; the input is a URL the user
		// typed, never a token, but keep the message short anyway.
		return nil, fmt.Errorf("%w: not a valid URL", ErrNotAllowed)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("%w: the URL must start with https:// (or http:// for loopback)", ErrNotAllowed)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: the URL has no host", ErrNotAllowed)
	}
	if u.User != nil {
		// Credentials in a URL would end up in logs and error messages.
		return nil, fmt.Errorf("%w: the URL must not contain a user name or password", ErrNotAllowed)
	}
	host := canonicalHost(u.Hostname())
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	if isProductionHost(host) {
		if host != own {
			return nil, &NotAllowedError{Host: host, Reason: "is not the host of this setting (it may name only " + own + ")"}
		}
		if u.Scheme != "https" {
			return nil, &NotAllowedError{Host: host, Reason: "needs https"}
		}
		if port != "443" {
			return nil, &NotAllowedError{Host: host, Reason: "is only allowed on port 443"}
		}
		return nil, nil
	}
	if isLoopbackName(host) {
		return &endpoint{scheme: u.Scheme, host: host, port: port}, nil
	}
	return nil, &NotAllowedError{Host: host, Reason: "is not allowed"}
}

// CheckURL reports whether a request to u may be sent. It looks only at the
// URL: no DNS.
func (p Policy) CheckURL(u *url.URL) error {
	if u == nil {
		return &NotAllowedError{Host: "", Reason: "is not allowed"}
	}
	host := canonicalHost(u.Hostname())
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	if u.User != nil {
		return &NotAllowedError{Host: host, Reason: "must not carry a user name or password"}
	}
	if isProductionHost(host) {
		if u.Scheme != "https" {
			return &NotAllowedError{Host: host, Reason: "needs https"}
		}
		if port != "443" {
			return &NotAllowedError{Host: host, Reason: "is only allowed on port 443"}
		}
		return nil
	}
	for _, ep := range p.loopback {
		if ep.scheme == u.Scheme && ep.host == host && ep.port == port {
			return nil
		}
	}
	if isLoopbackName(host) {
		return &NotAllowedError{Host: net.JoinHostPort(host, port), Reason: "is not one of the configured loopback overrides"}
	}
	return &NotAllowedError{Host: host, Reason: "is not allowed"}
}

// checkDial is the dial-time check: the transport hands the dialer
// "host:port" with no scheme, so only host and port can be compared.
// loopbackOnly reports whether every resolved address must be loopback.
func (p Policy) checkDial(host, port string) (loopbackOnly bool, err error) {
	host = canonicalHost(host)
	if isProductionHost(host) {
		if port != "443" {
			return false, &NotAllowedError{Host: host, Reason: "is only allowed on port 443"}
		}
		return false, nil
	}
	for _, ep := range p.loopback {
		if ep.host == host && ep.port == port {
			return true, nil
		}
	}
	return false, &NotAllowedError{Host: host, Reason: "is not allowed"}
}

func isProductionHost(host string) bool {
	for _, h := range productionHosts {
		if host == h {
			return true
		}
	}
	return false
}

// isLoopbackName accepts "localhost", 127.0.0.0/8 and ::1 (also as an
// IPv4-mapped address). Zoned addresses are refused: a zone names an
// interface, which loopback never needs.
func isLoopbackName(host string) bool {
	if host == "localhost" {
		return true
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Zone() != "" {
		return false
	}
	return addr.Unmap().IsLoopback()
}

// canonicalHost lower-cases and drops one trailing dot, so "API.anthropic.com."
// and "api.anthropic.com" compare equal.
func canonicalHost(h string) string {
	h = strings.ToLower(h)
	return strings.TrimSuffix(h, ".")
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}
