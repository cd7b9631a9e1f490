package session

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// connectTo is one curl-style --connect-to rule: requests for Host:Port go
// to ToHost:ToPort instead, keeping the URL's Host header and TLS name.
// Empty fields are wildcards (from side) or "unchanged" (to side).
type connectTo struct {
	Host, Port, ToHost, ToPort string
}

// resolveRule is one curl-style --resolve rule: Host:Port resolves to Addrs.
type resolveRule struct {
	Host, Port string
	Addrs      []string
}

// splitColons splits s on colons that are not inside [brackets], so IPv6
// literals can be written as [::1].
func splitColons(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func unbracket(h string) string { return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]") }

// ParseConnectTo parses a --connect-to value, HOST1:PORT1:HOST2:PORT2.
func ParseConnectTo(s string) (connectTo, error) {
	p := splitColons(s)
	if len(p) != 4 {
		return connectTo{}, fmt.Errorf("--connect-to %q: want HOST1:PORT1:HOST2:PORT2 (fields may be empty, e.g. example.com:443:127.0.0.1:8443)", s)
	}
	for _, port := range []string{p[1], p[3]} {
		if port != "" {
			if n, err := parsePort(port); err != nil || n == 0 {
				return connectTo{}, fmt.Errorf("--connect-to %q: port %q is not 1-65535", s, port)
			}
		}
	}
	return connectTo{Host: unbracket(p[0]), Port: p[1], ToHost: unbracket(p[2]), ToPort: p[3]}, nil
}

// ParseResolve parses a --resolve value, HOST:PORT:ADDR[,ADDR...].
func ParseResolve(s string) (resolveRule, error) {
	p := splitColons(s)
	if len(p) != 3 || p[0] == "" || p[2] == "" {
		return resolveRule{}, fmt.Errorf("--resolve %q: want HOST:PORT:ADDR (e.g. example.com:443:127.0.0.1)", s)
	}
	if n, err := parsePort(p[1]); err != nil || n == 0 {
		return resolveRule{}, fmt.Errorf("--resolve %q: port %q is not 1-65535", s, p[1])
	}
	r := resolveRule{Host: unbracket(p[0]), Port: p[1]}
	for _, a := range strings.Split(p[2], ",") {
		a = unbracket(strings.TrimSpace(a))
		if _, err := netip.ParseAddr(a); err != nil {
			return resolveRule{}, fmt.Errorf("--resolve %q: %q is not an IP address", s, a)
		}
		r.Addrs = append(r.Addrs, a)
	}
	return r, nil
}

// applyConnectTo returns where to connect for host:port under the rules;
// the first matching rule wins, as in curl.
func applyConnectTo(rules []connectTo, host, port string) (string, string) {
	for _, r := range rules {
		if (r.Host == "" || strings.EqualFold(r.Host, host)) && (r.Port == "" || r.Port == port) {
			if r.ToHost != "" {
				host = r.ToHost
			}
			if r.ToPort != "" {
				port = r.ToPort
			}
			return host, port
		}
	}
	return host, port
}

// lookupResolve returns the --resolve addresses for host:port, if any.
func lookupResolve(rules []resolveRule, host, port string) []string {
	for _, r := range rules {
		if (r.Host == "*" || strings.EqualFold(r.Host, host)) && r.Port == port {
			return r.Addrs
		}
	}
	return nil
}

// parseProxyURL checks a proxy URL; a bare host:port means http:// as in curl.
func parseProxyURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad proxy URL: %v", unwrapURLError(err))
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "socks5", "socks5h":
		u.Scheme = strings.ToLower(u.Scheme)
	default:
		return nil, fmt.Errorf("bad proxy URL %q: scheme must be http, https, socks5 or socks5h", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("bad proxy URL %q: no host", u.Redacted())
	}
	return u, nil
}

// proxyPort returns the proxy's port, defaulting as curl does.
func proxyPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch u.Scheme {
	case "https":
		return "443"
	case "socks5", "socks5h":
		return "1080"
	}
	return "1080" // curl's default proxy port for http:// too
}

// selectProxy picks the proxy for target u: the explicit one, else the
// environment like curl (ws uses http_proxy, wss uses https_proxy, both
// fall back to all_proxy; no_proxy excludes hosts), unless disabled.
func selectProxy(cfg *Config, u *url.URL) (*url.URL, error) {
	if cfg.Proxy != "" {
		return parseProxyURL(cfg.Proxy)
	}
	if cfg.NoProxy || cfg.Getenv == nil {
		return nil, nil
	}
	env := func(names ...string) string {
		for _, n := range names {
			if v := strings.TrimSpace(cfg.Getenv(n)); v != "" {
				return v
			}
		}
		return ""
	}
	var raw string
	if u.Scheme == "wss" {
		raw = env("https_proxy", "HTTPS_PROXY")
	} else {
		raw = env("http_proxy", "HTTP_PROXY")
	}
	if raw == "" {
		raw = env("all_proxy", "ALL_PROXY")
	}
	if raw == "" {
		return nil, nil
	}
	if noProxyMatch(env("no_proxy", "NO_PROXY"), u.Hostname()) {
		return nil, nil
	}
	p, err := parseProxyURL(raw)
	if err != nil {
		return nil, fmt.Errorf("proxy from environment: %v", err)
	}
	return p, nil
}

// noProxyMatch reports whether host is excluded by a NO_PROXY list, with
// curl's rules: "*" matches all, a name matches itself and its subdomains
// (a leading dot is optional), an IP or CIDR matches addresses.
func noProxyMatch(list, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(unbracket(host), "."))
	hostIP, hostErr := netip.ParseAddr(host)
	hostIsIP := hostErr == nil
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if e == "*" {
			return true
		}
		if hostIsIP {
			if pfx, err := netip.ParsePrefix(e); err == nil && pfx.Contains(hostIP) {
				return true
			}
			if ip, err := netip.ParseAddr(unbracket(e)); err == nil && ip == hostIP {
				return true
			}
			continue
		}
		e = strings.TrimSuffix(strings.TrimPrefix(e, "."), ".")
		if host == e || strings.HasSuffix(host, "."+e) {
			return true
		}
	}
	return false
}

// isIPLiteral reports whether host is an IP address.
func isIPLiteral(host string) bool {
	_, err := netip.ParseAddr(unbracket(host))
	return err == nil
}

func joinHostPort(host, port string) string { return net.JoinHostPort(unbracket(host), port) }
