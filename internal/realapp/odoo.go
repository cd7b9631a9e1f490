package realapp

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// Odoo cannot run here (it needs PostgreSQL and a database), so these
// serve, from Go, the bytes Odoo 16+ sends on /websocket, from its sources
// (odoo/http.py, addons/bus/websocket.py) and werkzeug's:
//
//   - OdooPrefork is the HTTP port (8069) of a server with workers > 0.
//     Odoo's /websocket route raises RuntimeError("Couldn't bind the
//     websocket. Is the connection opened on the evented port (8072)?");
//     Odoo logs it and answers werkzeug's generic 500 page (the message
//     stays in the log).
//   - OdooGevent is the evented port (8072): werkzeug's 101 — which, like
//     every werkzeug Response, carries Content-Type text/html — or a 400
//     page "Empty or missing header(s): …" when the handshake headers
//     (Origin included) did not arrive.

const werkzeugServer = "Werkzeug/2.0.2 Python/3.10.12"

// werkzeugPage is werkzeug's HTML error page.
func werkzeugPage(code int, name, description string) string {
	return fmt.Sprintf("<!doctype html>\n<html lang=en>\n<title>%d %s</title>\n<h1>%s</h1>\n<p>%s</p>\n", code, name, name, description)
}

// OdooPrefork serves Odoo's 8069 answer to /websocket on 127.0.0.1 and
// returns its address.
func OdooPrefork(t *testing.T) string {
	t.Helper()
	return serveGo(t, func(w http.ResponseWriter, r *http.Request) {
		body := werkzeugPage(500, "Internal Server Error", "The server encountered an internal error and was unable to complete its request. Either the server is overloaded or there is an error in the application.")
		w.Header().Set("Server", werkzeugServer)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, body)
	})
}

// OdooGevent serves Odoo's 8072 websocket handshake on 127.0.0.1 and
// returns its address. After the 101 it stays silent, as the bus does
// until the client subscribes.
func OdooGevent(t *testing.T) string {
	t.Helper()
	return serveGo(t, func(w http.ResponseWriter, r *http.Request) {
		var missing []string
		for _, h := range []string{"connection", "host", "sec-websocket-key", "sec-websocket-version", "upgrade", "origin"} {
			if h == "host" && r.Host != "" {
				continue
			}
			if r.Header.Get(h) == "" {
				missing = append(missing, h)
			}
		}
		sort.Strings(missing)
		bad := ""
		switch {
		case len(missing) > 0:
			bad = "Empty or missing header(s): " + strings.Join(missing, ", ")
		case !strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
			bad = "Invalid upgrade header"
		case !strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade"):
			bad = "Invalid connection header"
		}
		if bad != "" {
			body := werkzeugPage(400, "Bad Request", bad)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, body)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		h := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		// gevent's pywsgi writes werkzeug's status string as it is.
		fmt.Fprintf(brw, "HTTP/1.1 101 SWITCHING PROTOCOLS\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nContent-Type: text/html; charset=utf-8\r\nDate: %s\r\n\r\n",
			base64.StdEncoding.EncodeToString(h[:]), time.Now().UTC().Format(http.TimeFormat))
		brw.Flush()
		io.Copy(io.Discard, bufio.NewReader(c))
	})
}

// serveGo serves h on a fresh 127.0.0.1 port until the test ends.
func serveGo(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}
