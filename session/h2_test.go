package session

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/h2ws"
	"github.com/wscope/wscope/internal/testca"
)

// h2Server serves handler on 127.0.0.1 over TLS: with h2ws (extended
// CONNECT advertised) when ALPN picks h2 and xconnect is set, with Go's own
// HTTP/2 (not advertised) when it is not, and HTTP/1.1 for http/1.1.
func h2Server(t *testing.T, handler http.Handler, protos []string, xconnect bool) (addr, caFile string) {
	t.Helper()
	cert, err := testca.SelfSigned("h2 test", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: protos}
	if xconnect {
		srv := &h2ws.Server{Handler: handler}
		tl := tls.NewListener(ln, tlsCfg)
		go func() {
			for {
				nc, err := tl.Accept()
				if err != nil {
					return
				}
				go func() {
					tc := nc.(*tls.Conn)
					if tc.HandshakeContext(context.Background()) != nil {
						tc.Close()
						return
					}
					if tc.ConnectionState().NegotiatedProtocol == "h2" {
						srv.ServeConn(tc)
						return
					}
					hs := &http.Server{Handler: handler}
					hs.Serve(&oneConnListener{c: tc})
				}()
			}
		}()
	} else {
		hs := &http.Server{Handler: handler, TLSConfig: tlsCfg}
		if len(protos) == 1 && protos[0] == "http/1.1" {
			hs.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){} // no h2
		}
		go hs.ServeTLS(ln, "", "")
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), caFile
}

// oneConnListener serves a single accepted connection with net/http.
type oneConnListener struct {
	c    net.Conn
	done bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if l.done {
		select {} // keep Serve alive while the connection is served
	}
	l.done = true
	return l.c, nil
}
func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return l.c.LocalAddr() }

func h2Echo() http.Handler {
	up := websocket.Upgrader{Subprotocols: []string{"chat"}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refuse" {
			http.Error(w, "nope", http.StatusBadRequest)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			op, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			c.WriteMessage(op, p)
		}
	})
}

func echoOnce(t *testing.T, c *Conn, msg string) {
	t.Helper()
	if err := c.SendText(msg); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-c.Events():
			if e.Kind == EventFrame && e.Frame.Dir == Recv && string(e.Frame.Payload) == msg {
				return
			}
		case <-deadline:
			t.Fatalf("no echo of %q", msg)
		}
	}
}

func TestHTTP2ExtendedConnectEcho(t *testing.T) {
	addr, ca := h2Server(t, h2Echo(), []string{"h2", "http/1.1"}, true)
	c, chain, err := Dial(context.Background(), Config{URL: "wss://" + addr + "/echo", CACertFile: ca, HTTP: HTTPMode2, Subprotocols: []string{"chat"}, Compress: true})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	hs := chain[len(chain)-1]
	if !hs.IsHTTP2() || hs.Status != 200 || !hs.Upgraded() || hs.H2.ALPN != "h2" || !hs.H2.ConnectProtocol {
		t.Fatalf("handshake: version %q status %d h2 %+v", hs.HTTPVersion, hs.Status, hs.H2)
	}
	if hs.Request[0].Name != ":method" || hs.Request[0].Value != "CONNECT" || hs.RequestHeader(":protocol") != "websocket" || hs.RequestHeader("sec-websocket-key") != "" {
		t.Errorf("request: %v", hs.Request)
	}
	if _, ok := hs.H2.Setting(SettingEnableConnectProtocol); !ok || hs.H2.Settings[0].Name == "" {
		t.Errorf("settings: %+v", hs.H2.Settings)
	}
	if c.Subprotocol() != "chat" {
		t.Errorf("subprotocol %q", c.Subprotocol())
	}
	echoOnce(t, c, "hello over h2")
	echoOnce(t, c, strings.Repeat("y", 300<<10))
	if err := c.Ping([]byte("p")); err != nil {
		t.Fatal(err)
	}
	c.Close(1000, "done")
	<-c.Done()
	// The recorded head reads back with its pseudo-headers.
	line, hdrs := ParseHead(hs.RequestRaw)
	if !strings.HasPrefix(line, "CONNECT /echo HTTP/2") || hdrs[1].Name != ":protocol" {
		t.Errorf("raw head reads back as %q %v", line, hdrs)
	}
}

func TestHTTP2RefusedByHandler(t *testing.T) {
	addr, ca := h2Server(t, h2Echo(), []string{"h2"}, true)
	_, chain, err := Dial(context.Background(), Config{URL: "wss://" + addr + "/refuse", CACertFile: ca, HTTP: HTTPMode2})
	var e *Error
	if !asError(err, &e) || e.Class != ClassStatus || !strings.Contains(e.Msg, "HTTP/2 extended CONNECT") {
		t.Fatalf("err %v", err)
	}
	hs := chain[0]
	if hs.Status != 400 || !strings.Contains(string(hs.Body), "nope") {
		t.Fatalf("status %d body %q", hs.Status, hs.Body)
	}
}

func TestHTTP2NotAdvertised(t *testing.T) {
	// Go's own HTTP/2 server does not advertise extended CONNECT.
	addr, ca := h2Server(t, h2Echo(), []string{"h2", "http/1.1"}, false)
	_, chain, err := Dial(context.Background(), Config{URL: "wss://" + addr + "/echo", CACertFile: ca, HTTP: HTTPMode2})
	var e *Error
	if !asError(err, &e) || !strings.Contains(e.Msg, "SETTINGS_ENABLE_CONNECT_PROTOCOL") {
		t.Fatalf("err %v", err)
	}
	if chain[0].H2 == nil || chain[0].H2.ConnectProtocol || len(chain[0].H2.Settings) == 0 {
		t.Fatalf("h2 %+v", chain[0].H2)
	}
	// auto falls back to HTTP/1.1, as a browser does.
	c, chain, err := Dial(context.Background(), Config{URL: "wss://" + addr + "/echo", CACertFile: ca, HTTP: HTTPModeAuto})
	if err != nil {
		t.Fatalf("auto: %v", err)
	}
	hs := chain[0]
	if hs.HTTPVersion != HTTP11 || hs.Status != 101 || hs.H2 == nil || !hs.H2.Fallback || hs.H2.ALPN != "h2" {
		t.Fatalf("auto: version %q status %d h2 %+v", hs.HTTPVersion, hs.Status, hs.H2)
	}
	echoOnce(t, c, "fell back")
	c.Close(1000, "")
	<-c.Done()
}

func TestHTTP2AutoWithHTTP11OnlyServer(t *testing.T) {
	addr, ca := h2Server(t, h2Echo(), []string{"http/1.1"}, false)
	c, chain, err := Dial(context.Background(), Config{URL: "wss://" + addr + "/echo", CACertFile: ca, HTTP: HTTPModeAuto})
	if err != nil {
		t.Fatalf("auto: %v", err)
	}
	hs := chain[0]
	if hs.HTTPVersion != HTTP11 || !hs.H2.Fallback || hs.TLS == nil || hs.TLS.ALPN != "http/1.1" {
		t.Fatalf("auto: version %q h2 %+v tls %+v", hs.HTTPVersion, hs.H2, hs.TLS)
	}
	echoOnce(t, c, "same connection")
	c.Close(1000, "")
	<-c.Done()
	_, _, err = Dial(context.Background(), Config{URL: "wss://" + addr + "/echo", CACertFile: ca, HTTP: HTTPMode2})
	if err == nil || !strings.Contains(err.Error(), "ALPN") {
		t.Fatalf("--http 2 against an HTTP/1.1-only server: %v", err)
	}
}

func TestHTTPModeUsage(t *testing.T) {
	for _, cfg := range []Config{{URL: "ws://127.0.0.1:1/", HTTP: "3"}, {URL: "ws://127.0.0.1:1/", HTTP: HTTPMode2}, {URL: "wss://127.0.0.1:1/", H2C: true}} {
		_, _, err := Dial(context.Background(), cfg)
		var e *Error
		if !asError(err, &e) || e.Class != ClassUsage {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

func asError(err error, target **Error) bool { return errors.As(err, target) }

// TestHTTP2SilentServerTimesOut: a server that chooses h2 and then never
// sends its SETTINGS gets a timeout that says so, within the handshake
// timeout, not a hang.
func TestHTTP2SilentServerTimesOut(t *testing.T) {
	cert, err := testca.SelfSigned("silent", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); time.Sleep(5 * time.Second); c.Close() }()
		}
	}()
	start := time.Now()
	_, _, err = Dial(context.Background(), Config{URL: "wss://" + ln.Addr().String() + "/", Insecure: true, HTTP: HTTPMode2, Timeout: 500 * time.Millisecond})
	var e *Error
	if !asError(err, &e) || e.Class != ClassTimeout || !strings.Contains(e.Msg, "SETTINGS") {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %s", d)
	}
}
