// Package wstest is a hand-made WebSocket server side for tests that need
// to answer the upgrade with bytes no real library would send: wrong
// accept keys, hostile headers, a connection that then goes silent or
// resets. It listens on 127.0.0.1 only.
package wstest

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"strings"
	"testing"
)

// Accept is the Sec-WebSocket-Accept value for key (RFC 6455 4.2.2).
func Accept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// Upgrade101 is a valid 101 answer for key with extra header lines
// ("Name: value") appended.
func Upgrade101(key string, extra ...string) string {
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + Accept(key) + "\r\n")
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	return b.String() + "\r\n"
}

// Server accepts one connection, reads the request head, writes what
// respond returns for the request's key, then hands the connection to then
// (which may keep it silent, reset it, or write frames); it is closed
// afterwards. Head receives the request head exactly as read.
type Server struct {
	Addr string
	Head <-chan string
}

// Start starts a Server that lives until the test ends.
func Start(t *testing.T, respond func(key string) string, then func(c net.Conn)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	head := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		var b strings.Builder
		key := ""
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			b.WriteString(line)
			if name, value, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "Sec-WebSocket-Key") {
				key = strings.TrimSpace(value)
			}
			if line == "\r\n" {
				break
			}
		}
		head <- b.String()
		c.Write([]byte(respond(key)))
		if then != nil {
			then(c)
		}
	}()
	return &Server{Addr: ln.Addr().String(), Head: head}
}
