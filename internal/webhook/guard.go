package webhook

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"suyuan/internal/errcode"
)

// Guard decides where deliveries may go. In production mode an endpoint
// must not be on loopback, a private, link-local, shared or otherwise
// special network (server-side request forgery: a webhook is a request the
// service makes for whoever registered it, from inside its network),
// unless an administrator allowed its host. The address is checked when
// the endpoint is registered and again on every connection, after name
// resolution, so that a name that later resolves elsewhere gains nothing.
type Guard struct {
	// Production refuses special addresses; development (tests, a
	// receiver on the same machine) allows them.
	Production bool
	// AllowHosts are host names or addresses an administrator allowed
	// whatever they resolve to.
	AllowHosts []string
}

// maxURLLen bounds an endpoint's URL (the column's width).
const maxURLLen = 2048

// Check refuses an endpoint URL that is malformed or, in production mode,
// names a host that is or resolves to a special address.
func (g *Guard) Check(ctx context.Context, raw, field string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxURLLen:
		return nil, errcode.Field(errcode.InvalidURL, field, "the URL is longer than %d bytes", maxURLLen)
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return nil, errcode.Field(errcode.InvalidURL, field, "not an absolute http or https URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errcode.Field(errcode.InvalidURL, field, "the scheme is http or https")
	case u.User != nil:
		return nil, errcode.Field(errcode.InvalidURL, field, "the URL carries credentials; sign deliveries with the secret instead")
	case u.Fragment != "":
		return nil, errcode.Field(errcode.InvalidURL, field, "the URL has a fragment")
	}
	if !g.Production || g.allowed(u.Hostname()) {
		return u, nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if special(a) {
			return nil, errcode.Field(errcode.URLNotAllowed, field, "%s is a loopback, private or link-local address", host)
		}
		return u, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, errcode.Field(errcode.InvalidURL, field, "the host %s does not resolve", host)
	}
	for _, a := range addrs {
		if special(a) {
			return nil, errcode.Field(errcode.URLNotAllowed, field, "%s resolves to a loopback, private or link-local address", host)
		}
	}
	return u, nil
}

// allowed reports whether an administrator allowed host.
func (g *Guard) allowed(host string) bool {
	for _, h := range g.AllowHosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), strings.TrimSuffix(host, ".")) {
			return true
		}
	}
	return false
}

// control is the dialer's check of the address it is about to connect to:
// the one place a resolved address is known for certain.
func (g *Guard) control(host string) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if !g.Production || g.allowed(host) {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhook: dialling %s: %w", address, err)
		}
		if special(ap.Addr()) {
			return fmt.Errorf("webhook: %s resolved to %s, a loopback, private or link-local address", host, ap.Addr())
		}
		return nil
	}
}

// special reports whether a is an address a delivery must not reach in
// production: unspecified, loopback, private (RFC 1918, unique local),
// link-local (cloud metadata services live there), shared (carrier-grade
// NAT), multicast, or one of the documentation and benchmarking ranges.
func special(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return true
	}
	for _, p := range specialPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var specialPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
}
