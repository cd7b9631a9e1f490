package serve

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// index is the plain-HTTP answer to GET /.
const index = `wscope serve: a diagnostic WebSocket backend

WebSocket endpoints (a plain HTTP request to one gets 426 Upgrade Required):
  /echo                          echoes every message with its opcode
                                   subprotocol=accept-first  select the first offered subprotocol
  /headers                       first message: the upgrade request exactly as received (JSON), then echoes
                                   subprotocol=accept-first  as for /echo
  /firehose?n=1000&size=64       n messages of size bytes as fast as possible, then close 1000 "done"
                                   binary=1                  binary frames instead of text
  /silent                        accepts and never sends (pings are still answered)
  /ticker?interval=1s            {"tick":N,"time":...} every interval (at least 1ms); echoes too
  /close?code=1000&reason=bye    closes at once with that code and reason
                                   delay=500ms               wait first
                                   abrupt=1                  drop the connection without a close frame
  /demo?interval=1s              echoes and ticks
`

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, index)
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

// chooseSubprotocol implements ?subprotocol=accept-first; by default no
// subprotocol is selected.
func chooseSubprotocol(r *http.Request) string {
	if r.URL.Query().Get("subprotocol") == "accept-first" {
		if ps := websocket.Subprotocols(r); len(ps) > 0 {
			return ps[0]
		}
	}
	return ""
}

func (s *Server) echo(w http.ResponseWriter, r *http.Request) {
	c := s.upgrade(w, r, chooseSubprotocol(r))
	if c == nil {
		return
	}
	defer s.done(c, r, time.Now())
	echoLoop(c)
}

// echoLoop echoes until the peer closes (gorilla answers the close) or the
// connection is closed under it.
func echoLoop(c *websocket.Conn) {
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

func (s *Server) silent(w http.ResponseWriter, r *http.Request) {
	c := s.upgrade(w, r, "")
	if c == nil {
		return
	}
	defer s.done(c, r, time.Now())
	// Read, so that pings are answered and a close is seen; never write.
	discardAll(c)
}

// discardAll reads and drops messages until the connection fails: gorilla
// answers pings and close frames only while someone reads.
func discardAll(c *websocket.Conn) {
	for {
		_, rd, err := c.NextReader()
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, rd); err != nil {
			return
		}
	}
}

// discardInBackground runs discardAll in a goroutine; done closes when it
// ends, and stop closes the connection and waits for that.
func discardInBackground(c *websocket.Conn) (done <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		discardAll(c)
	}()
	return ch, func() {
		c.NetConn().Close()
		<-ch
	}
}

// message is one message read by a reader goroutine.
type message struct {
	op   int
	data []byte
}

// ticker serves /ticker and /demo: a tick every interval, and an echo of
// everything received.
func (s *Server) ticker(w http.ResponseWriter, r *http.Request) {
	interval, err := durationParam(r.URL.Query().Get("interval"), time.Second, time.Millisecond)
	if err != nil {
		s.badRequest(w, r, "interval: %v", err)
		return
	}
	c := s.upgrade(w, r, chooseSubprotocol(r))
	if c == nil {
		return
	}
	defer s.done(c, r, time.Now())
	incoming := make(chan message)
	quit := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			op, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			select {
			case incoming <- message{op, data}:
			case <-quit:
				return
			}
		}
	}()
	defer func() {
		close(quit)
		c.NetConn().Close()
		<-readerDone
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	var buf []byte
	for tick := 1; ; {
		select {
		case <-s.stop:
			return
		case <-readerDone:
			return // the peer closed (gorilla has answered) or went away
		case m := <-incoming:
			if err := c.WriteMessage(m.op, m.data); err != nil {
				return
			}
		case now := <-t.C:
			buf = fmt.Appendf(buf[:0], `{"tick":%d,"time":%q}`, tick, now.UTC().Format(time.RFC3339Nano))
			tick++
			if err := c.WriteMessage(websocket.TextMessage, buf); err != nil {
				return
			}
		}
	}
}

// closeWait is how long a server that has sent a close frame waits for the
// peer's.
const closeWait = 2 * time.Second

func (s *Server) close(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	code, err := intParam(q.Get("code"), websocket.CloseNormalClosure, 1000, 4999)
	if err == nil && !sendableCode(code) {
		err = fmt.Errorf("%d is reserved and may not be sent in a close frame (1004-1006 and 1015 are not allowed)", code)
	}
	if err != nil {
		s.badRequest(w, r, "code: %v", err)
		return
	}
	reason := q.Get("reason")
	if len(reason) > 123 || !utf8.ValidString(reason) {
		s.badRequest(w, r, "reason: a close reason is UTF-8 of at most 123 bytes")
		return
	}
	delay, err := durationParam(q.Get("delay"), 0, 0)
	if err != nil {
		s.badRequest(w, r, "delay: %v", err)
		return
	}
	abrupt, err := boolParam(q.Get("abrupt"))
	if err != nil {
		s.badRequest(w, r, "abrupt: %v", err)
		return
	}
	c := s.upgrade(w, r, "")
	if c == nil {
		return
	}
	defer s.done(c, r, time.Now())
	// Read meanwhile: pings are answered, and a peer that closes first
	// gets gorilla's reply.
	readerDone, stopReader := discardInBackground(c)
	defer stopReader()
	wait := time.NewTimer(delay)
	defer wait.Stop()
	select {
	case <-wait.C:
	case <-readerDone:
		return
	case <-s.stop:
		return
	}
	if abrupt {
		return // the deferred NetConn().Close drops the TCP connection: the peer sees 1006
	}
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second)); err != nil {
		return
	}
	wait.Reset(closeWait)
	select {
	case <-readerDone:
	case <-wait.C:
	case <-s.stop:
	}
}

// sendableCode reports whether code may be asked of /close: 1000-4999
// except the codes RFC 6455 reserves for "no close frame" situations.
func sendableCode(code int) bool {
	switch {
	case code < 1000 || code > 4999:
		return false
	case code >= 1004 && code <= 1006, code == 1015:
		return false
	}
	return true
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

func durationParam(v string, def, lo time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < lo {
		return 0, fmt.Errorf("%q is not a duration of at least %v (e.g. 500ms, 2s)", v, lo)
	}
	return d, nil
}

func boolParam(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	}
	return false, fmt.Errorf("%q is not 1 or 0", v)
}
