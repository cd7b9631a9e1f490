package probe

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/h2ws"
	"github.com/wscope/wscope/internal/testca"
	"github.com/wscope/wscope/session"
)

// tlsFirehose serves the same gorilla firehose (?n=N&size=S) over TLS on
// 127.0.0.1, twice: HTTP/1.1 only, and HTTP/2 with extended CONNECT
// (h2ws). It returns both addresses and a CA file for them.
func tlsFirehose(b *testing.B) (h1, h2, ca string) {
	cert, err := testca.SelfSigned("firehose", []string{"127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	ca = filepath.Join(b.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	up := websocket.Upgrader{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		msg, _ := websocket.NewPreparedMessage(websocket.TextMessage, make([]byte, size))
		for i := 0; i < n; i++ {
			if c.WritePreparedMessage(msg) != nil {
				return
			}
		}
		c.ReadMessage() // until the client closes
	})
	l1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s1 := &http.Server{Handler: handler, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	go s1.ServeTLS(l1, "", "")
	l2, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	if err != nil {
		b.Fatal(err)
	}
	s2 := &h2ws.Server{Handler: handler}
	go func() {
		for {
			nc, err := l2.Accept()
			if err != nil {
				return
			}
			go s2.ServeConn(nc)
		}
	}()
	b.Cleanup(func() { s1.Close(); l2.Close() })
	return l1.Addr().String(), l2.Addr().String(), ca
}

// BenchmarkFirehoseHTTP2 reads the same firehose through wscope's probe
// over HTTP/1.1 and over an HTTP/2 stream (RFC 8441), both over TLS, at
// 64 B and 16 KiB messages; msgs/s side by side give the ratio
// (scripts/bench.sh prints it; the target is HTTP/2 ≥ 0.7× HTTP/1.1).
func BenchmarkFirehoseHTTP2(b *testing.B) {
	h1, h2, ca := tlsFirehose(b)
	for _, size := range []int{64, 16 << 10} {
		n := firehoseN
		if size > 1024 {
			n = 20_000
		}
		for _, v := range []struct {
			name, addr, mode string
		}{{"http1.1", h1, session.HTTPMode11}, {"http2", h2, session.HTTPMode2}} {
			b.Run(fmt.Sprintf("%s/%dB", v.name, size), func(b *testing.B) {
				url := fmt.Sprintf("wss://%s/firehose?n=%d&size=%d", v.addr, n, size)
				for b.Loop() {
					o := Options{Session: session.Config{URL: url, CACertFile: ca, HTTP: v.mode}, KeepFrames: 1,
						Options: flow.Options{Script: flow.Script{Count: n, Wait: 1 << 40}}}
					r := Run(context.Background(), o)
					if r.Counts.RecvMessages < n {
						b.Fatalf("received %d of %d: %s", r.Counts.RecvMessages, n, r.Error)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
