package serve

import (
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/session"
)

const index = `wscope serve — a diagnostic WebSocket backend

  /echo                         echoes every message (?subprotocol=accept-first selects the first offered)
  /headers                      first message: the upgrade request exactly as received (JSON), then echoes
  /firehose?n=1000&size=64      n messages of size bytes as fast as possible, then close 1000 (binary=1 for binary)
  /silent                       accepts and never speaks
  /ticker?interval=1s           a JSON tick every interval; echoes too
  /close?code=1000&reason=bye   closes at once with that code (delay=500ms waits first; abrupt=1 drops TCP instead)
  /demo?interval=1s             echoes and ticks
`

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, index)
	})
	mux.HandleFunc("/echo", s.echo)
	mux.HandleFunc("/headers", s.headers)
	mux.HandleFunc("/firehose", s.firehose)
	mux.HandleFunc("/silent", s.silent)
	mux.HandleFunc("/ticker", s.ticker)
	mux.HandleFunc("/demo", s.ticker)
	mux.HandleFunc("/close", s.close)
	return mux
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	http.Error(w, fmt.Sprintf(format, args...), http.StatusBadRequest)
}

// chooseSubprotocol implements ?subprotocol=accept-first.
func chooseSubprotocol(r *http.Request) string {
	if r.URL.Query().Get("subprotocol") == "accept-first" {
		if ps := websocket.Subprotocols(r); len(ps) > 0 {
			return ps[0]
		}
	}
	return ""
}

// echoLoop echoes until the peer closes or the server stops.
func (s *Server) echoLoop(c *websocket.Conn) {
	for {
		op, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(op, data); err != nil {
			return
		}
	}
}

func (s *Server) echo(w http.ResponseWriter, r *http.Request) {
	c := s.upgrade(w, r, chooseSubprotocol(r))
	if c == nil {
		return
	}
	defer s.done(c, r)
	s.echoLoop(c)
}

// headersReport is /headers' first message.
type headersReport struct {
	RequestLine string           `json:"request_line"`
	Headers     []session.Header `json:"headers"`
	RemoteAddr  string           `json:"remote_addr"`
	TLS         *tlsReport       `json:"tls"`
	Exact       bool             `json:"exact"` // false when the raw head could not be found and Go's parsed view is shown
}

type tlsReport struct {
	Version    string `json:"version"`
	Cipher     string `json:"cipher"`
	ServerName string `json:"server_name"`
	ALPN       string `json:"alpn"`
}

func (s *Server) headers(w http.ResponseWriter, r *http.Request) {
	rep := headersReport{RemoteAddr: r.RemoteAddr, Headers: []session.Header{}}
	requestLine := r.Method + " " + r.RequestURI + " " + r.Proto
	if t, ok := r.Context().Value(tapKey{}).(*tapConn); ok {
		if head, ok := t.head(requestLine); ok {
			rep.RequestLine, rep.Headers = session.ParseHead([]byte(head))
			rep.Exact = true
		}
		if st := t.tlsState(); st != nil {
			rep.TLS = &tlsReport{Version: tls.VersionName(st.Version), Cipher: tls.CipherSuiteName(st.CipherSuite), ServerName: st.ServerName, ALPN: st.NegotiatedProtocol}
		}
	}
	if !rep.Exact {
		rep.RequestLine = requestLine
		rep.Headers = append(rep.Headers, session.Header{Name: "Host", Value: r.Host})
		for name, vs := range r.Header {
			for _, v := range vs {
				rep.Headers = append(rep.Headers, session.Header{Name: name, Value: v})
			}
		}
	}
	c := s.upgrade(w, r, chooseSubprotocol(r))
	if c == nil {
		return
	}
	defer s.done(c, r)
	data, _ := json.Marshal(rep)
	if err := c.WriteMessage(websocket.TextMessage, data); err != nil {
		return
	}
	s.echoLoop(c)
}

// maxFirehose bounds /firehose so a typo cannot pin the server for days.
const (
	maxFirehoseN    = 100_000_000
	maxFirehoseSize = 64 << 20
)

func (s *Server) firehose(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := intParam(q.Get("n"), 1000, 0, maxFirehoseN)
	if err != nil {
		badRequest(w, "n: %v", err)
		return
	}
	size, err := intParam(q.Get("size"), 64, 0, maxFirehoseSize)
	if err != nil {
		badRequest(w, "size: %v", err)
		return
	}
	opcode := byte(websocket.TextMessage)
	if q.Get("binary") == "1" {
		opcode = websocket.BinaryMessage
	}
	c := s.upgrade(w, r, "")
	if c == nil {
		return
	}
	defer s.done(c, r)
	if err := writeFirehose(c, n, size, opcode, s.stop); err != nil {
		return
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "done"), time.Now().Add(time.Second))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			return // the peer's close (or the deadline)
		}
	}
}

// writeFirehose writes n frames straight to the socket, many per write:
// gorilla flushes once per message, which would cap the rate at one
// syscall per message. Server frames are unmasked, so they are easy to
// build; uncompressed frames stay valid under permessage-deflate.
func writeFirehose(c *websocket.Conn, n, size int, opcode byte, stop <-chan struct{}) error {
	var head []byte
	head = append(head, 0x80|opcode)
	switch {
	case size < 126:
		head = append(head, byte(size))
	case size <= 0xffff:
		head = append(head, 126, byte(size>>8), byte(size))
	default:
		head = binary.BigEndian.AppendUint64(append(head, 127), uint64(size))
	}
	frameLen := len(head) + size
	perBatch := max(1, (256<<10)/frameLen)
	batch := make([]byte, 0, perBatch*frameLen)
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = 'x'
	}
	nc := c.NetConn()
	for sent := 0; sent < n; {
		select {
		case <-stop:
			return fmt.Errorf("server stopping")
		default:
		}
		batch = batch[:0]
		for k := 0; k < perBatch && sent < n; k++ {
			sent++
			batch = append(batch, head...)
			start := len(batch)
			batch = append(batch, payload...)
			writeSeq(batch[start:], sent)
		}
		nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := nc.Write(batch); err != nil {
			return err
		}
	}
	nc.SetWriteDeadline(time.Time{})
	return nil
}

// writeSeq puts a zero-padded sequence number and a space at the start of
// p, cut to fit.
func writeSeq(p []byte, seq int) {
	var num [9]byte
	v := seq
	for i := 7; i >= 0; i-- {
		num[i] = byte('0' + v%10)
		v /= 10
	}
	num[8] = ' '
	copy(p, num[:])
}

func (s *Server) silent(w http.ResponseWriter, r *http.Request) {
	c := s.upgrade(w, r, "")
	if c == nil {
		return
	}
	defer s.done(c, r)
	for {
		// Read so pings are answered and a close is seen; never write.
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
	}
}

func (s *Server) ticker(w http.ResponseWriter, r *http.Request) {
	interval := time.Second
	if v := r.URL.Query().Get("interval"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond {
			badRequest(w, "interval: %q is not a duration of at least 1ms (e.g. 500ms, 2s)", v)
			return
		}
		interval = d
	}
	c := s.upgrade(w, r, chooseSubprotocol(r))
	if c == nil {
		return
	}
	defer s.done(c, r)
	type message struct {
		op   int
		data []byte
	}
	incoming := make(chan message, 16)
	go func() {
		defer close(incoming)
		for {
			op, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			incoming <- message{op, data}
		}
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for tick := 1; ; {
		select {
		case <-s.stop:
			return
		case m, ok := <-incoming:
			if !ok {
				return
			}
			if err := c.WriteMessage(m.op, m.data); err != nil {
				return
			}
		case now := <-t.C:
			msg := fmt.Sprintf(`{"tick":%d,"time":%q}`, tick, now.UTC().Format(time.RFC3339Nano))
			tick++
			if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
				return
			}
		}
	}
}

func (s *Server) close(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	code, err := intParam(q.Get("code"), 1000, 1000, 4999)
	if err == nil && !sendableCode(code) {
		err = fmt.Errorf("%d may not be sent in a close frame", code)
	}
	if err != nil {
		badRequest(w, "code: %v", err)
		return
	}
	reason := q.Get("reason")
	if len(reason) > 123 {
		badRequest(w, "reason: at most 123 bytes fit in a close frame")
		return
	}
	var delay time.Duration
	if v := q.Get("delay"); v != "" {
		if delay, err = time.ParseDuration(v); err != nil || delay < 0 {
			badRequest(w, "delay: %q is not a duration", v)
			return
		}
	}
	c := s.upgrade(w, r, "")
	if c == nil {
		return
	}
	defer s.done(c, r)
	select {
	case <-time.After(delay):
	case <-s.stop:
		return
	}
	if q.Get("abrupt") == "1" {
		c.NetConn().Close() // no close frame: the client sees 1006
		return
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
	}
}

func sendableCode(code int) bool {
	return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999
}

func intParam(v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi)
	}
	return n, nil
}
