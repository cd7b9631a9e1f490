package testproxy

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/internal/testca"
)

func startHTTPConnect(t *testing.T, opts HTTPConnectOptions) *HTTPConnect {
	t.Helper()
	p, err := StartHTTPConnect(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func basicAuth(user, pass string) string {
	return "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestHTTPConnectTunnel(t *testing.T) {
	echo := startEcho(t)
	p := startHTTPConnect(t, HTTPConnectOptions{})
	if !strings.HasPrefix(p.Addr(), "127.0.0.1:") {
		t.Fatalf("Addr %q not on 127.0.0.1", p.Addr())
	}
	if p.URL() != "http://"+p.Addr() {
		t.Fatalf("URL %q", p.URL())
	}

	c := dialTCP(t, p.Addr())
	// Bytes pipelined right behind the head land in the proxy's read
	// buffer; they must still reach the target, first.
	if _, err := io.WriteString(c, connectReq(echo)+"early|"); err != nil {
		t.Fatal(err)
	}
	expectEstablished(t, c)
	readExactly(t, c, "early|")
	expectEcho(t, c, "hello through the tunnel")

	c2 := dialTCP(t, p.Addr())
	io.WriteString(c2, connectReq(echo))
	expectEstablished(t, c2)
	expectEcho(t, c2, "second")

	want := []string{"CONNECT " + echo + " HTTP/1.1", "CONNECT " + echo + " HTTP/1.1"}
	if got := p.Requests(); !slices.Equal(got, want) {
		t.Fatalf("Requests = %q, want %q", got, want)
	}
	// Requests returns a copy.
	p.Requests()[0] = "changed"
	if p.Requests()[0] != want[0] {
		t.Fatal("Requests exposes internal state")
	}
}

// TestHTTPConnectTargetCloses checks that the client sees EOF when the
// target hangs up.
func TestHTTPConnectTargetCloses(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.WriteString(c, "bye")
		c.Close()
	}()
	p := startHTTPConnect(t, HTTPConnectOptions{})
	c := dialTCP(t, p.Addr())
	io.WriteString(c, connectReq(ln.Addr().String()))
	expectEstablished(t, c)
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "bye" {
		t.Fatalf("after target close: %q, %v", rest, err)
	}
}

func TestHTTPConnectAuth(t *testing.T) {
	echo := startEcho(t)
	p := startHTTPConnect(t, HTTPConnectOptions{User: "alice", Pass: "s3cret"})

	for _, tc := range []struct {
		name   string
		header []string
	}{
		{"none", nil},
		{"wrong password", []string{basicAuth("alice", "nope")}},
		{"wrong user", []string{basicAuth("bob", "s3cret")}},
		{"not basic", []string{"Proxy-Authorization: Bearer abc"}},
		{"bad base64", []string{"Proxy-Authorization: Basic !!!"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialTCP(t, p.Addr())
			io.WriteString(c, connectReq(echo, tc.header...))
			resp, _ := readResponse(t, c)
			if resp.StatusCode != http.StatusProxyAuthRequired {
				t.Fatalf("status %d, want 407", resp.StatusCode)
			}
			if got := resp.Header.Get("Proxy-Authenticate"); got != `Basic realm="test"` {
				t.Fatalf("Proxy-Authenticate %q", got)
			}
		})
	}

	c := dialTCP(t, p.Addr())
	io.WriteString(c, connectReq(echo, basicAuth("alice", "s3cret")))
	expectEstablished(t, c)
	expectEcho(t, c, "authorized")

	if n := len(p.Requests()); n != 6 {
		t.Fatalf("%d requests recorded, want 6", n)
	}
}

func TestHTTPConnectDenyPorts(t *testing.T) {
	echo := startEcho(t)
	other := startEcho(t)
	p := startHTTPConnect(t, HTTPConnectOptions{DenyPorts: []int{portOf(t, echo)}})

	c := dialTCP(t, p.Addr())
	io.WriteString(c, connectReq(echo))
	if resp, _ := readResponse(t, c); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("denied port: status %d, want 403", resp.StatusCode)
	}

	c2 := dialTCP(t, p.Addr())
	io.WriteString(c2, connectReq(other))
	expectEstablished(t, c2)
	expectEcho(t, c2, "allowed")
}

// TestHTTPConnectAuthBeforeDeny checks that an unauthenticated client
// learns nothing about the rules.
func TestHTTPConnectAuthBeforeDeny(t *testing.T) {
	echo := startEcho(t)
	p := startHTTPConnect(t, HTTPConnectOptions{User: "u", Pass: "p", DenyPorts: []int{portOf(t, echo)}})
	c := dialTCP(t, p.Addr())
	io.WriteString(c, connectReq(echo))
	if resp, _ := readResponse(t, c); resp.StatusCode != http.StatusProxyAuthRequired {
		t.Fatalf("status %d, want 407", resp.StatusCode)
	}
	c2 := dialTCP(t, p.Addr())
	io.WriteString(c2, connectReq(echo, basicAuth("u", "p")))
	if resp, _ := readResponse(t, c2); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
}

func TestHTTPConnectErrors(t *testing.T) {
	p := startHTTPConnect(t, HTTPConnectOptions{})
	refused := "127.0.0.1:" + strconv.Itoa(closedPort(t))

	for _, tc := range []struct {
		name string
		req  string
		code int
	}{
		{"GET", "GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", http.StatusMethodNotAllowed},
		{"unreachable", connectReq(refused), http.StatusBadGateway},
		{"no port", connectReq("127.0.0.1"), http.StatusBadRequest},
		{"port zero", connectReq("127.0.0.1:0"), http.StatusBadRequest},
		{"garbage", "NOT HTTP\r\n\r\n", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialTCP(t, p.Addr())
			io.WriteString(c, tc.req)
			resp, body := readResponse(t, c)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d (%q), want %d", resp.StatusCode, body, tc.code)
			}
			if !resp.Close {
				t.Error("error answer without Connection: close")
			}
			// The proxy hangs up after an error answer.
			expectClosed(t, c)
		})
	}
	want := []string{
		"GET http://127.0.0.1/ HTTP/1.1",
		"CONNECT " + refused + " HTTP/1.1",
		"CONNECT 127.0.0.1 HTTP/1.1",
		"CONNECT 127.0.0.1:0 HTTP/1.1",
	}
	if got := p.Requests(); !slices.Equal(got, want) {
		t.Fatalf("Requests = %q, want %q", got, want)
	}
}

func TestHTTPConnectTLS(t *testing.T) {
	ca, err := testca.New("proxy test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Leaf("proxy", []string{"127.0.0.1", "localhost"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	echo := startEcho(t)
	p := startHTTPConnect(t, HTTPConnectOptions{TLSCert: &cert, User: "u", Pass: "p"})
	if p.URL() != "https://"+p.Addr() {
		t.Fatalf("URL %q", p.URL())
	}

	raw := dialTCP(t, p.Addr())
	c := tls.Client(raw, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	if err := c.Handshake(); err != nil {
		t.Fatalf("TLS to proxy: %v", err)
	}
	io.WriteString(c, connectReq(echo, basicAuth("u", "p")))
	expectEstablished(t, c)
	expectEcho(t, c, "inside TLS")

	// A plaintext client gets nowhere and nothing is recorded for it.
	plain := dialTCP(t, p.Addr())
	io.WriteString(plain, connectReq(echo))
	if resp, body := readResponse(t, plain); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "HTTPS server") {
		t.Fatalf("plaintext client got %d %q", resp.StatusCode, body)
	}
	if n := len(p.Requests()); n != 1 {
		t.Fatalf("%d requests recorded, want 1", n)
	}
}

// TestHTTPConnectWithHTTPTransport drives the proxy with net/http's own
// client, through both an http:// and an https:// proxy, to an HTTPS
// server whose certificate comes from testca.
func TestHTTPConnectWithHTTPTransport(t *testing.T) {
	ca, err := testca.New("transport test CA")
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := ca.Leaf("server", []string{"127.0.0.1"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	proxyCert, err := ca.Leaf("proxy", []string{"127.0.0.1"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from ", r.Host)
	}))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert}}
	ts.StartTLS()
	defer ts.Close()
	target := strings.TrimPrefix(ts.URL, "https://")

	for _, tlsProxy := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsProxy), func(t *testing.T) {
			opts := HTTPConnectOptions{User: "u", Pass: "p w"}
			if tlsProxy {
				opts.TLSCert = &proxyCert
			}
			p := startHTTPConnect(t, opts)
			pu, err := url.Parse(p.URL())
			if err != nil {
				t.Fatal(err)
			}
			pu.User = url.UserPassword("u", "p w")
			tr := &http.Transport{
				Proxy:           http.ProxyURL(pu),
				TLSClientConfig: &tls.Config{RootCAs: ca.Pool()},
			}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			resp, err := client.Get(ts.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "hello from "+target {
				t.Fatalf("body %q", body)
			}
			if got := p.Requests(); len(got) != 1 || got[0] != "CONNECT "+target+" HTTP/1.1" {
				t.Fatalf("Requests = %q", got)
			}

			// Without credentials the transport surfaces the 407.
			pu.User = nil
			tr2 := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}
			defer tr2.CloseIdleConnections()
			_, err = (&http.Client{Transport: tr2, Timeout: 10 * time.Second}).Get(ts.URL)
			if err == nil || !strings.Contains(err.Error(), "Proxy Authentication Required") {
				t.Fatalf("without credentials: %v", err)
			}
		})
	}
}

func TestHTTPConnectClosePromptly(t *testing.T) {
	for _, tlsProxy := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsProxy), func(t *testing.T) {
			echo := startEcho(t)
			var opts HTTPConnectOptions
			var roots *tls.Config
			if tlsProxy {
				ca, err := testca.New("close CA")
				if err != nil {
					t.Fatal(err)
				}
				cert, err := ca.Leaf("proxy", []string{"127.0.0.1"}, time.Time{}, time.Time{}, false)
				if err != nil {
					t.Fatal(err)
				}
				opts.TLSCert = &cert
				roots = &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}
			}
			p, err := StartHTTPConnect(opts)
			if err != nil {
				t.Fatal(err)
			}
			open := func() net.Conn {
				c := dialTCP(t, p.Addr())
				if roots == nil {
					return c
				}
				tc := tls.Client(c, roots)
				if err := tc.Handshake(); err != nil {
					t.Fatal(err)
				}
				return tc
			}
			tunnel := open()
			io.WriteString(tunnel, connectReq(echo))
			expectEstablished(t, tunnel)
			expectEcho(t, tunnel, "open")

			// A client that connected but never sent a byte.
			idle := dialTCP(t, p.Addr())
			// A client halfway through its request head.
			half := open()
			io.WriteString(half, "CONNECT "+echo+" HTTP/1.1\r\n")
			time.Sleep(50 * time.Millisecond)

			closesPromptly(t, p.Close)
			expectClosed(t, tunnel)
			expectClosed(t, idle)
			expectClosed(t, half)
			if err := p.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
				c.Close()
				t.Fatal("still accepting after Close")
			}
		})
	}
}

// TestHTTPConnectConcurrent runs several tunnels at once (for -race).
func TestHTTPConnectConcurrent(t *testing.T) {
	echo := startEcho(t)
	p := startHTTPConnect(t, HTTPConnectOptions{})
	const n = 8
	errc := make(chan error, n)
	for i := range n {
		go func() {
			c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, connectReq(echo))
			br := bufio.NewReader(c)
			line, err := br.ReadString('\n')
			if err != nil || line != "HTTP/1.1 200 Connection established\r\n" {
				errc <- fmt.Errorf("status %q %v", line, err)
				return
			}
			br.ReadString('\n')
			msg := strings.Repeat(strconv.Itoa(i), 1000)
			io.WriteString(c, msg)
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(br, got); err != nil || string(got) != msg {
				errc <- fmt.Errorf("echo: %v", err)
				return
			}
			p.Requests()
			errc <- nil
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	if got := len(p.Requests()); got != n {
		t.Fatalf("%d requests, want %d", got, n)
	}
}
