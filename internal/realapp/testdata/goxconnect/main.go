// Command goxconnect is a Go origin for wscope's tests of WebSockets over
// HTTP/2: net/http serving TLS (HTTP/2 by its default TLSNextProto, ALPN
// h2 and http/1.1) with a plain gorilla/websocket echo handler at /echo.
//
// Run it with GODEBUG=http2xconnect=1 and net/http advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL and passes an extended CONNECT to the
// handler, which gorilla cannot upgrade (golang/go#71128): HTTP/1.1 gets a
// 101, an extended CONNECT gets gorilla's 400. net/http reads GODEBUG once,
// at init, hence a process of its own.
//
//	goxconnect ADDR CERT KEY
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: goxconnect ADDR CERT KEY")
	}
	addr, cert, key := os.Args[1], os.Args[2], os.Args[3]
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s %s :protocol=%q", r.Method, r.URL.RequestURI(), r.Proto, r.Header.Get(":protocol"))
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			log.Printf("upgrade: %v", err)
			return
		}
		defer c.Close()
		for {
			op, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(op, data); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "goxconnect: %s %s %s\n", r.Method, r.URL.RequestURI(), r.Proto)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("goxconnect listening on %s (GODEBUG=%s)", ln.Addr(), os.Getenv("GODEBUG"))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ServeTLS(ln, cert, key))
}
