package realproxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"encoding/binary"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"golang.org/x/net/http2/hpack"

	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/internal/testca"
)

// Servers for WebSockets over HTTP/2 (RFC 8441: an extended CONNECT with
// :protocol websocket, answered 200, allowed only after the server's
// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1), each over TLS on 127.0.0.1 with a
// certificate from a fresh test CA, offering h2 and http/1.1 by ALPN:
//
//   - HAProxyH2: HAProxy in front of wscope serve (HTTP/1.1). Works.
//   - HAProxyH2Backend: HAProxy in front of an h2c server without RFC 8441.
//     HAProxy advertises the setting but cannot forward the CONNECT.
//   - ApacheH2: Apache with H2WebSockets on in front of wscope serve. Works.
//   - NginxH2: nginx with HTTP/2 in front of wscope serve. No RFC 8441.
//
// The apps (a Go origin, Node's http2) are in internal/realapp. What each
// one sends is written down in its test (h2_test.go).

// The configuration templates (testdata), embedded so that a fixture works
// from any package's test.
var (
	//go:embed testdata/h2-haproxy.cfg.tmpl
	h2HAProxyTemplate string
	//go:embed testdata/h2-httpd.conf.tmpl
	h2ApacheTemplate string
	//go:embed testdata/h2-nginx.conf.tmpl
	h2NginxTemplate string
	//go:embed testdata/h2-h2o.conf.tmpl
	h2H2OTemplate string
)

// H2Server is a server for tests of WebSockets over HTTP/2, listening with
// TLS on 127.0.0.1.
type H2Server struct {
	Name   string // what it is, for messages ("HAProxy → wscope serve")
	Addr   string // 127.0.0.1:port
	URL    string // wss://127.0.0.1:port/echo, a WebSocket echo endpoint
	CAFile string // PEM file of the CA that verifies the server's certificate
	// Proc is the server's process (Output, File), nil when it runs in the
	// test's process.
	Proc *Proxy
	// Backend is the address the proxy forwards to, "" for an app.
	Backend string
	// BackendRequests, when set, lists what the in-process backend received,
	// one "METHOD PATH PROTO [:protocol=…]" line per request, and what it
	// logged ("error: http2: server connection error …").
	BackendRequests func() []string
}

// H2Cert is a server certificate for 127.0.0.1 and localhost from a fresh
// test CA, as PEM files.
type H2Cert struct {
	Cert   string // the certificate chain, leaf first
	Key    string // its private key (PKCS #8)
	Bundle string // Cert then Key in one file (HAProxy's crt)
	CA     string // the CA's root certificate
}

// NewH2Cert writes a certificate for 127.0.0.1 and localhost, issued by a
// new test CA, into dir.
func NewH2Cert(t testing.TB, dir string) H2Cert {
	t.Helper()
	ca, err := testca.New("wscope h2 test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Leaf("127.0.0.1", []string{"127.0.0.1", "localhost"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	c := H2Cert{Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem"),
		Bundle: filepath.Join(dir, "bundle.pem"), CA: filepath.Join(dir, "ca.pem")}
	if err := testca.WriteKeyPair(leaf, c.Cert, c.Key); err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteCertPEM(c.CA); err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile(c.Cert)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(c.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.Bundle, append(cert, key...), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// NewH2Server describes a server listening with TLS on addr whose
// certificate ca verifies; its echo endpoint is echoPath.
func NewH2Server(name, addr, echoPath, ca string) *H2Server {
	return &H2Server{Name: name, Addr: addr, URL: "wss://" + addr + echoPath, CAFile: ca}
}

// wscopeServeAddr starts wscope serve (HTTP/1.1, /echo) and returns its
// host:port.
func wscopeServeAddr(t *testing.T) string {
	t.Helper()
	return strings.TrimPrefix(servetest.Start(t).URL(""), "ws://")
}

// HAProxyH2 starts HAProxy (2.4+) terminating TLS with `alpn h2,http/1.1`
// in front of wscope serve: HAProxy advertises ENABLE_CONNECT_PROTOCOL and
// turns an extended CONNECT into an HTTP/1.1 Upgrade to the app (and the
// app's 101 into a 200). /echo echoes.
func HAProxyH2(t *testing.T) *H2Server {
	t.Helper()
	backend := wscopeServeAddr(t)
	return haproxyH2(t, "HAProxy (h2) → wscope serve (HTTP/1.1)", backend, "")
}

// HAProxyH2Backend starts HAProxy as HAProxyH2 does, but its server line
// says `proto h2`: it speaks HTTP/2 with prior knowledge to an in-process
// Go h2c server (x/net/http2/h2c) that does not support RFC 8441 (no
// ENABLE_CONNECT_PROTOCOL: x/net's default without GODEBUG=http2xconnect=1).
// HAProxy still advertises the setting to the client, so a client may send
// the extended CONNECT, which HAProxy cannot forward. Other requests reach
// the backend, which answers 200 "h2c backend: METHOD PATH PROTO".
func HAProxyH2Backend(t *testing.T) *H2Server {
	t.Helper()
	backend, requests := h2cBackend(t)
	s := haproxyH2(t, "HAProxy (h2) → Go h2c without RFC 8441 (proto h2)", backend, "h2")
	s.BackendRequests = requests
	return s
}

// HAProxyH2To starts HAProxy as HAProxyH2 does in front of the HTTP/1.1
// app at backend (host:port), whose WebSocket path is path.
func HAProxyH2To(t *testing.T, backend, path string) *H2Server {
	t.Helper()
	s := haproxyH2(t, "HAProxy (h2) → "+backend+" (HTTP/1.1)", backend, "")
	s.URL = strings.TrimSuffix(s.URL, "/echo") + path
	return s
}

func haproxyH2(t *testing.T, name, backend, proto string) *H2Server {
	t.Helper()
	cert := NewH2Cert(t, t.TempDir())
	p := HAProxy(t, h2HAProxyTemplate, map[string]string{"pem": cert.Bundle, "upstream": backend, "proto": proto})
	s := NewH2Server(name, p.Addr, "/echo", cert.CA)
	s.Proc, s.Backend = p, backend
	return s
}

// ApacheH2 starts Apache httpd (mod_ssl, mod_http2 with `Protocols h2
// http/1.1` and `H2WebSockets on`) in front of wscope serve, proxied by
// mod_proxy_http with upgrade=websocket. /echo echoes.
func ApacheH2(t *testing.T) *H2Server {
	t.Helper()
	backend := wscopeServeAddr(t)
	dir := PublicDir(t)
	cert := NewH2Cert(t, dir)
	p := Apache(t, h2ApacheTemplate, map[string]string{"cert": cert.Cert, "key": cert.Key,
		"upstream": backend, "websockets": "on", "loglevel": "warn"})
	s := NewH2Server("Apache (mod_http2, H2WebSockets on) → wscope serve", p.Addr, "/echo", cert.CA)
	s.Proc, s.Backend = p, backend
	return s
}

// NginxH2 starts nginx over TLS with HTTP/2 (`listen … ssl http2`) in
// front of wscope serve, with the upgrade headers for HTTP/1.1 clients.
// nginx has no RFC 8441: it does not advertise ENABLE_CONNECT_PROTOCOL,
// so only HTTP/1.1 reaches /echo.
func NginxH2(t *testing.T) *H2Server {
	t.Helper()
	backend := wscopeServeAddr(t)
	cert := NewH2Cert(t, t.TempDir())
	p := Nginx(t, h2NginxTemplate, map[string]string{"cert": cert.Cert, "key": cert.Key, "upstream": backend})
	s := NewH2Server("nginx (http2) → wscope serve", p.Addr, "/echo", cert.CA)
	s.Proc, s.Backend = p, backend
	return s
}

// H2OH2 starts h2o over TLS (HTTP/2 by ALPN) in front of wscope serve.
// h2o 2.2 has no RFC 8441: it does not advertise the setting, and a
// CONNECT sent anyway gets a GOAWAY that ends the whole connection.
func H2OH2(t *testing.T) *H2Server {
	t.Helper()
	backend := wscopeServeAddr(t)
	cert := NewH2Cert(t, PublicDir(t))
	p := H2O(t, h2H2OTemplate, map[string]string{"cert": cert.Cert, "key": cert.Key, "upstream": backend})
	s := NewH2Server("h2o (http2) → wscope serve", p.Addr, "/echo", cert.CA)
	s.Proc, s.Backend = p, backend
	return s
}

// writerFunc is an io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// h2cBackend serves HTTP/2 with prior knowledge (and HTTP/1.1) on a free
// 127.0.0.1 port with x/net/http2 as configured by default, that is
// without extended CONNECT, until the test ends. It returns the address
// and the log of requests.
func h2cBackend(t *testing.T) (string, func() []string) {
	t.Helper()
	// x/net reads GODEBUG once, at init: with http2xconnect=1 in the
	// environment this server would advertise RFC 8441.
	if strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1") {
		t.Fatal("GODEBUG has http2xconnect=1: the h2c backend without RFC 8441 would support it")
	}
	var mu sync.Mutex
	var seen []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line := fmt.Sprintf("%s %s %s", r.Method, r.URL.RequestURI(), r.Proto)
		if p := r.Header.Get(":protocol"); p != "" {
			line += " :protocol=" + p
		}
		mu.Lock()
		seen = append(seen, line)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "h2c backend: %s %s %s\n", r.Method, r.URL.RequestURI(), r.Proto)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errorLog := log.New(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, "error: "+strings.TrimSpace(string(p)))
		return len(p), nil
	}), "", 0)
	srv := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{}), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errorLog}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// What a client sees. The helpers below are the client side of the smoke
// tests, shared by realproxy's and realapp's: x/net/http2's Transport for
// the normal path and a bare http2.Framer to see what the Transport hides
// (the SETTINGS as sent, RST_STREAM and GOAWAY codes).

// TLSConfig is a client configuration that trusts the server's CA and
// offers protos by ALPN.
func (s *H2Server) TLSConfig(t testing.TB, protos ...string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s: no certificate in %s", s.Name, s.CAFile)
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	return &tls.Config{RootCAs: pool, ServerName: host, NextProtos: protos}
}

// DialTLS connects to the server with TLS offering protos, verifying its
// certificate; the connection closes when the test ends.
func (s *H2Server) DialTLS(t testing.TB, protos ...string) *tls.Conn {
	t.Helper()
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: s.TLSConfig(t, protos...)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*tls.Conn)
}

// Connect opens an HTTP/2 connection with x/net/http2's Transport and
// sends an extended CONNECT for path (:protocol websocket,
// Sec-WebSocket-Version 13) whose request body is the client's side of
// the stream. err is the Transport's: "extended connect not supported by
// peer" when the server's first SETTINGS lacked ENABLE_CONNECT_PROTOCOL,
// or a stream error for a RST_STREAM. On success res.Body is the server's
// side and w the client's. Everything ends with the test (or after 20 s).
func (s *H2Server) Connect(t testing.TB, path string) (res *http.Response, w io.WriteCloser, err error) {
	t.Helper()
	conn := s.DialTLS(t, "h2")
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("%s: ALPN chose %q, not h2", s.Name, p)
	}
	cc, err := (&http2.Transport{}).NewClientConn(conn)
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	t.Cleanup(func() { cc.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	req, err := http.NewRequestWithContext(ctx, http.MethodConnect, "https://"+s.Addr+path, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(":protocol", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	res, err = cc.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { res.Body.Close() })
	return res, pw, nil
}

// ExpectH2Echo sends an extended CONNECT for the server's echo endpoint,
// requires a 200, writes msg as one masked text frame into the stream and
// requires it back as an unmasked text frame. It returns the response.
func (s *H2Server) ExpectH2Echo(t testing.TB, msg string) *http.Response {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	res, w, err := s.Connect(t, u.RequestURI())
	if err != nil {
		t.Fatalf("%s: extended CONNECT %s: %v", s.Name, u.Path, err)
	}
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		t.Fatalf("%s: extended CONNECT %s: %s, want 200\n%s", s.Name, u.Path, res.Status, body)
	}
	if _, err := w.Write(WSFrame(1, []byte(msg), true)); err != nil {
		t.Fatalf("%s: writing a frame into the stream: %v", s.Name, err)
	}
	expectEcho(t, s.Name, res.Body, msg)
	return res
}

// ExpectHTTP1Echo does the same over HTTP/1.1 (ALPN http/1.1, GET with
// Upgrade: websocket): it requires a 101 and the echo, and returns the
// response head.
func (s *H2Server) ExpectHTTP1Echo(t testing.TB, msg string) *http.Response {
	t.Helper()
	res, conn := s.HTTP1Upgrade(t)
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("%s: HTTP/1.1 upgrade: %s, want 101", s.Name, res.Status)
	}
	if _, err := conn.Write(WSFrame(1, []byte(msg), true)); err != nil {
		t.Fatal(err)
	}
	expectEcho(t, s.Name, conn, msg)
	return res
}

// HTTP1Upgrade sends a WebSocket upgrade (GET, Upgrade: websocket) for
// the echo endpoint over HTTP/1.1 (ALPN http/1.1). It returns the
// response, whose Body reads a non-101 answer's body, and the connection
// (what follows the head, and the writer) for the frames after a 101.
func (s *H2Server) HTTP1Upgrade(t testing.TB) (*http.Response, io.ReadWriter) {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn := s.DialTLS(t, "http/1.1")
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", u.RequestURI(), s.Addr)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%s: HTTP/1.1 upgrade: %v", s.Name, err)
	}
	return res, struct {
		io.Reader
		io.Writer
	}{br, conn}
}

func expectEcho(t testing.TB, name string, r io.Reader, msg string) {
	t.Helper()
	op, payload, masked, err := ReadWSFrame(r)
	if err != nil {
		t.Fatalf("%s: reading the echo: %v", name, err)
	}
	if op != 1 || string(payload) != msg || masked {
		t.Fatalf("%s: echo: opcode %d masked %v %q, want an unmasked text frame %q", name, op, masked, payload, msg)
	}
}

// WSFrame encodes one final WebSocket frame with opcode op (RFC 6455
// 5.2), masked as a client must mask (with a fixed key: this is a test).
func WSFrame(op byte, payload []byte, masked bool) []byte {
	b := []byte{0x80 | op}
	bit := byte(0)
	if masked {
		bit = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b = append(b, bit|byte(n))
	case n < 1<<16:
		b = append(b, bit|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, bit|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if !masked {
		return append(b, payload...)
	}
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	b = append(b, key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i%4])
	}
	return b
}

// ReadWSFrame reads one WebSocket frame (of at most 1 MiB) and unmasks it.
func ReadWSFrame(r io.Reader) (op byte, payload []byte, masked bool, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, false, err
	}
	op, masked = h[0]&0x0f, h[1]&0x80 != 0
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return 0, nil, false, err
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return 0, nil, false, err
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	if n > 1<<20 {
		return 0, nil, false, fmt.Errorf("a frame of %d bytes", n)
	}
	var key [4]byte
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return 0, nil, false, err
		}
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, false, err
	}
	if masked {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return op, payload, masked, nil
}

// H2Answer is what a server sent, frame by frame, on a connection where
// the client sent an extended CONNECT whatever the server's SETTINGS said.
type H2Answer struct {
	ALPN     string          // the protocol TLS negotiated
	Settings []http2.Setting // the server's first SETTINGS frame, in its order
	// ConnectProtocol is whether that frame had ENABLE_CONNECT_PROTOCOL = 1.
	ConnectProtocol bool
	Status          int         // :status of the answer, 0 when none came
	Header          http.Header // the answer's other fields
	Body            string      // its DATA up to END_STREAM (at most 4 KiB); not read after a 2xx
	Reset           *http2.ErrCode
	GoAway          *H2GoAway
	// End is why reading stopped: "answer" (a 2xx HEADERS or a complete
	// answer), "reset", "goaway", or the read error.
	End    string
	Frames []string // every frame received, in order, one line each
}

// H2GoAway is a GOAWAY frame.
type H2GoAway struct {
	LastStreamID uint32
	Code         http2.ErrCode
	Debug        string
}

// SettingsString is the SETTINGS as "NAME=value" in the server's order.
func (a H2Answer) SettingsString() string {
	var parts []string
	for _, s := range a.Settings {
		parts = append(parts, fmt.Sprintf("%v=%d", s.ID, s.Val))
	}
	return strings.Join(parts, " ")
}

// String is the whole answer on a few lines, for test logs.
func (a H2Answer) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ALPN %q; SETTINGS %s\n", a.ALPN, a.SettingsString())
	if a.Status != 0 {
		fmt.Fprintf(&b, ":status %d %v body %q\n", a.Status, a.Header, a.Body)
	}
	if a.Reset != nil {
		fmt.Fprintf(&b, "RST_STREAM %v\n", *a.Reset)
	}
	if a.GoAway != nil {
		fmt.Fprintf(&b, "GOAWAY %v last stream %d debug %q\n", a.GoAway.Code, a.GoAway.LastStreamID, a.GoAway.Debug)
	}
	fmt.Fprintf(&b, "end: %s; frames: %s", a.End, strings.Join(a.Frames, ", "))
	return b.String()
}

// ForceConnect speaks HTTP/2 with a bare Framer: it reads the server's
// SETTINGS and sends an extended CONNECT for path (:protocol websocket,
// Sec-WebSocket-Version 13, stream 1, no END_STREAM) even when the
// server did not advertise ENABLE_CONNECT_PROTOCOL, then records
// every frame until the answer, a RST_STREAM, a GOAWAY, the end of the
// connection or 5 s after it began.
func (s *H2Server) ForceConnect(t testing.TB, path string) H2Answer {
	t.Helper()
	conn := s.DialTLS(t, "h2")
	a := H2Answer{ALPN: conn.ConnectionState().NegotiatedProtocol}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	fr := http2.NewFramer(conn, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := fr.WriteSettings(); err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatalf("%s: reading the server's SETTINGS: %v", s.Name, err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		t.Fatalf("%s: the server's first frame is %v, not SETTINGS", s.Name, f.Header())
	}
	a.Frames = append(a.Frames, frameLine(f))
	sf.ForeachSetting(func(st http2.Setting) error {
		a.Settings = append(a.Settings, st)
		if st.ID == http2.SettingEnableConnectProtocol && st.Val == 1 {
			a.ConnectProtocol = true
		}
		return nil
	})
	if err := fr.WriteSettingsAck(); err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, kv := range [][2]string{{":method", "CONNECT"}, {":protocol", "websocket"}, {":scheme", "https"},
		{":authority", s.Addr}, {":path", path}, {"sec-websocket-version", "13"}} {
		enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1]})
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true}); err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	var body []byte
	for a.End == "" {
		f, err := fr.ReadFrame()
		if err != nil {
			a.End = err.Error()
			break
		}
		a.Frames = append(a.Frames, frameLine(f))
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				fr.WritePing(true, f.Data)
			}
		case *http2.MetaHeadersFrame:
			if f.StreamID != 1 {
				continue
			}
			a.Status, _ = strconv.Atoi(f.PseudoValue("status"))
			a.Header = http.Header{}
			for _, hf := range f.RegularFields() {
				a.Header.Add(hf.Name, hf.Value)
			}
			if f.StreamEnded() || (a.Status >= 200 && a.Status < 300) {
				a.End = "answer"
			}
		case *http2.DataFrame:
			if f.StreamID != 1 {
				continue
			}
			if len(body) < 4096 {
				body = append(body, f.Data()[:min(len(f.Data()), 4096-len(body))]...)
			}
			if f.StreamEnded() {
				a.End = "answer"
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == 1 {
				code := f.ErrCode
				a.Reset, a.End = &code, "reset"
			}
		case *http2.GoAwayFrame:
			a.GoAway = &H2GoAway{LastStreamID: f.LastStreamID, Code: f.ErrCode, Debug: string(f.DebugData())}
			a.End = "goaway"
		}
	}
	a.Body = string(body)
	return a
}

// frameLine is one frame in a few words: its header as x/net prints it
// ("HEADERS flags=END_HEADERS stream=1 len=45") and the error code of a
// RST_STREAM or GOAWAY.
func frameLine(f http2.Frame) string {
	s := strings.TrimSuffix(strings.TrimPrefix(f.Header().String(), "[FrameHeader "), "]")
	switch f := f.(type) {
	case *http2.RSTStreamFrame:
		s += " " + f.ErrCode.String()
	case *http2.GoAwayFrame:
		s += " " + f.ErrCode.String()
	}
	return s
}
