package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/session"
)

// HTTPResult is the outcome of a plain GET of the WebSocket path.
type HTTPResult struct {
	URL         string `json:"url"`
	ConnectAddr string `json:"connect_addr,omitempty"`
	Status      int    `json:"status"`
	StatusLine  string `json:"status_line,omitempty"`
	Server      string `json:"server,omitempty"`
	Body        string `json:"body,omitempty"` // the first bytes, when text
	// Hung: the request went out and no response head came back within
	// the timeout.
	Hung      bool    `json:"hung"`
	Error     string  `json:"error,omitempty"`
	ElapsedMS float64 `json:"elapsed_ms"`
	TimeoutMS float64 `json:"timeout_ms"`
}

// maxGetBody bounds how much of the GET's body is kept as evidence.
const maxGetBody = 512

// plainGet sends an ordinary HTTP/1.1 GET (no Upgrade) for cfg's URL along
// the same route a connection would take — proxy, --connect-to,
// --resolve, TLS settings — and waits at most timeout for the answer.
func plainGet(ctx context.Context, cfg session.Config, timeout time.Duration, red *capture.Redactor) *HTTPResult {
	u, err := session.NormalizeURL(cfg.URL)
	if err != nil {
		return &HTTPResult{URL: red.URL(cfg.URL), Error: err.Error()}
	}
	hu := *u
	hu.Scheme = map[string]string{"ws": "http", "wss": "https"}[u.Scheme]
	res := &HTTPResult{URL: red.URL(hu.String()), TimeoutMS: ms(timeout)}
	tr, err := getTransport(cfg)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer tr.CloseIdleConnections()
	gctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var wrote atomic.Bool
	var addr atomic.Value
	trace := &httptrace.ClientTrace{
		GotConn:      func(i httptrace.GotConnInfo) { addr.Store(i.Conn.RemoteAddr().String()) },
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(gctx, trace), http.MethodGet, hu.String(), nil)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	ua := cfg.UserAgent
	if ua == "" {
		ua = "wscope"
	}
	req.Header.Set("User-Agent", ua)
	for _, h := range cfg.Headers {
		req.Header[h.Name] = append(req.Header[h.Name], h.Value)
	}
	if cfg.Cookie != "" {
		req.Header.Set("Cookie", cfg.Cookie)
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := time.Now()
	resp, err := client.Do(req)
	res.ElapsedMS = ms(time.Since(start))
	if a, ok := addr.Load().(string); ok {
		res.ConnectAddr = a
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		res.Error = err.Error()
		res.Hung = wrote.Load() && errors.Is(gctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		if res.Hung {
			res.Error = fmt.Sprintf("no response within %s", timeout)
		}
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	res.StatusLine = resp.Proto + " " + resp.Status
	res.Server = resp.Header.Get("Server")
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return res // the body is the raw connection: nothing to read
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxGetBody))
	if utf8.Valid(body) {
		res.Body = string(body)
	}
	return res
}

// getTransport is an HTTP/1.1-only transport that routes like the session
// engine: the explicit proxy or the environment's (curl's rules, as
// session applies them), --connect-to, --resolve, and the TLS settings.
func getTransport(cfg session.Config) (*http.Transport, error) {
	type rule struct{ host, port, toHost, toPort string }
	var connectTo []rule
	for _, s := range cfg.ConnectTo {
		r, err := session.ParseConnectTo(s)
		if err != nil {
			return nil, err
		}
		connectTo = append(connectTo, rule{r.Host, r.Port, r.ToHost, r.ToPort})
	}
	type resolved struct {
		host, port string
		addrs      []string
	}
	var resolve []resolved
	for _, s := range cfg.Resolve {
		r, err := session.ParseResolve(s)
		if err != nil {
			return nil, err
		}
		resolve = append(resolve, resolved{r.Host, r.Port, r.Addrs})
	}
	tc := &tls.Config{InsecureSkipVerify: cfg.Insecure}
	if cfg.CACertFile != "" {
		pem, err := os.ReadFile(cfg.CACertFile)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = x509.NewCertPool()
		tc.RootCAs.AppendCertsFromPEM(pem)
	}
	if cfg.CertFile != "" && cfg.KeyFile != "" {
		c, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{c}
	}
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		for _, r := range connectTo { // the first matching rule wins, as in curl
			if (r.host == "" || strings.EqualFold(r.host, host)) && (r.port == "" || r.port == port) {
				if r.toHost != "" {
					host = strings.TrimSuffix(strings.TrimPrefix(r.toHost, "["), "]")
				}
				if r.toPort != "" {
					port = r.toPort
				}
				break
			}
		}
		for _, r := range resolve {
			if (r.host == "*" || strings.EqualFold(r.host, host)) && r.port == port && len(r.addrs) > 0 {
				host = r.addrs[0]
				break
			}
		}
		return d.DialContext(ctx, network, net.JoinHostPort(host, port))
	}
	return &http.Transport{
		Proxy:             proxyFor(cfg),
		DialContext:       dial,
		TLSClientConfig:   tc,
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1, as the upgrade
		DisableKeepAlives: true,
	}, nil
}

// proxyFor picks the GET's proxy as session does for the connection: the
// explicit one, else http_proxy for ws://, https_proxy for wss://, both
// falling back to all_proxy, no_proxy excluding hosts.
func proxyFor(cfg session.Config) func(*http.Request) (*url.URL, error) {
	parse := func(raw string) (*url.URL, error) {
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		return url.Parse(raw)
	}
	if cfg.Proxy != "" {
		return func(*http.Request) (*url.URL, error) { return parse(cfg.Proxy) }
	}
	if cfg.NoProxy || cfg.Getenv == nil {
		return nil
	}
	env := func(names ...string) string {
		for _, n := range names {
			if v := strings.TrimSpace(cfg.Getenv(n)); v != "" {
				return v
			}
		}
		return ""
	}
	return func(r *http.Request) (*url.URL, error) {
		raw := env("http_proxy", "HTTP_PROXY")
		if r.URL.Scheme == "https" {
			raw = env("https_proxy", "HTTPS_PROXY")
		}
		if raw == "" {
			raw = env("all_proxy", "ALL_PROXY")
		}
		if raw == "" || noProxyMatch(env("no_proxy", "NO_PROXY"), r.URL.Hostname()) {
			return nil, nil
		}
		return parse(raw)
	}
}

// noProxyMatch applies curl's NO_PROXY rules: "*" matches all, a name
// matches itself and its subdomains, an IP or CIDR matches addresses.
func noProxyMatch(list, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ip, ipErr := netip.ParseAddr(host)
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
			continue
		case e == "*":
			return true
		case ipErr == nil:
			if p, err := netip.ParsePrefix(e); err == nil && p.Contains(ip) {
				return true
			}
			if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil && a == ip {
				return true
			}
			continue
		}
		e = strings.Trim(e, ".")
		if host == e || strings.HasSuffix(host, "."+e) {
			return true
		}
	}
	return false
}
