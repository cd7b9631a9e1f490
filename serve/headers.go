package serve

import (
	"crypto/tls"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/session"
)

// headersReport is /headers' first message: the upgrade request as it
// arrived.
type headersReport struct {
	RequestLine string           `json:"request_line"`
	Headers     []session.Header `json:"headers"` // wire order and case
	RemoteAddr  string           `json:"remote_addr"`
	TLS         *tlsReport       `json:"tls"`
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
	rep := headersReport{RemoteAddr: r.RemoteAddr, Headers: []session.Header{}}
	requestLine := r.Method + " " + r.RequestURI + " " + r.Proto
	if t, ok := r.Context().Value(tapKey{}).(*tapConn); ok {
		if head, ok := t.head(requestLine); ok {
			var hs []session.Header
			rep.RequestLine, hs = session.ParseHead(head)
			rep.Headers = append(rep.Headers, hs...)
			rep.Exact = true
		}
		if st := t.tlsState(r.Context()); st != nil {
			rep.TLS = &tlsReport{
				Version:    tls.VersionName(st.Version),
				Cipher:     tls.CipherSuiteName(st.CipherSuite),
				ServerName: st.ServerName,
				ALPN:       st.NegotiatedProtocol,
			}
		}
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
