package doctor

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/internal/wstest"
	"github.com/wscope/wscope/serve"
)

// Backends that answer as the real apps do, on 127.0.0.1, for the length
// of the test.

func wsURL(s *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + path
}

func startServe(t *testing.T) *serve.Server { return servetest.Start(t) }

// holdConns keeps track of hijacked connections so the test can close them.
type holdConns struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (h *holdConns) add(c net.Conn) {
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
}

func (h *holdConns) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.Close()
	}
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// echo upgrades with up and echoes until the client goes.
func echo(w http.ResponseWriter, r *http.Request, up *websocket.Upgrader) {
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // gorilla has answered the refusal
	}
	defer c.Close()
	for {
		op, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		c.WriteMessage(op, data)
	}
}

// gorillaApp is a Go app with gorilla's default origin check: an Origin
// whose host differs from the Host header is refused with 403; no Origin
// passes. An ordinary GET gets gorilla's 400.
func gorillaApp(t *testing.T) *httptest.Server {
	up := &websocket.Upgrader{}
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { echo(w, r, up) }))
}

// cableApp answers like Rails ActionCable on puma: 404 text/plain "Page
// not found" for anything that is not an upgrade from an allowed origin —
// a missing Upgrade, a missing Origin, or an Origin other than the host
// with the scheme the app believes it is served over (https only when the
// proxy says X-Forwarded-Proto: https). Upgraded, it offers
// actioncable-v1-json and says welcome, then pings every 3 s; with
// ?silent=1 it never says welcome. An ordinary GET of /cable gets the 404.
func cableApp(t *testing.T) *httptest.Server {
	up := &websocket.Upgrader{Subprotocols: []string{"actioncable-v1-json"}, CheckOrigin: func(*http.Request) bool { return true }}
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto := "http"
		if r.Header.Get("X-Forwarded-Proto") == "https" {
			proto = "https"
		}
		if !websocket.IsWebSocketUpgrade(r) || r.Header.Get("Origin") != proto+"://"+r.Host {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, "Page not found")
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if r.URL.Query().Get("silent") == "" {
			c.WriteMessage(websocket.TextMessage, []byte(`{"type":"welcome"}`))
		}
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		for range 20 {
			time.Sleep(3 * time.Second)
			if c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"type":"ping","message":%d}`, time.Now().Unix()))) != nil {
				return
			}
		}
	}))
}

// deflateRefusingApp answers a permessage-deflate offer it cannot accept
// as Node's ws does: 400 "Invalid or unacceptable
// Sec-WebSocket-Extensions header". Without an offer it upgrades.
func deflateRefusingApp(t *testing.T) *httptest.Server {
	up := &websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "Invalid or unacceptable Sec-WebSocket-Extensions header")
			return
		}
		echo(w, r, up)
	}))
}

// engineIOApp speaks Engine.IO v4 over WebSocket: the open packet with
// pingInterval 300 ms, then a ping every interval.
func engineIOApp(t *testing.T) *httptest.Server {
	up := &websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("transport") != "websocket" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"code":0,"message":"Transport unknown"}`)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`))
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		for range 100 {
			time.Sleep(300 * time.Millisecond)
			if c.WriteMessage(websocket.TextMessage, []byte("2")) != nil {
				return
			}
		}
	}))
}

// upgradeHoldingApp behaves like aiohttp (hassio-google-drive-backup#224):
// a request that says Connection: upgrade is treated as an upgrade; when
// it is not a WebSocket one the app waits for the switched protocol's
// bytes and never answers. WebSocket upgrades work; ordinary requests get
// 200 at once.
func upgradeHoldingApp(t *testing.T) *httptest.Server {
	up := &websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	var held holdConns
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case websocket.IsWebSocketUpgrade(r):
			echo(w, r, up)
		case strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade"):
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			held.add(c) // nothing is ever written
		default:
			fmt.Fprint(w, "hello")
		}
	}))
	t.Cleanup(held.closeAll)
	return s
}

// manglingDeflateApp is what a proxy that mangles permessage-deflate looks
// like from the client (ws#1238, vertx-http-proxy#41): when compression is
// offered the 101 accepts it, and the first message is a compressed frame
// that does not inflate; without an offer the message arrives intact.
func manglingDeflateApp(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				key := req.Header.Get("Sec-WebSocket-Key")
				if strings.Contains(req.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
					c.Write([]byte(wstest.Upgrade101(key, "Sec-WebSocket-Extensions: permessage-deflate")))
					c.Write([]byte{0xc1, 0x03, 0xff, 0xff, 0xff}) // FIN|RSV1 text: a reserved deflate block type
					return
				}
				c.Write([]byte(wstest.Upgrade101(key)))
				c.Write([]byte{0x81, 0x02, 'h', 'i'})
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Read(make([]byte, 64)); err == nil { // the client's close frame
					c.Write([]byte{0x88, 0x02, 0x03, 0xe8}) // close 1000
				}
			}()
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}
