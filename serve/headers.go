package serve

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/http2/hpack"

	"github.com/wscope/wscope/h2ws"
	"github.com/wscope/wscope/session"
)

// headersReport is /headers' first message: the upgrade request as it
// arrived.
type headersReport struct {
	// HTTPVersion is "1.1" (an Upgrade, RFC 6455) or "2" (an extended
	// CONNECT, RFC 8441), as session.Handshake has it.
	HTTPVersion string `json:"http_version"`
	// RequestLine is the request line; over HTTP/2, which has none, it is
	// made from the pseudo-headers as wscope shows it: "CONNECT /path HTTP/2".
	RequestLine string `json:"request_line"`
	// Headers are in wire order and case; over HTTP/2 the header block
	// as decoded: pseudo-headers (":method", ":protocol"…) first, names
	// in lower case.
	Headers []session.Header `json:"headers"`
	// StreamID is the HTTP/2 stream the request came on.
	StreamID   uint32     `json:"stream_id,omitempty"`
	RemoteAddr string     `json:"remote_addr"`
	TLS        *tlsReport `json:"tls"`
	// Exact is false when the raw head could not be found (it should
	// always be found) and Go's parsed, canonicalized view is shown.
	Exact bool `json:"exact"`
}

// tlsReport describes the TLS connection the request came over.
type tlsReport struct {
	Version    string `json:"version"`
	Cipher     string `json:"cipher"`
	ServerName string `json:"server_name"`
	ALPN       string `json:"alpn"`
}

func (s *Server) headers(w http.ResponseWriter, r *http.Request) {
	rep := describe(r) // before the upgrade: the tap stops at the hijack
	c := s.upgrade(w, r, chooseSubprotocol(r))
	if c == nil {
		return
	}
	defer s.done(c, r, time.Now())
	data, err := json.Marshal(rep)
	if err != nil {
		return
	}
	if err := c.WriteMessage(websocket.TextMessage, data); err != nil {
		return
	}
	echoLoop(c)
}

// describe reports r from the raw bytes its connection's tap recorded.
func describe(r *http.Request) headersReport {
	rep := headersReport{RemoteAddr: r.RemoteAddr, Headers: []session.Header{}, HTTPVersion: httpVersion(r)}
	requestLine := r.Method + " " + r.RequestURI + " " + r.Proto
	t, _ := r.Context().Value(tapKey{}).(*tapConn)
	if r.ProtoMajor == 2 {
		describeH2(r, t, &rep)
		return rep
	}
	if t != nil {
		if head, ok := t.head(requestLine); ok {
			var hs []session.Header
			rep.RequestLine, hs = session.ParseHead(head)
			rep.Headers = append(rep.Headers, hs...)
			rep.Exact = true
		}
		rep.TLS = tlsOf(r, t)
	}
	if !rep.Exact {
		rep.RequestLine = requestLine
		rep.Headers = append(rep.Headers, session.Header{Name: "Host", Value: r.Host})
		for _, name := range slices.Sorted(maps.Keys(r.Header)) {
			for _, v := range r.Header[name] {
				rep.Headers = append(rep.Headers, session.Header{Name: name, Value: v})
			}
		}
	}
	return rep
}

// tlsOf describes the TLS connection under t, if any.
func tlsOf(r *http.Request, t *tapConn) *tlsReport {
	st := t.tlsState(r.Context())
	if st == nil {
		return nil
	}
	return &tlsReport{
		Version:    tls.VersionName(st.Version),
		Cipher:     tls.CipherSuiteName(st.CipherSuite),
		ServerName: st.ServerName,
		ALPN:       st.NegotiatedProtocol,
	}
}

// httpVersion is r's HTTP version as session.Handshake names it.
func httpVersion(r *http.Request) string {
	if r.ProtoMajor == 2 {
		return session.HTTP2
	}
	return fmt.Sprintf("%d.%d", r.ProtoMajor, r.ProtoMinor)
}

// madeUp are the headers h2ws adds to an extended CONNECT for the
// HTTP/1.1 handler (RFC 8441 section 5): the client did not send them.
var madeUp = []string{"Upgrade", "Connection", "Sec-Websocket-Key"}

// describeH2 reports a request that came over HTTP/2 from the header
// block the tap decoded; the handler's r is the HTTP/1.1 request h2ws made
// of it, with headers the client never sent.
func describeH2(r *http.Request, t *tapConn, rep *headersReport) {
	websocket := r.Method == http.MethodGet && r.Header.Get("Upgrade") == "websocket"
	method := r.Method
	if websocket {
		method = http.MethodConnect
	}
	rep.RequestLine = method + " " + r.RequestURI + " HTTP/2"
	if t != nil {
		rep.TLS = tlsOf(r, t)
		// A GET that carried an Upgrade of its own (HTTP/2 forbids it, but
		// a client may) looks like an extended CONNECT here: try both.
		match := func(fs []hpack.HeaderField) bool {
			return sameRequest(fs, r, websocket) || websocket && sameRequest(fs, r, false)
		}
		if fields, stream, ok := t.h2Head(match); ok {
			for _, f := range fields {
				rep.Headers = append(rep.Headers, session.Header{Name: f.Name, Value: f.Value})
				if f.Name == ":method" {
					rep.RequestLine = f.Value + " " + r.RequestURI + " HTTP/2"
				}
			}
			rep.StreamID, rep.Exact = stream, true
			return
		}
	}
	// What h2ws passed on: the pseudo-headers in RFC 8441's order, then
	// the regular fields sorted, without the ones made up for the handler.
	rep.Headers = append(rep.Headers, session.Header{Name: ":method", Value: method})
	if websocket {
		rep.Headers = append(rep.Headers, session.Header{Name: ":protocol", Value: "websocket"})
	}
	if r.URL.Scheme != "" {
		rep.Headers = append(rep.Headers, session.Header{Name: ":scheme", Value: r.URL.Scheme})
	}
	rep.Headers = append(rep.Headers, session.Header{Name: ":authority", Value: r.Host}, session.Header{Name: ":path", Value: r.RequestURI})
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		if websocket && slices.Contains(madeUp, name) {
			continue
		}
		for _, v := range r.Header[name] {
			rep.Headers = append(rep.Headers, session.Header{Name: strings.ToLower(name), Value: v})
		}
	}
}

// sameRequest reports whether the decoded header block fs is the one h2ws
// made r of: same method, path, authority and regular fields.
func sameRequest(fs []hpack.HeaderField, r *http.Request, websocket bool) bool {
	head := h2ws.ParseRequestHead(fs)
	method, protocol, path, authority, regular := head.Method, head.Protocol, head.Path, head.Authority, head.Header
	if path != r.RequestURI || authority != r.Host {
		return false
	}
	if websocket != (method == http.MethodConnect && protocol == "websocket") || !websocket && method != r.Method {
		return false
	}
	got := r.Header
	if websocket {
		got = r.Header.Clone()
		for _, name := range madeUp {
			got.Del(name)
			regular.Del(name)
		}
	}
	if len(got) != len(regular) {
		return false
	}
	for name, vs := range regular {
		if !slices.Equal(got[name], vs) {
			return false
		}
	}
	return true
}
