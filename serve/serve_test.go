package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// Every test talks to a real server on 127.0.0.1 and nowhere else.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dial connects gorilla's client; d may be nil.
func dial(t *testing.T, url string, d *websocket.Dialer, hdr http.Header) (*websocket.Conn, *http.Response) {
	t.Helper()
	if d == nil {
		d = &websocket.Dialer{}
	}
	c, resp, err := d.Dial(url, hdr)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, resp
}

// get makes a plain HTTP GET and returns the response with its body read.
func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// closeErr asserts that err is a close with code and text.
func closeErr(t *testing.T, err error, code int, text string) {
	t.Helper()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != code || ce.Text != text {
		t.Fatalf("got %v, want close %d %q", err, code, text)
	}
}

// tlsFiles writes a self-signed certificate for 127.0.0.1 and serverName
// and its key; the pool trusts it.
func tlsFiles(t *testing.T, serverName string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: serverName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{serverName},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// logLines collects Logf output.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// waitFor waits for a line containing every one of parts.
func (l *logLines) waitFor(t *testing.T, parts ...string) string {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		l.mu.Lock()
		for _, line := range l.lines {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(line, p)
			}
			if ok {
				l.mu.Unlock()
				return line
			}
		}
		l.mu.Unlock()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Fatalf("no log line with %q in %q", parts, l.lines)
	return ""
}

func TestStartAddrURLAndErrors(t *testing.T) {
	s := start(t, Options{})
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr %q", s.Addr())
	}
	if got, want := s.URL("/echo"), "ws://"+s.Addr()+"/echo"; got != want {
		t.Fatalf("URL %q, want %q", got, want)
	}

	_, err = Start(Options{Addr: s.Addr()})
	if want := "listen " + s.Addr() + ": address already in use"; err == nil || err.Error() != want {
		t.Fatalf("busy port: %v, want %q", err, want)
	}
	if _, err := Start(Options{Addr: "127.0.0.1:0", TLSCertFile: "c.pem"}); err == nil || !strings.Contains(err.Error(), "both") {
		t.Fatalf("cert without key: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, addr := range []string{"127.0.0.1", "127.0.0.1:99999"} {
		if _, err := Start(Options{Addr: addr}); err == nil || !strings.HasPrefix(err.Error(), "listen "+addr+": ") {
			t.Fatalf("%s: %v", addr, err)
		}
	}
	_, err = Start(Options{Addr: "127.0.0.1:0", TLSCertFile: missing, TLSKeyFile: missing})
	if err == nil || !strings.Contains(err.Error(), "missing.pem") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("missing certificate: %v", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8765": true, "127.0.0.2:1": true, "localhost:1": true, "LocalHost:1": true,
		"[::1]:1": true, "::1": true, "localhost": true,
		":8765": false, "0.0.0.0:1": false, "[::]:1": false, "192.0.2.1:1": false,
		"example.com:1": false, "": false,
	} {
		if IsLoopback(addr) != want {
			t.Errorf("IsLoopback(%q) = %v", addr, !want)
		}
	}
}

func TestCloseIsPromptWithConnectionsOpen(t *testing.T) {
	s, err := Start(Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var conns []*websocket.Conn
	for _, path := range []string{"/silent", "/ticker?interval=1h", "/demo?interval=1h", "/echo", "/close?delay=1h", "/firehose?n=100000000"} {
		c, _ := dial(t, s.URL(path), nil, nil)
		conns = append(conns, c)
	}
	// A connection that never sends a request holds up http.Server.Shutdown.
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
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, _, err := c.ReadMessage()
			if err == nil {
				continue // what the firehose sent before Close
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("connection %d survived Close", i)
			}
			break
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, _, err := websocket.DefaultDialer.Dial(s.URL("/echo"), nil); err == nil {
		c.Close()
		t.Fatal("dialled a closed server")
	}
}

func TestLog(t *testing.T) {
	var log logLines
	s := start(t, Options{Logf: log.logf})
	c, _ := dial(t, s.URL("/echo?a=1"), nil, nil)
	line := log.waitFor(t, "open", "/echo")
	local := c.NetConn().LocalAddr().String()
	if !strings.Contains(line, local) {
		t.Fatalf("open line %q lacks the remote address %s", line, local)
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	c.ReadMessage()
	log.waitFor(t, "close", local, "/echo")

	// Refusals are logged too, with hostile values escaped.
	get(t, "http://"+s.Addr()+"/echo")
	log.waitFor(t, "426", "/echo", "not a WebSocket upgrade")
	get(t, "http://"+s.Addr()+"/firehose?n=%1b%5b2J%0a")
	line = log.waitFor(t, "400", "/firehose", "n:")
	if strings.ContainsAny(line, "\x1b\n") {
		t.Fatalf("unescaped log line %q", line)
	}
}
