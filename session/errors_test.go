package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// dialErr dials and returns the *Error, failing if the dial succeeded.
func dialErr(t *testing.T, cfg Config) (*Error, []*Handshake) {
	t.Helper()
	c, chain, err := Dial(context.Background(), cfg)
	if err == nil {
		c.Abort()
		drain(c)
		t.Fatalf("Dial(%s) succeeded", cfg.URL)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not *Error", err, err)
	}
	if strings.Contains(e.Line(), "\n") || e.Hint == "" {
		t.Errorf("error is not one line with a hint: %q", e.Line())
	}
	return e, chain
}

func TestBadInputIsAUsageError(t *testing.T) {
	for _, cfg := range []Config{
		{URL: ""},
		{URL: "ftp://example.com/"},
		{URL: "ws://:80/"},
		{URL: "ws://host:99999/"},
		{URL: "ws://127.0.0.1:1/", ConnectTo: []string{"bad"}},
		{URL: "ws://127.0.0.1:1/", Resolve: []string{"h:80:not-an-ip"}},
		{URL: "ws://127.0.0.1:1/", CACertFile: "/nonexistent/ca.pem"},
		{URL: "ws://127.0.0.1:1/", CertFile: "only-cert.pem"},
		{URL: "ws://127.0.0.1:1/", Proxy: "ftp://proxy:21"},
		{URL: "ws://127.0.0.1:1/", Headers: []Header{{Name: "Upgrade", Value: "h2c"}}},
	} {
		e, _ := dialErr(t, cfg)
		if e.Class != ClassUsage {
			t.Errorf("%+v: class %s (%s), want usage", cfg, e.Class, e.Msg)
		}
	}
}

func TestRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	e, _ := dialErr(t, Config{URL: "ws://" + addr + "/"})
	if e.Class != ClassRefused || !strings.Contains(e.Msg, "connection refused by "+addr) || !strings.Contains(e.Hint, "running") {
		t.Fatalf("%s: %s", e.Class, e.Line())
	}
}

func TestDNSFailure(t *testing.T) {
	e, _ := dialErr(t, Config{URL: "ws://no-such-host.invalid/", Timeout: 3 * time.Second})
	if e.Class != ClassDNS || !strings.Contains(e.Msg, `cannot resolve host "no-such-host.invalid"`) || !strings.Contains(e.Hint, "--resolve") {
		t.Fatalf("%s: %s", e.Class, e.Line())
	}
}

func TestTimeoutWaitingForUpgrade(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepts and never answers
		}
	}()
	e, _ := dialErr(t, Config{URL: "ws://" + ln.Addr().String() + "/", Timeout: 300 * time.Millisecond})
	if e.Class != ClassTimeout || !strings.Contains(e.Msg, "timed out after 300ms waiting for the upgrade response") ||
		!e.NoResponseHead || !strings.Contains(e.Msg, "the request went out and nothing came back") {
		t.Fatalf("%s: %s (no response head: %v)", e.Class, e.Line(), e.NoResponseHead)
	}
}

// A connect timeout is not "request written, no response head".
func TestConnectTimeoutIsNotNoResponseHead(t *testing.T) {
	// 192.0.2.0/24 (TEST-NET-1) is never routed: the connect hangs or fails.
	e, _ := dialErr(t, Config{URL: "ws://192.0.2.1:9/", Timeout: 200 * time.Millisecond})
	if e.NoResponseHead {
		t.Fatalf("a connect failure is flagged as no response head: %s", e.Line())
	}
}

func TestNon101StatusWithBody(t *testing.T) {
	big := strings.Repeat("x", MaxBodyCapture+100)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Header().Set("Server", "nginx/1.22")
			w.WriteHeader(404)
			w.(http.Flusher).Flush() // forces chunked encoding
			fmt.Fprint(w, "Page not ")
			w.(http.Flusher).Flush()
			fmt.Fprint(w, "found")
		case "/big":
			w.WriteHeader(400)
			fmt.Fprint(w, big)
		case "/hostile":
			w.WriteHeader(426)
			fmt.Fprint(w, "\x1b[2J clear \x1b]52;c;cHduZWQ=\x07")
		case "/hostile-header":
			w.Header().Set("Server", "evil\x1b]0;pwned")
			w.WriteHeader(426)
		}
	}))
	defer s.Close()
	e, chain := dialErr(t, Config{URL: wsURL(s, "/chunked")})
	hs := chain[0]
	if e.Class != ClassStatus || hs.Status != 404 || string(hs.Body) != "Page not found" {
		t.Fatalf("%s %d body %q", e.Class, hs.Status, hs.Body)
	}
	if !strings.Contains(e.Msg, "404 Not Found") || !strings.Contains(e.Msg, "Server: nginx/1.22") || !strings.Contains(e.Msg, "Page not found") {
		t.Fatalf("message lacks status, key header or body: %s", e.Msg)
	}
	_, chain = dialErr(t, Config{URL: wsURL(s, "/big")})
	if hs := chain[0]; len(hs.Body) != MaxBodyCapture || !hs.BodyTrunc {
		t.Fatalf("body %d bytes truncated=%v", len(hs.Body), hs.BodyTrunc)
	}
	e, _ = dialErr(t, Config{URL: wsURL(s, "/hostile")})
	if strings.ContainsRune(e.Line(), 0x1b) || !strings.Contains(e.Hint, "Upgrade and Connection") {
		t.Fatalf("raw escape or wrong hint: %q", e.Line())
	}
	e, chain = dialErr(t, Config{URL: wsURL(s, "/hostile-header")})
	if e.Class != ClassProtocol || chain[0].Status != 426 || strings.ContainsRune(e.Line(), 0x1b) || !strings.Contains(string(chain[0].ResponseRaw), "evil\x1b]0;pwned") {
		t.Fatalf("hostile header: %s %q", e.Class, e.Line())
	}
}

func TestRedirects(t *testing.T) {
	var s *httptest.Server
	s = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusFound)
		case "/b":
			http.Redirect(w, r, wsURL(s, "/echo"), http.StatusMovedPermanently)
		case "/loop":
			http.Redirect(w, r, "/loop2", http.StatusFound)
		case "/loop2":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/https":
			http.Redirect(w, r, "https://"+r.Host+r.URL.Path, http.StatusMovedPermanently)
		default:
			echoServer(t).Config.Handler.ServeHTTP(w, r)
		}
	}))
	defer s.Close()
	e, _ := dialErr(t, Config{URL: wsURL(s, "/a")})
	if e.Class != ClassStatus || !strings.Contains(e.Hint, "-L") {
		t.Fatalf("not followed by default: %s", e.Line())
	}
	c, chain, err := Dial(context.Background(), Config{URL: wsURL(s, "/a"), Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Abort()
	drain(c)
	if len(chain) != 3 || chain[0].Status != 302 || chain[1].Status != 301 || chain[2].Status != 101 {
		t.Fatalf("chain %d", len(chain))
	}
	e, chain = dialErr(t, Config{URL: wsURL(s, "/loop"), Follow: true})
	if e.Class != ClassRedirect || !strings.Contains(e.Msg, "redirect loop") || len(chain) != 2 {
		t.Fatalf("%s (%d hops)", e.Line(), len(chain))
	}
	e, _ = dialErr(t, Config{URL: wsURL(s, "/https")})
	if !strings.Contains(e.Hint, "X-Forwarded-Proto") {
		t.Fatalf("https redirect hint: %s", e.Line())
	}
}

func TestBadAcceptAndMissingHeaders(t *testing.T) {
	rs := startRawServer(t, func(string) string {
		return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bogus\r\n\r\n"
	})
	e, chain := dialErr(t, Config{URL: rs.url("/")})
	if e.Class != ClassProtocol || chain[0].Checks.AcceptOK || !strings.Contains(e.Msg, "Sec-WebSocket-Accept") {
		t.Fatalf("%s %+v", e.Line(), chain[0].Checks)
	}
	rs = startRawServer(t, func(key string) string {
		return "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: " + acceptFor(key) + "\r\n\r\n"
	})
	e, chain = dialErr(t, Config{URL: rs.url("/")})
	if e.Class != ClassProtocol || chain[0].Checks.UpgradeOK || chain[0].Checks.ConnectionOK || !chain[0].Checks.AcceptOK {
		t.Fatalf("%s %+v", e.Line(), chain[0].Checks)
	}
}

func TestUnofferedSubprotocolIsRefused(t *testing.T) {
	rs := startRawServer(t, func(key string) string {
		return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			acceptFor(key) + "\r\nSec-WebSocket-Protocol: evil\r\n\r\n"
	})
	e, _ := dialErr(t, Config{URL: rs.url("/"), Subprotocols: []string{"good"}})
	if e.Class != ClassProtocol || !strings.Contains(e.Msg, `"evil"`) {
		t.Fatalf("%s", e.Line())
	}
}

func TestConnectToAndResolveKeepHost(t *testing.T) {
	s := echoServer(t)
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	c := dial(t, Config{URL: "ws://app.example.test:1234/", ConnectTo: []string{"app.example.test:1234:127.0.0.1:" + port}})
	if h := c.Handshake(); h.RequestHeader("Host") != "app.example.test:1234" || h.ConnectAddr != "127.0.0.1:"+port {
		t.Fatalf("Host %q dialed %q", h.RequestHeader("Host"), h.ConnectAddr)
	}
	c2 := dial(t, Config{URL: "ws://app.example.test:" + port + "/", Resolve: []string{"app.example.test:" + port + ":127.0.0.1"}})
	if h := c2.Handshake(); h.RequestHeader("Host") != "app.example.test:"+port || h.Timings.DNS != 0 {
		t.Fatalf("Host %q dns %v", h.RequestHeader("Host"), h.Timings.DNS)
	}
}

func TestBasicAuthFromUserinfo(t *testing.T) {
	got := make(chan string, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		w.WriteHeader(401)
	}))
	defer s.Close()
	u := strings.Replace(wsURL(s, "/"), "ws://", "ws://alice:s3cret@", 1)
	e, chain := dialErr(t, Config{URL: u})
	if a := <-got; a != "Basic YWxpY2U6czNjcmV0" {
		t.Fatalf("Authorization %q", a)
	}
	if strings.Contains(chain[0].URL, "s3cret") || strings.Contains(e.Line(), "s3cret") {
		t.Fatalf("password leaked: %s / %s", chain[0].URL, e.Line())
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://h/x":          "ws://h/x",
		"HTTPS://h:8443":      "wss://h:8443/",
		"h:9/p?q=1#frag":      "ws://h:9/p?q=1",
		"wss://[::1]:443/ws":  "wss://[::1]:443/ws",
		"ws://u:p@h/":         "ws://u:p@h/",
		"  ws://spaces/  ":    "ws://spaces/",
		"ws://h/a%20b?x=%2F1": "ws://h/a%20b?x=%2F1",
	} {
		u, err := NormalizeURL(in)
		if err != nil || u.String() != want {
			t.Errorf("NormalizeURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
}

func TestProxySelectionLikeCurl(t *testing.T) {
	env := map[string]string{"http_proxy": "127.0.0.1:3128", "HTTPS_PROXY": "http://secure:3128", "NO_PROXY": "internal.example, .corp, 10.0.0.0/8"}
	cfg := &Config{Getenv: func(k string) string { return env[k] }}
	cases := map[string]string{
		"ws://a.example/":         "http://127.0.0.1:3128",
		"wss://a.example/":        "http://secure:3128",
		"ws://internal.example/":  "",
		"ws://x.internal.example": "",
		"ws://host.corp/":         "",
		"ws://10.1.2.3/":          "",
		"ws://11.1.2.3/":          "http://127.0.0.1:3128",
	}
	for raw, want := range cases {
		u, _ := NormalizeURL(raw)
		p, err := selectProxy(cfg, u)
		got := ""
		if p != nil {
			got = p.String()
		}
		if err != nil || got != want {
			t.Errorf("%s: proxy %q, %v; want %q", raw, got, err, want)
		}
	}
	cfg.NoProxy = true
	u, _ := NormalizeURL("ws://a.example/")
	if p, _ := selectProxy(cfg, u); p != nil {
		t.Error("--no-proxy ignored")
	}
	env = map[string]string{"ALL_PROXY": "socks5h://127.0.0.1:1080", "no_proxy": "*"}
	cfg = &Config{Getenv: func(k string) string { return env[k] }}
	if p, _ := selectProxy(cfg, u); p != nil {
		t.Error("no_proxy=* ignored")
	}
	delete(env, "no_proxy")
	if p, _ := selectProxy(cfg, u); p == nil || p.Scheme != "socks5h" {
		t.Errorf("ALL_PROXY fallback: %v", p)
	}
}

func TestHugeOrEndlessResponseHeadsAreRefused(t *testing.T) {
	for name, resp := range map[string]string{
		"many headers": "HTTP/1.1 101 Switching Protocols\r\n" + strings.Repeat("X-A: b\r\n", 5000) + "\r\n",
		"huge header":  "HTTP/1.1 101 Switching Protocols\r\nX-Big: " + strings.Repeat("a", 3<<20) + "\r\n\r\n",
		"endless head": "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Endless: yes\r\n", 200000),
	} {
		rs := startRawServer(t, func(string) string { return resp })
		e, chain := dialErr(t, Config{URL: rs.url("/"), Timeout: 5 * time.Second})
		if e.Class != ClassProtocol || !strings.Contains(e.Msg, "refused the answer") {
			t.Errorf("%s: %s %s", name, e.Class, e.Line())
		}
		if n := len(chain[0].ResponseRaw); n > maxTapRecord {
			t.Errorf("%s: kept %d bytes of the head", name, n)
		}
	}
}
