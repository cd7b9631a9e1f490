package replay

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/h2ws"
	"github.com/wscope/wscope/internal/testca"
	"github.com/wscope/wscope/session"
)

// appServer answers every message with JSON carrying a timestamp (which
// always differs) and the message; version 2 changes the answer.
func appServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(appHandler())
	t.Cleanup(s.Close)
	return s
}

func appHandler() http.Handler {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for n := 1; ; n++ {
			op, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if op == websocket.BinaryMessage {
				c.WriteMessage(op, append([]byte{0xff}, data...))
				continue
			}
			answer := string(data)
			if r.URL.Path == "/v2" && n == 2 {
				answer += "!"
			}
			msg, _ := json.Marshal(map[string]any{"echo": answer, "n": n, "ts": time.Now().UnixNano()})
			c.WriteMessage(websocket.TextMessage, msg)
		}
	})
}

func wsURL(s *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + path
}

// recordSession records a real session: sends msgs, waits for answers.
func recordSession(t *testing.T, url string, msgs ...string) *capture.Recording {
	t.Helper()
	return recordSessionWith(t, session.Config{URL: url}, msgs...)
}

// recordSessionWith is recordSession with cfg (URL set).
func recordSessionWith(t *testing.T, cfg session.Config, msgs ...string) *capture.Recording {
	t.Helper()
	url := cfg.URL
	cfg.Headers = append(cfg.Headers, session.Header{Name: "X-Client", Value: "test"})
	conn, _, err := session.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	rec, err := capture.Create(path, capture.Header{URL: url, Handshake: capture.HandshakeRecordOf(conn.Handshake())}, capture.NewRedactor(nil, false))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	answers := 0
	go func() {
		defer close(done)
		for e := range conn.Events() {
			if e.Kind == session.EventFrame {
				rec.Frame(&e.Frame)
				if e.Frame.Dir == session.Recv && !e.Frame.Op.IsControl() {
					answers++
				}
			} else {
				rec.State(e.State)
			}
		}
	}()
	for _, m := range msgs {
		conn.SendText(m)
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	conn.Close(1000, "")
	<-done
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := capture.ReadFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReplayAgainstTheSameServerMatches(t *testing.T) {
	s := appServer(t)
	rec := recordSession(t, wsURL(s, "/v1"), "hello", "world", "again")
	res := Run(context.Background(), rec, "", session.Config{}, Options{Ignore: []string{"ts"}, Speed: 4})
	if !res.OK() || len(res.Items) != 3 || res.Sent != 3 {
		t.Fatalf("replay: %+v", res)
	}
	if got := res.Handshake.RequestHeader("X-Client"); got != "test" {
		t.Fatalf("recorded header not replayed: %q", got)
	}
	// Without ignoring the timestamp, every message differs, and says where.
	res = Run(context.Background(), rec, "", session.Config{}, Options{NoDelay: true})
	if res.OK() || res.Items[0].Verdict != Differs || !strings.HasPrefix(res.Items[0].Diff[0], "$.ts: expected") {
		t.Fatalf("timestamps: %+v", res.Items[0])
	}
}

func TestReplayAgainstAChangedServerFailsWithADiff(t *testing.T) {
	s := appServer(t)
	rec := recordSession(t, wsURL(s, "/v1"), "hello", "world")
	res := Run(context.Background(), rec, wsURL(s, "/v2"), session.Config{}, Options{Ignore: []string{"ts"}, NoDelay: true})
	if res.OK() || res.Items[0].Verdict != Matched || res.Items[1].Verdict != Differs {
		t.Fatalf("items %+v", res.Items)
	}
	if d := res.Items[1].Diff; len(d) != 1 || d[0] != `$.echo: expected "\"world\"", got "\"world!\""` {
		t.Fatalf("diff %q", d)
	}
	// A server that stops answering: the recorded answers are missing. (It
	// accepts the recorded Origin, which names the recording's server.)
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer silent.Close()
	res = Run(context.Background(), rec, wsURL(silent, "/"), session.Config{}, Options{NoDelay: true, Settle: 300 * time.Millisecond})
	if res.OK() || len(res.Items) != 2 || res.Items[0].Verdict != Missing || res.Items[1].Verdict != Missing {
		t.Fatalf("silent: %+v (error %q)", res.Items, res.Error)
	}
}

func TestReplayOfAHARWithTextAndBinary(t *testing.T) {
	s := appServer(t)
	har := fmt.Sprintf(`{"log":{"entries":[{"startedDateTime":"2026-11-22T12:00:00Z","request":{"url":%q,"headers":[]},"response":{"status":101,"headers":[]},
	 "_resourceType":"websocket","_webSocketMessages":[
	  {"type":"send","time":1795348800.1,"opcode":1,"data":"hi"},
	  {"type":"receive","time":1795348800.2,"opcode":1,"data":"{\"echo\":\"hi\",\"n\":1,\"ts\":0}"},
	  {"type":"send","time":1795348800.3,"opcode":2,"data":"AAE="},
	  {"type":"receive","time":1795348800.4,"opcode":2,"data":"/wAB"}]}]}}`, strings.Replace(wsURL(s, "/v1"), "ws://", "http://", 1))
	rec, err := capture.ImportHAR(strings.NewReader(har), "")
	if err != nil {
		t.Fatal(err)
	}
	res := Run(context.Background(), rec, "", session.Config{}, Options{Ignore: []string{"ts"}, NoDelay: true})
	if !res.OK() || len(res.Items) != 2 || res.Sent != 2 {
		t.Fatalf("HAR replay: %+v", res)
	}
}

func TestCompareJSONStructurally(t *testing.T) {
	if d := Compare([]byte(`{"a":1,"b":[1,2]}`), []byte(`{ "b":[1,2], "a":1 }`), nil); len(d) != 0 {
		t.Fatalf("key order mattered: %v", d)
	}
	d := Compare([]byte(`{"a":{"id":1,"v":"x"},"list":[1,2]}`), []byte(`{"a":{"id":2,"v":"y"},"list":[1],"extra":true}`), []string{"a.id"})
	want := []string{`$.a.v: expected "\"x\"", got "\"y\""`, `$.extra: unexpected "true"`, `$.list: expected 2 elements, got 1`}
	if strings.Join(d, "|") != strings.Join(want, "|") {
		t.Fatalf("diff\n%q\nwant\n%q", d, want)
	}
	if d := Compare([]byte("plain"), []byte("plain"), nil); d != nil {
		t.Fatal(d)
	}
	if d := Compare([]byte("a"), []byte("b"), nil); len(d) != 1 {
		t.Fatal(d)
	}
}

// TestReplayOfAnHTTP2Recording: a session recorded over HTTP/2 (RFC 8441)
// replays over HTTP/2 by default, without resending its pseudo-headers,
// and matches; --http 1.1 replays it with the Upgrade.
func TestReplayOfAnHTTP2Recording(t *testing.T) {
	cert, err := testca.SelfSigned("replay", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h2 := &h2ws.Server{Handler: appHandler()}
	srv := &http.Server{Handler: appHandler(),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}},
		// HTTP/2 connections go to h2ws (extended CONNECT), HTTP/1.1 to net/http.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){"h2": func(_ *http.Server, c *tls.Conn, _ http.Handler) { h2.ServeConn(c) }}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	url := "wss://" + ln.Addr().String() + "/v1"
	rec := recordSessionWith(t, session.Config{URL: url, CACertFile: ca, HTTP: session.HTTPMode2}, "hello", "world")
	if rec.Header.Handshake.HTTPVersion != session.HTTP2 {
		t.Fatalf("the recording lost its HTTP version: %+v", rec.Header.Handshake)
	}
	res := Run(context.Background(), rec, "", session.Config{CACertFile: ca}, Options{Ignore: []string{"ts"}, NoDelay: true})
	if !res.OK() || res.Error != "" || !res.Handshake.IsHTTP2() || len(res.Items) != 2 {
		t.Fatalf("replay over HTTP/2: %+v", res)
	}
	res = Run(context.Background(), rec, "", session.Config{CACertFile: ca, HTTP: session.HTTPMode11}, Options{Ignore: []string{"ts"}, NoDelay: true})
	if !res.OK() || res.Handshake.IsHTTP2() {
		t.Fatalf("replay with --http 1.1: %+v", res)
	}
}
