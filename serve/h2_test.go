package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wscope/wscope/session"
)

// dialSession opens cfg and fails the test on error; the connection is
// closed (aborted) when the test ends.
func dialSession(t *testing.T, cfg session.Config) (*session.Conn, *session.Handshake) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, chain, err := session.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("dial %s (HTTP %q): %v", cfg.URL, cfg.HTTP, err)
	}
	t.Cleanup(func() {
		c.Abort()
		if !drained(c, 5*time.Second) {
			t.Errorf("%s did not end", cfg.URL)
		}
	})
	return c, chain[len(chain)-1]
}

// drained reads c's events (the session waits for a reader) until it is
// done; false if that took longer than wait.
func drained(c *session.Conn, wait time.Duration) bool {
	deadline := time.After(wait)
	for {
		select {
		case <-c.Events():
		case <-c.Done():
			return true
		case <-deadline:
			return false
		}
	}
}

// nextRecv returns the next received message, skipping everything else.
func nextRecv(t *testing.T, c *session.Conn) session.Frame {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-c.Events():
			if !ok {
				t.Fatal("the connection ended before a message came")
			}
			if e.Kind == session.EventFrame && e.Frame.Dir == session.Recv {
				return e.Frame
			}
		case <-deadline:
			t.Fatal("no message within 5s")
		}
	}
}

// closed waits for the connection's end and returns its state change.
func closed(t *testing.T, c *session.Conn) *session.StateChange {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-c.Events():
			if !ok {
				t.Fatal("events ended without a closed state")
			}
			if e.Kind == session.EventState && e.State.State == session.StateClosed {
				return e.State
			}
		case <-deadline:
			t.Fatal("not closed within 5s")
		}
	}
}

func TestH2EchoCleanCloseAndHandshake(t *testing.T) {
	var log logLines
	s := start(t, Options{H2: true, Logf: log.logf})
	if !strings.HasPrefix(s.URL("/echo"), "wss://") || s.CertFile() == "" {
		t.Fatalf("URL %s, certificate %q", s.URL("/echo"), s.CertFile())
	}
	c, hs := dialSession(t, session.Config{URL: s.URL("/echo"), HTTP: session.HTTPMode2, CACertFile: s.CertFile()})
	if !hs.IsHTTP2() || hs.Status != 200 || !hs.Upgraded() {
		t.Fatalf("version %q status %d upgraded %v", hs.HTTPVersion, hs.Status, hs.Upgraded())
	}
	if hs.RequestLine != "CONNECT /echo HTTP/2" || hs.StatusLine != "HTTP/2 200" {
		t.Errorf("lines %q, %q", hs.RequestLine, hs.StatusLine)
	}
	if hs.H2 == nil || hs.H2.ALPN != "h2" || !hs.H2.ConnectProtocol || hs.H2.StreamID != 1 || hs.H2.RST != nil || hs.H2.GoAway != nil {
		t.Fatalf("h2 %+v", hs.H2)
	}
	if v, ok := hs.H2.Setting(session.SettingEnableConnectProtocol); !ok || v != 1 {
		t.Errorf("settings %+v", hs.H2.Settings)
	}
	if hs.TLS == nil || !hs.TLS.Verified || hs.TLS.ALPN != "h2" {
		t.Errorf("tls %+v", hs.TLS)
	}
	if hs.Request[0] != (session.Header{Name: ":method", Value: "CONNECT"}) || hs.RequestHeader(":protocol") != "websocket" || hs.RequestHeader(":path") != "/echo" {
		t.Errorf("request %v", hs.Request)
	}
	if hs.Response[0] != (session.Header{Name: ":status", Value: "200"}) || hs.ResponseHeader("upgrade") != "" || hs.ResponseHeader("sec-websocket-accept") != "" {
		t.Errorf("response %v", hs.Response)
	}
	log.waitFor(t, "open", "/echo", "over HTTP/2 (stream 1)")

	for _, msg := range []string{"hello over h2", strings.Repeat("z", 200<<10)} {
		if err := c.SendText(msg); err != nil {
			t.Fatal(err)
		}
		if f := nextRecv(t, c); string(f.Payload) != msg || f.Op != session.OpText {
			t.Fatalf("echo: %d bytes of op %s, want %d", len(f.Payload), f.Op, len(msg))
		}
	}
	if err := c.Close(1000, "bye"); err != nil {
		t.Fatal(err)
	}
	if st := closed(t, c); !st.Cause.Clean() || st.Code != 1000 {
		t.Fatalf("close: cause %s code %d (%s)", st.Cause, st.Code, st.Detail)
	}
	log.waitFor(t, "close", "/echo", "over HTTP/2")
}

func TestH2ServerStillServesHTTP11(t *testing.T) {
	s := start(t, Options{H2: true})
	c, hs := dialSession(t, session.Config{URL: s.URL("/echo"), CACertFile: s.CertFile()})
	if hs.IsHTTP2() || hs.Status != 101 || hs.TLS == nil || hs.TLS.ALPN != "http/1.1" {
		t.Fatalf("version %q status %d tls %+v", hs.HTTPVersion, hs.Status, hs.TLS)
	}
	c.SendText("over 1.1")
	if f := nextRecv(t, c); string(f.Payload) != "over 1.1" {
		t.Fatalf("echo %q", f.Payload)
	}
	// /headers over HTTP/1.1 behind the same TLS listener is still exact.
	c, _ = dialSession(t, session.Config{URL: s.URL("/headers"), CACertFile: s.CertFile()})
	rep := decodeReport(t, nextRecv(t, c).Payload)
	if rep.HTTPVersion != "1.1" || !rep.Exact || !strings.HasPrefix(rep.RequestLine, "GET /headers HTTP/1.1") || rep.TLS == nil || rep.TLS.ALPN != "http/1.1" {
		t.Fatalf("report %+v", rep)
	}
	// Auto (what a browser does) picks HTTP/2 here.
	_, hs = dialSession(t, session.Config{URL: s.URL("/echo"), HTTP: session.HTTPModeAuto, CACertFile: s.CertFile()})
	if !hs.IsHTTP2() || hs.H2.Fallback {
		t.Fatalf("auto: version %q h2 %+v", hs.HTTPVersion, hs.H2)
	}
	// A plain HTTP/2 request is answered too, and a WebSocket endpoint
	// says what it expects.
	client := h2Client(t, s.CertFile())
	resp, err := client.Get("https://" + s.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || !strings.Contains(string(body), "/firehose") {
		t.Fatalf("GET / over %s: %d %q", resp.Proto, resp.StatusCode, body)
	}
	resp, err = client.Get("https://" + s.Addr() + "/echo")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(body), "extended CONNECT") {
		t.Fatalf("GET /echo over HTTP/2: %d %q", resp.StatusCode, body)
	}
}

// h2Client is an HTTP/2-only client that trusts certFile.
func h2Client(t *testing.T, certFile string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	tr := &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func decodeReport(t *testing.T, p []byte) headersReport {
	t.Helper()
	var rep headersReport
	if err := json.Unmarshal(p, &rep); err != nil {
		t.Fatalf("%v: %s", err, p)
	}
	return rep
}

func TestH2HeadersReportsTheHeaderBlock(t *testing.T) {
	s := start(t, Options{H2: true})
	cfg := session.Config{URL: s.URL("/headers?x=1&subprotocol=accept-first"), HTTP: session.HTTPMode2, CACertFile: s.CertFile(),
		Headers: []session.Header{{Name: "X-Custom", Value: "a"}, {Name: "x-custom", Value: "b"}}, Subprotocols: []string{"chat"}}
	c, hs := dialSession(t, cfg)
	rep := decodeReport(t, nextRecv(t, c).Payload)
	if rep.HTTPVersion != "2" || !rep.Exact || rep.RequestLine != "CONNECT /headers?x=1&subprotocol=accept-first HTTP/2" || rep.StreamID != 1 {
		t.Fatalf("report %+v", rep)
	}
	if rep.TLS == nil || rep.TLS.ALPN != "h2" {
		t.Errorf("tls %+v", rep.TLS)
	}
	// Exactly what the client sent, in its order: session recorded it.
	var sent []session.Header
	for _, h := range hs.Request {
		sent = append(sent, h)
	}
	if len(rep.Headers) != len(sent) {
		t.Fatalf("headers\n got %v\nwant %v", rep.Headers, sent)
	}
	for i := range sent {
		if rep.Headers[i] != sent[i] {
			t.Fatalf("header %d: got %v, want %v\n got %v\nwant %v", i, rep.Headers[i], sent[i], rep.Headers, sent)
		}
	}
	for _, h := range rep.Headers {
		switch strings.ToLower(h.Name) {
		case "upgrade", "connection", "sec-websocket-key":
			t.Errorf("%s was made up for the handler, not sent", h.Name)
		}
	}
	if c.Subprotocol() != "chat" {
		t.Errorf("subprotocol %q", c.Subprotocol())
	}
}

func TestH2Endpoints(t *testing.T) {
	s := start(t, Options{H2: true})
	cfg := func(path string) session.Config {
		return session.Config{URL: s.URL(path), HTTP: session.HTTPMode2, CACertFile: s.CertFile()}
	}
	c, _ := dialSession(t, cfg("/firehose?n=50&size=10"))
	for i := 0; i < 50; i++ {
		if f := nextRecv(t, c); len(f.Payload) != 10 {
			t.Fatalf("firehose message %d: %d bytes", i, len(f.Payload))
		}
	}
	if st := closed(t, c); st.Code != 1000 {
		t.Fatalf("firehose end: %s %d", st.Cause, st.Code)
	}
	c, _ = dialSession(t, cfg("/close?code=4001&reason=bye"))
	if st := closed(t, c); st.Cause != session.CauseRemoteClose || st.Code != 4001 {
		t.Fatalf("close: %s %d (%s)", st.Cause, st.Code, st.Detail)
	}
	c, _ = dialSession(t, cfg("/ticker?interval=10ms"))
	if f := nextRecv(t, c); !strings.Contains(string(f.Payload), `"tick":1`) {
		t.Fatalf("ticker %q", f.Payload)
	}
	_, _, err := session.Dial(context.Background(), cfg("/ticker?interval=bogus"))
	var se *session.Error
	if !asSessionError(err, &se) || se.Class != session.ClassStatus {
		t.Fatalf("bad interval: %v", err)
	}
}

func TestH2C(t *testing.T) {
	var log logLines
	s := start(t, Options{H2C: true, Logf: log.logf})
	if s.CertFile() != "" || !strings.HasPrefix(s.URL("/echo"), "ws://") {
		t.Fatalf("certificate %q, URL %s", s.CertFile(), s.URL("/echo"))
	}
	c, hs := dialSession(t, session.Config{URL: s.URL("/echo"), HTTP: session.HTTPMode2, H2C: true})
	if !hs.IsHTTP2() || hs.Status != 200 || hs.H2.ALPN != "" || !hs.H2.ConnectProtocol || hs.TLS != nil {
		t.Fatalf("version %q status %d h2 %+v", hs.HTTPVersion, hs.Status, hs.H2)
	}
	c.SendText("h2c")
	if f := nextRecv(t, c); string(f.Payload) != "h2c" {
		t.Fatalf("echo %q", f.Payload)
	}
	c.Close(1000, "")
	if st := closed(t, c); !st.Cause.Clean() {
		t.Fatalf("close %s", st.Cause)
	}
	c, _ = dialSession(t, session.Config{URL: s.URL("/headers"), HTTP: session.HTTPMode2, H2C: true})
	if rep := decodeReport(t, nextRecv(t, c).Payload); rep.HTTPVersion != "2" || !rep.Exact || rep.TLS != nil || rep.Headers[0].Name != ":method" {
		t.Fatalf("report %+v", rep)
	}

	// HTTP/1.1 on the same port: an upgrade, and a request shorter than
	// the HTTP/2 preface.
	c, hs = dialSession(t, session.Config{URL: s.URL("/headers")})
	if hs.IsHTTP2() || hs.Status != 101 {
		t.Fatalf("HTTP/1.1: %q %d", hs.HTTPVersion, hs.Status)
	}
	if rep := decodeReport(t, nextRecv(t, c).Payload); rep.HTTPVersion != "1.1" || !rep.Exact {
		t.Fatalf("HTTP/1.1 report %+v", rep)
	}
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n")
	got, _ := io.ReadAll(conn)
	if !bytes.HasPrefix(got, []byte("HTTP/1.0 200")) || !bytes.Contains(got, []byte("/firehose")) {
		t.Fatalf("HTTP/1.0 GET: %q", got)
	}
	log.waitFor(t, "open", "/echo", "over HTTP/2")
}

func TestH2CertificateAndOptions(t *testing.T) {
	s := start(t, Options{H2: true})
	data, err := os.ReadFile(s.CertFile())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("PRIVATE")) {
		t.Fatal("the certificate file holds the key")
	}
	block, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := cert.VerifyHostname(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	file := s.CertFile()
	s.Close()
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("Close left %s (%v)", file, err)
	}

	out := filepath.Join(t.TempDir(), "serve.pem")
	s = start(t, Options{H2: true, CertOut: out})
	if s.CertFile() != out {
		t.Fatalf("CertFile %q, want %q", s.CertFile(), out)
	}
	_, hs := dialSession(t, session.Config{URL: s.URL("/echo"), HTTP: session.HTTPMode2, CACertFile: out})
	if !hs.IsHTTP2() {
		t.Fatal("not HTTP/2")
	}

	// --h2 with the user's certificate: no file is made.
	certFile, keyFile, _ := tlsFiles(t, "wscope.test")
	s = start(t, Options{H2: true, TLSCertFile: certFile, TLSKeyFile: keyFile})
	if s.CertFile() != "" {
		t.Fatalf("CertFile %q with the user's certificate", s.CertFile())
	}
	_, hs = dialSession(t, session.Config{URL: s.URL("/echo"), HTTP: session.HTTPMode2, CACertFile: certFile})
	if !hs.IsHTTP2() || hs.TLS.Chain[0].Subject != "CN=wscope.test" {
		t.Fatalf("version %q tls %+v", hs.HTTPVersion, hs.TLS)
	}
	// Without --h2, TLS stays HTTP/1.1 only.
	s = start(t, Options{TLSCertFile: certFile, TLSKeyFile: keyFile})
	_, _, err = session.Dial(context.Background(), session.Config{URL: s.URL("/echo"), HTTP: session.HTTPMode2, CACertFile: certFile})
	if err == nil || !strings.Contains(err.Error(), "ALPN") {
		t.Fatalf("HTTP/2 without --h2: %v", err)
	}

	for _, opts := range []Options{{H2: true, H2C: true}, {H2C: true, TLSCertFile: certFile, TLSKeyFile: keyFile}} {
		opts.Addr = "127.0.0.1:0"
		if s, err := Start(opts); err == nil {
			s.Close()
			t.Errorf("%+v started", opts)
		}
	}
}

func TestH2CloseIsPrompt(t *testing.T) {
	s, err := Start(Options{Addr: "127.0.0.1:0", H2: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var conns []*session.Conn
	for _, path := range []string{"/silent", "/ticker?interval=1h", "/echo", "/close?delay=1h", "/firehose?n=100000000"} {
		c, _ := dialSession(t, session.Config{URL: s.URL(path), HTTP: session.HTTPMode2, CACertFile: s.CertFile()})
		conns = append(conns, c)
	}
	// A TLS connection that never finishes its handshake, and one that
	// never sends a request.
	idle, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	began := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > 1500*time.Millisecond {
		t.Fatalf("Close took %v", d)
	}
	for i, c := range conns {
		if !drained(c, 5*time.Second) {
			t.Fatalf("connection %d survived Close", i)
		}
	}
}

// TestH2TapDecodesHeaderBlocks feeds the tap a client's frames one byte
// at a time: padding, priority, CONTINUATION, DATA and trailers.
func TestH2TapDecodesHeaderBlocks(t *testing.T) {
	var wire bytes.Buffer
	wire.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&wire, nil)
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	encode := func(fields ...string) []byte {
		block.Reset()
		for i := 0; i < len(fields); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return bytes.Clone(block.Bytes())
	}
	fr.WriteSettings()
	one := encode(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/headers", ":authority", "h", "x-a", "1")
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: one[:5], Priority: http2.PriorityParam{Weight: 15}, PadLength: 3})
	fr.WriteContinuation(1, true, one[5:])
	fr.WriteData(1, false, []byte("websocket bytes"))
	// The same fields again come from the dynamic table.
	two := encode(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/headers", ":authority", "h", "x-a", "2")
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: two, EndHeaders: true})
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: encode("x-trailer", "t"), EndHeaders: true, EndStream: true})
	fr.WritePing(false, [8]byte{})

	tc := &tapConn{}
	tc.startH2()
	for _, b := range wire.Bytes() {
		tc.record([]byte{b})
	}
	if tc.h2.broken || len(tc.h2.blocks) != 2 {
		t.Fatalf("broken %v, %d blocks", tc.h2.broken, len(tc.h2.blocks))
	}
	fields, stream, ok := tc.h2Head(func(fs []hpack.HeaderField) bool { return fs[len(fs)-1].Value == "2" })
	if !ok || stream != 3 || len(fields) != 6 || fields[1] != (hpack.HeaderField{Name: ":protocol", Value: "websocket"}) {
		t.Fatalf("stream %d: %v", stream, fields)
	}
	if _, _, ok := tc.h2Head(func(fs []hpack.HeaderField) bool { return fs[len(fs)-1].Value == "2" }); ok {
		t.Fatal("a block was claimed twice")
	}
	if len(tc.h2.blocks) != 1 || tc.h2.blocks[0].stream != 1 {
		t.Fatalf("blocks %+v", tc.h2.blocks)
	}
}

func asSessionError(err error, target **session.Error) bool {
	e, ok := err.(*session.Error)
	if ok {
		*target = e
	}
	return ok
}
