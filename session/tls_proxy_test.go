package session

import (
	"crypto/tls"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/internal/testca"
	"github.com/wscope/wscope/internal/testproxy"
)

// tlsServer is echoServer over TLS with a certificate from ca for names.
func tlsServer(t *testing.T, cert tls.Certificate, clientCAs *testca.CA) *httptest.Server {
	t.Helper()
	plain := echoServer(t)
	s := httptest.NewUnstartedServer(plain.Config.Handler)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	if clientCAs != nil {
		s.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		s.TLS.ClientCAs = clientCAs.Pool()
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func newCA(t *testing.T) (*testca.CA, string) {
	t.Helper()
	ca, err := testca.New("wscope test CA")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := ca.WriteCertPEM(path); err != nil {
		t.Fatal(err)
	}
	return ca, path
}

func leaf(t *testing.T, ca *testca.CA, names []string, notAfter time.Time) tls.Certificate {
	t.Helper()
	c, err := ca.Leaf("wscope test server", names, time.Now().Add(-time.Hour), notAfter, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wssURL(s *httptest.Server, host string) string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return "wss://" + host + ":" + port + "/"
}

func TestTLSWithTestCA(t *testing.T) {
	ca, caFile := newCA(t)
	s := tlsServer(t, leaf(t, ca, []string{"localhost", "127.0.0.1"}, time.Now().Add(time.Hour)), nil)
	c := dial(t, Config{URL: wssURL(s, "localhost"), CACertFile: caFile, Resolve: []string{"localhost:" + s.URL[strings.LastIndex(s.URL, ":")+1:] + ":127.0.0.1"}})
	info := c.Handshake().TLS
	if info == nil || !info.Verified || info.SNI != "localhost" || info.Version == "" || info.Cipher == "" || info.ALPN != "" && info.ALPN != "http/1.1" {
		t.Fatalf("tls info %+v", info)
	}
	if len(info.Chain) != 2 || !strings.Contains(info.Chain[0].Subject, "wscope test server") || !strings.Contains(info.Chain[1].Subject, "wscope test CA") {
		t.Fatalf("chain %+v", info.Chain)
	}
	if c.Handshake().Timings.TLS <= 0 {
		t.Fatal("TLS time not measured")
	}
	c.SendText("over tls")
	if f, _ := next(t, c, is(Recv, OpText)); string(f.Payload) != "over tls" {
		t.Fatalf("echo %q", f.Payload)
	}
}

func TestTLSFailuresNameTheCertificate(t *testing.T) {
	ca, caFile := newCA(t)
	good := tlsServer(t, leaf(t, ca, []string{"127.0.0.1"}, time.Now().Add(time.Hour)), nil)
	expired := tlsServer(t, leaf(t, ca, []string{"127.0.0.1"}, time.Now().Add(-time.Minute)), nil)

	e, chain := dialErr(t, Config{URL: wssURL(good, "127.0.0.1")}) // system roots: unknown authority
	if e.Class != ClassTLS || !strings.Contains(e.Msg, "unknown authority") || !strings.Contains(e.Msg, "issuer CN=wscope test CA") ||
		!strings.Contains(e.Hint, "--cacert") || !strings.Contains(e.Hint, "--insecure") {
		t.Fatalf("unknown CA: %s", e.Line())
	}
	if info := chain[0].TLS; info == nil || info.Verified || len(info.Chain) == 0 {
		t.Fatalf("chain not recorded on failure: %+v", info)
	}
	port := good.URL[strings.LastIndex(good.URL, ":")+1:]
	e, _ = dialErr(t, Config{URL: "wss://wrong.example:" + port + "/", CACertFile: caFile, Resolve: []string{"wrong.example:" + port + ":127.0.0.1"}})
	if e.Class != ClassTLS || !strings.Contains(e.Msg, "does not match the name") || !strings.Contains(e.Hint, "--connect-to") {
		t.Fatalf("name mismatch: %s", e.Line())
	}
	e, _ = dialErr(t, Config{URL: wssURL(expired, "127.0.0.1"), CACertFile: caFile})
	if e.Class != ClassTLS || !strings.Contains(e.Msg, "expired") {
		t.Fatalf("expired: %s", e.Line())
	}
	// --insecure connects anyway and still reports the failed verification.
	c := dial(t, Config{URL: wssURL(expired, "127.0.0.1"), Insecure: true})
	if info := c.Handshake().TLS; info.Verified || !info.Insecure || !strings.Contains(info.VerifyError, "expired") {
		t.Fatalf("insecure info %+v", info)
	}
	// wss:// to a plain port.
	plain := echoServer(t)
	e, _ = dialErr(t, Config{URL: strings.Replace(wsURL(plain, "/"), "ws://", "wss://", 1)})
	if e.Class != ClassTLS || !strings.Contains(e.Hint, "ws://") {
		t.Fatalf("plain port: %s", e.Line())
	}
}

func TestMutualTLS(t *testing.T) {
	ca, caFile := newCA(t)
	s := tlsServer(t, leaf(t, ca, []string{"127.0.0.1"}, time.Now().Add(time.Hour)), ca)
	e, _ := dialErr(t, Config{URL: wssURL(s, "127.0.0.1"), CACertFile: caFile})
	if e.Class != ClassTLS && e.Class != ClassNetwork {
		t.Fatalf("no client cert: %s %s", e.Class, e.Line())
	}
	client, err := ca.Leaf("wscope client", nil, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), true)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := testca.WriteKeyPair(client, certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	c := dial(t, Config{URL: wssURL(s, "127.0.0.1"), CACertFile: caFile, CertFile: certFile, KeyFile: keyFile})
	if !c.Handshake().Upgraded() {
		t.Fatal("mTLS handshake not upgraded")
	}
}

func TestHTTPConnectProxy(t *testing.T) {
	s := echoServer(t)
	p, err := testproxy.StartHTTPConnect(testproxy.HTTPConnectOptions{User: "u", Pass: "p w"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	e, chain := dialErr(t, Config{URL: wsURL(s, "/"), Proxy: p.URL()})
	if e.Class != ClassProxy || !strings.Contains(e.Msg, "407") || !strings.Contains(e.Hint, "USER:PASS") {
		t.Fatalf("no credentials: %s", e.Line())
	}
	if ex := chain[0].Proxy; ex == nil || ex.Status != 407 || !strings.HasPrefix(ex.Request, "CONNECT 127.0.0.1:") {
		t.Fatalf("exchange %+v", ex)
	}
	withAuth := strings.Replace(p.URL(), "://", "://u:p%20w@", 1)
	c := dial(t, Config{URL: wsURL(s, "/"), Proxy: withAuth})
	hs := c.Handshake()
	if hs.Proxy == nil || hs.Proxy.Status != 200 || !strings.Contains(hs.Proxy.Request, "Proxy-Authorization: Basic") || hs.Timings.ProxyConnect <= 0 {
		t.Fatalf("proxied handshake %+v", hs.Proxy)
	}
	if strings.Contains(hs.Proxy.Proxy, "p%20w") || strings.Contains(hs.Proxy.Proxy, "p w") {
		t.Fatalf("proxy password not redacted: %s", hs.Proxy.Proxy)
	}
	c.SendText("via proxy")
	if f, _ := next(t, c, is(Recv, OpText)); string(f.Payload) != "via proxy" {
		t.Fatalf("echo %q", f.Payload)
	}
	reqs := p.Requests()
	if len(reqs) != 2 || !strings.HasPrefix(reqs[1], "CONNECT "+s.Listener.Addr().String()) {
		t.Fatalf("proxy saw %v", reqs)
	}
}

func TestHTTPConnectProxyDeniesPort(t *testing.T) {
	s := echoServer(t)
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	var portNum int
	for _, c := range port {
		portNum = portNum*10 + int(c-'0')
	}
	p, err := testproxy.StartHTTPConnect(testproxy.HTTPConnectOptions{DenyPorts: []int{portNum}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	e, _ := dialErr(t, Config{URL: wsURL(s, "/"), Proxy: p.URL()})
	if e.Class != ClassProxy || !strings.Contains(e.Msg, "403") || !strings.Contains(e.Hint, "SSL_ports") {
		t.Fatalf("%s", e.Line())
	}
}

func TestHTTPSProxyAndWSSThroughIt(t *testing.T) {
	ca, caFile := newCA(t)
	proxyCert := leaf(t, ca, []string{"127.0.0.1"}, time.Now().Add(time.Hour))
	p, err := testproxy.StartHTTPConnect(testproxy.HTTPConnectOptions{TLSCert: &proxyCert})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := tlsServer(t, leaf(t, ca, []string{"127.0.0.1"}, time.Now().Add(time.Hour)), nil)
	c := dial(t, Config{URL: wssURL(s, "127.0.0.1"), Proxy: p.URL(), CACertFile: caFile})
	hs := c.Handshake()
	if !strings.HasPrefix(p.URL(), "https://") || hs.Proxy == nil || hs.TLS == nil || !hs.TLS.Verified {
		t.Fatalf("https proxy: %s %+v %+v", p.URL(), hs.Proxy, hs.TLS)
	}
}

func TestSOCKS5AndSOCKS5h(t *testing.T) {
	s := echoServer(t)
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	p, err := testproxy.StartSOCKS5(testproxy.SOCKS5Options{User: "alice", Pass: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	withAuth := func(scheme string) string {
		return scheme + "://alice:secret@" + p.Addr()
	}
	url := "ws://localhost:" + port + "/"
	// socks5: wscope resolves the name; the proxy sees an address.
	c := dial(t, Config{URL: url, Proxy: withAuth("socks5"), Resolve: []string{"localhost:" + port + ":127.0.0.1"}})
	if c.Handshake().Proxy.Kind != "socks5" || c.Handshake().RequestHeader("Host") != "localhost:"+port {
		t.Fatalf("socks5 handshake %+v", c.Handshake().Proxy)
	}
	// socks5h: the proxy resolves the name.
	c2 := dial(t, Config{URL: url, Proxy: withAuth("socks5h")})
	c2.SendText("via socks")
	if f, _ := next(t, c2, is(Recv, OpText)); string(f.Payload) != "via socks" {
		t.Fatalf("echo %q", f.Payload)
	}
	targets := p.Targets()
	if len(targets) != 2 || targets[0] != "127.0.0.1:"+port || targets[1] != "localhost:"+port {
		t.Fatalf("SOCKS targets %v: socks5 must send an address, socks5h the name", targets)
	}
	e, _ := dialErr(t, Config{URL: url, Proxy: "socks5h://alice:wrong@" + p.Addr()})
	if e.Class != ClassProxy || !strings.Contains(e.Hint, "credentials") {
		t.Fatalf("bad SOCKS credentials: %s", e.Line())
	}
}

func TestProxyRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	e, _ := dialErr(t, Config{URL: "ws://127.0.0.1:1/", Proxy: "http://" + addr})
	if e.Class != ClassRefused || !strings.Contains(e.Msg, "refused by proxy "+addr) {
		t.Fatalf("%s", e.Line())
	}
}
