package session

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/internal/testproxy"
	"github.com/wscope/wscope/internal/wstest"
)

func TestBrowserOrigin(t *testing.T) {
	for raw, want := range map[string]string{
		"ws://127.0.0.1:8765/echo":      "http://127.0.0.1:8765",
		"wss://Chat.Example.com/cable":  "https://chat.example.com",
		"wss://chat.example.com:443/x":  "https://chat.example.com",
		"ws://chat.example.com:80/x":    "http://chat.example.com",
		"wss://chat.example.com:8443/x": "https://chat.example.com:8443",
		"ws://user:pw@[::1]:3000/x":     "http://[::1]:3000",
	} {
		u, err := NormalizeURL(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := BrowserOrigin(u); got != want {
			t.Errorf("BrowserOrigin(%s) = %s, want %s", raw, got, want)
		}
	}
}

// originServer upgrades and reports the Origin values each request had.
func originServer(t *testing.T) (*httptest.Server, <-chan []string) {
	seen := make(chan []string, 8)
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Values("Origin")
		if c, err := up.Upgrade(w, r, nil); err == nil {
			c.Close()
		}
	}))
	t.Cleanup(s.Close)
	return s, seen
}

func TestOriginDefaultOverrideAndNoOrigin(t *testing.T) {
	s, seen := originServer(t)
	host := strings.TrimPrefix(s.URL, "http://")
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"default", Config{}, []string{"http://" + host}},
		{"--origin", Config{Origin: "https://app.example.com"}, []string{"https://app.example.com"}},
		{"--no-origin", Config{NoOrigin: true}, nil},
		{"-H origin", Config{Headers: []Header{{Name: "origin", Value: "https://h.example"}}}, []string{"https://h.example"}},
		{"-H Origin", Config{Headers: []Header{{Name: "Origin", Value: "https://h.example"}}}, []string{"https://h.example"}},
	}
	for _, c := range cases {
		c.cfg.URL = wsURL(s, "/")
		conn, chain, err := Dial(context.Background(), c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		conn.Abort()
		drain(conn)
		got := <-seen
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: server saw Origin %q, want %q", c.name, got, c.want)
		}
		if len(c.want) == 0 && chain[0].RequestHeader("Origin") != "" {
			t.Errorf("%s: the captured request has an Origin", c.name)
		}
	}
}

// deflateMessages compresses each message with one flate writer (context
// takeover) or a fresh one per message, as RFC 7692 frames it.
func deflateMessages(t *testing.T, msgs []string, takeover bool) [][]byte {
	var out [][]byte
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	for _, m := range msgs {
		if !takeover {
			buf.Reset()
			fw.Reset(&buf)
		}
		start := buf.Len()
		fw.Write([]byte(m))
		if err := fw.Flush(); err != nil {
			t.Fatal(err)
		}
		b := bytes.Clone(buf.Bytes()[start:])
		if !bytes.HasSuffix(b, []byte{0, 0, 0xff, 0xff}) {
			t.Fatal("flush did not end in an empty stored block")
		}
		out = append(out, b[:len(b)-4])
	}
	return out
}

// serverFrame is an unmasked frame.
func serverFrame(b0 byte, payload []byte) []byte {
	var h []byte
	switch n := len(payload); {
	case n < 126:
		h = []byte{b0, byte(n)}
	case n <= 0xffff:
		h = []byte{b0, 126, 0, 0}
		binary.BigEndian.PutUint16(h[2:], uint16(n))
	default:
		h = make([]byte, 10)
		h[0], h[1] = b0, 127
		binary.BigEndian.PutUint64(h[2:], uint64(n))
	}
	return append(h, payload...)
}

func TestCompressChromeOfferWithContextTakeover(t *testing.T) {
	msgs := []string{strings.Repeat("hello websocket ", 40), strings.Repeat("hello websocket ", 40), "fragmented message, compressed"}
	comp := deflateMessages(t, msgs, true)
	srv := wstest.Start(t, func(key string) string {
		return wstest.Upgrade101(key, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15")
	}, func(c net.Conn) {
		var out []byte
		out = append(out, serverFrame(0x80|0x40|1, comp[0])...)
		out = append(out, serverFrame(0x80|0x40|1, comp[1])...)
		half := len(comp[2]) / 2
		out = append(out, serverFrame(0x40|1, comp[2][:half])...)        // first fragment, RSV1
		out = append(out, serverFrame(0x80|9, []byte("mid"))...)         // a ping in between
		out = append(out, serverFrame(0x80|0, comp[2][half:])...)        // last fragment
		out = append(out, serverFrame(0x80|1, []byte("plain after"))...) // uncompressed
		for i := 0; i < len(out); i += 7 {                               // dribble it to cross frame boundaries
			c.Write(out[i:min(i+7, len(out))])
		}
		time.Sleep(300 * time.Millisecond)
	})
	conn, chain, err := Dial(context.Background(), Config{URL: "ws://" + srv.Addr + "/", Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { conn.Abort(); drain(conn) }()
	head := <-srv.Head
	if !strings.Contains(head, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n") {
		t.Fatalf("offer is not Chrome's:\n%s", head)
	}
	if got := chain[0].ResponseHeader("Sec-WebSocket-Extensions"); !strings.HasPrefix(got, "permessage-deflate") {
		t.Fatalf("the capture lost the negotiated extension: %q", got)
	}
	want := append(msgs, "plain after")
	for i, w := range want {
		f, _ := next(t, conn, is(Recv, OpText))
		if string(f.Payload) != w {
			t.Fatalf("message %d = %q, want %q", i, f.Payload, w)
		}
	}
}

func TestCompressOfferCustomAndBomb(t *testing.T) {
	big := strings.Repeat("a", 200<<10)
	comp := deflateMessages(t, []string{big}, false)
	srv := wstest.Start(t, func(key string) string {
		return wstest.Upgrade101(key, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover")
	}, func(c net.Conn) {
		c.Write(serverFrame(0x80|0x40|2, comp[0]))
		time.Sleep(300 * time.Millisecond)
	})
	offer := "permessage-deflate; client_no_context_takeover"
	conn, _, err := Dial(context.Background(), Config{URL: "ws://" + srv.Addr + "/", CompressOffer: offer, MaxMessageSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if head := <-srv.Head; !strings.Contains(head, "Sec-WebSocket-Extensions: "+offer+"\r\n") {
		t.Fatalf("custom offer not sent:\n%s", head)
	}
	sc, _ := closedState(t, conn)
	if sc.Cause != CauseTooBig {
		t.Fatalf("a 200 KiB message inflated past a 64 KiB limit: %v %s", sc.Cause, sc.Detail)
	}
}

func TestProtocolErrorKeepsTheBytesAfter101(t *testing.T) {
	srv := wstest.Start(t, func(key string) string {
		return wstest.Upgrade101(key) + "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\n\r\n" + strings.Repeat("x", 400)
	}, func(c net.Conn) { time.Sleep(200 * time.Millisecond) })
	conn := dial(t, Config{URL: "ws://" + srv.Addr + "/socket.io/?EIO=3&transport=websocket"})
	sc, _ := closedState(t, conn)
	if sc.Cause != CauseProtocol || !bytes.HasPrefix(sc.Raw, []byte("HTTP/1.1 400 Bad Request\r\n")) || len(sc.Raw) != MaxAfterHead {
		t.Fatalf("cause %v, raw %q (%d bytes)", sc.Cause, sc.Raw, len(sc.Raw))
	}
}

func TestSOCKS5RepliesAreRecorded(t *testing.T) {
	target := startRawServer(t, func(k string) string { return wstest.Upgrade101(k) })
	_, port, _ := net.SplitHostPort(target.Addr)
	p, _ := strconv.Atoi(port)
	deny, err := testproxy.StartSOCKS5(testproxy.SOCKS5Options{DenyPorts: []int{p}})
	if err != nil {
		t.Fatal(err)
	}
	defer deny.Close()
	_, chain := dialErr(t, Config{URL: target.url("/"), Proxy: "socks5://" + deny.Addr()})
	px := chain[0].Proxy
	if px.Socks == nil || px.Socks.Method != 0 || px.Socks.Reply != 2 || !strings.Contains(px.Response, "not allowed by ruleset") {
		t.Fatalf("ruleset refusal: %+v %q", px.Socks, px.Response)
	}
	auth, err := testproxy.StartSOCKS5(testproxy.SOCKS5Options{User: "u", Pass: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	_, chain = dialErr(t, Config{URL: target.url("/"), Proxy: "socks5://" + auth.Addr()})
	if s := chain[0].Proxy.Socks; s == nil || s.Method != 0xff || s.Reply != -1 {
		t.Fatalf("auth required: %+v", s)
	}
}

// chainServer serves cert on 127.0.0.1 and answers every upgrade.
func chainServer(t *testing.T, cert tls.Certificate) string {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := up.Upgrade(w, r, nil); err == nil {
			c.Close()
		}
	}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.Config.ErrorLog = nil
	s.StartTLS()
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	return "wss://" + u.Host + "/"
}

// chainCerts makes a root, an intermediate and a leaf for 127.0.0.1.
func chainCerts(t *testing.T) (rootPEM []byte, leafOnly, full tls.Certificate) {
	mk := func(tmpl, parent *x509.Certificate, pub any, signer *ecdsa.PrivateKey) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	key := func() *ecdsa.PrivateKey { k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader); return k }
	now := time.Now()
	rk, ik, lk := key(), key(), key()
	rootT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test root"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	root := mk(rootT, rootT, &rk.PublicKey, rk)
	interT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "test intermediate"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	inter := mk(interT, root, &ik.PublicKey, rk)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IssuingCertificateURL: []string{"http://ca.example/intermediate.crt"}}
	leaf := mk(leafT, inter, &lk.PublicKey, ik)
	leafOnly = tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: lk}
	full = tls.Certificate{Certificate: [][]byte{leaf.Raw, inter.Raw}, PrivateKey: lk}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), leafOnly, full
}

func TestIncompleteChainIsReported(t *testing.T) {
	rootPEM, leafOnly, full := chainCerts(t)
	ca := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(ca, rootPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	_, chain := dialErr(t, Config{URL: chainServer(t, leafOnly), CACertFile: ca})
	info := chain[0].TLS
	if info == nil || !info.ChainIncomplete || info.MissingIssuer != "CN=test intermediate" || info.IssuerURL != "http://ca.example/intermediate.crt" {
		t.Fatalf("leaf only: %+v", info)
	}
	conn, chain, err := Dial(context.Background(), Config{URL: chainServer(t, full), CACertFile: ca})
	if err != nil {
		t.Fatalf("full chain: %v", err)
	}
	conn.Abort()
	drain(conn)
	if chain[0].TLS.ChainIncomplete {
		t.Fatal("a full chain is reported incomplete")
	}
	// A self-signed certificate is untrusted but not incomplete.
	self := startSelfSigned(t)
	_, chain = dialErr(t, Config{URL: self})
	if chain[0].TLS == nil || chain[0].TLS.ChainIncomplete {
		t.Fatalf("self-signed: %+v", chain[0].TLS)
	}
}

func startSelfSigned(t *testing.T) string {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "self"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return chainServer(t, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k})
}

// The tap keeps the bytes after the head even once recording stops.
func TestTapKeepsBytesAfterHead(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	tap := newTap(a)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.Write([]byte("HTTP/1.1 101 OK\r\n\r\nab"))
		b.Write([]byte("cd"))
		b.Close()
	}()
	buf := make([]byte, 64)
	tap.Read(buf)
	tap.stopRecording()
	tap.Read(buf)
	wg.Wait()
	if got := string(tap.afterHead()); got != "abcd" {
		t.Fatalf("after head: %q", got)
	}
}

// An upgrade that gets no response head is followed by a plain GET of the
// same URL, whose answer names who holds the 101 (nginx with ssi on).
func TestNoResponseHeadFetchesAPlainGet(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				buf := make([]byte, 4096)
				n, _ := c.Read(buf)
				if bytes.Contains(buf[:n], []byte("Upgrade: websocket")) {
					<-done // holds the upgrade, like nginx's SSI filter
					return
				}
				c.Write([]byte("HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n"))
			}(c)
		}
	}()
	e, chain := dialErr(t, Config{URL: "ws://" + ln.Addr().String() + "/websocket?x=1", Timeout: 300 * time.Millisecond})
	pg := chain[0].PlainGet
	if !e.NoResponseHead || pg == nil || pg.ResponseHeader("Server") != "nginx/1.22.1" || pg.Status != 400 ||
		pg.RequestLine != "GET /websocket?x=1 HTTP/1.1" || pg.RequestHeader("Upgrade") != "" {
		t.Fatalf("no response head %v, plain GET %+v", e.NoResponseHead, pg)
	}
	// A connect failure makes no follow-up request.
	_, chain = dialErr(t, Config{URL: "ws://127.0.0.1:1/", Timeout: 300 * time.Millisecond})
	if chain[0].PlainGet != nil {
		t.Fatal("a refused connection got a plain GET")
	}
}

func TestPlainGetExported(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Via", "1.1 varnish (Varnish/7.1)")
		w.WriteHeader(404)
	}))
	defer s.Close()
	h, err := PlainGet(context.Background(), Config{URL: wsURL(s, "/ws"), UserAgent: "wscope-test"})
	if err != nil || h == nil || h.Status != 404 || h.ResponseHeader("Via") != "1.1 varnish (Varnish/7.1)" || h.RequestHeader("User-Agent") != "wscope-test" {
		t.Fatalf("%+v %v", h, err)
	}
	if _, err := PlainGet(context.Background(), Config{URL: "ftp://x"}); err == nil {
		t.Fatal("a bad URL was accepted")
	}
}
