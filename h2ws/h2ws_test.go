package h2ws

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/http2/hpack"

	"github.com/wscope/wscope/internal/testca"
)

// startServer runs Server with handler on 127.0.0.1 over TLS (ALPN h2).
func startServer(t *testing.T, handler http.Handler) string {
	t.Helper()
	cert, err := testca.SelfSigned("h2ws test", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	srv := &Server{Handler: handler}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.ServeConn(nc)
		}
	}()
	return ln.Addr().String()
}

func echoHandler(t *testing.T) http.Handler {
	up := websocket.Upgrader{Subprotocols: []string{"chat"}, CheckOrigin: func(*http.Request) bool { return true }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/plain" {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("plain answer"))
			return
		}
		if r.URL.Path == "/refuse" {
			http.Error(w, "no websockets here", http.StatusForbidden)
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
			if err := c.WriteMessage(op, p); err != nil {
				return
			}
		}
	})
}

func dialTLS(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := nc.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN chose %q", p)
	}
	return nc
}

func request(addr, path string) Request {
	return Request{Scheme: "https", Authority: addr, Path: path, Protocol: "websocket",
		Header: []hpack.HeaderField{{Name: "sec-websocket-version", Value: "13"}, {Name: "sec-websocket-protocol", Value: "chat"}}}
}

func TestEchoOverExtendedConnect(t *testing.T) {
	addr := startServer(t, echoHandler(t))
	resp, s, err := Dial(context.Background(), dialTLS(t, addr), request(addr, "/echo"))
	if err != nil || s == nil {
		t.Fatalf("Dial: %v (status %d)", err, resp.Status)
	}
	if !resp.ConnectProtocol || resp.Status != 200 {
		t.Fatalf("advertised %v, status %d", resp.ConnectProtocol, resp.Status)
	}
	d := websocket.Dialer{NetDialContext: func(context.Context, string, string) (net.Conn, error) { return ClientUpgrade(s, resp), nil },
		Subprotocols: []string{"chat"}}
	ws, _, err := d.Dial("ws://"+addr+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Subprotocol() != "chat" {
		t.Errorf("subprotocol %q, want chat (from the HTTP/2 response)", ws.Subprotocol())
	}
	big := strings.Repeat("x", 200<<10) // more than one DATA frame, more than the default window
	for _, msg := range []string{"hello", big} {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, got, err := ws.ReadMessage()
		if err != nil || string(got) != msg {
			t.Fatalf("echo of %d bytes: got %d bytes, %v", len(msg), len(got), err)
		}
	}
	ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "bye"))
	_, _, err = ws.ReadMessage()
	if !websocket.IsCloseError(err, 1000) {
		t.Fatalf("close: %v", err)
	}
	ws.Close()
}

func TestRefusalKeepsStatusAndBody(t *testing.T) {
	addr := startServer(t, echoHandler(t))
	resp, s, err := Dial(context.Background(), dialTLS(t, addr), request(addr, "/refuse"))
	if err != nil || s != nil {
		t.Fatalf("want a refusal without error, got stream %v err %v", s, err)
	}
	if resp.Status != 403 || !strings.Contains(string(resp.Body), "no websockets here") {
		t.Fatalf("status %d body %q", resp.Status, resp.Body)
	}
}
