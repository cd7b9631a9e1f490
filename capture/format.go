// Package capture owns wscope's recordings: the JSON Lines format, writing
// it as a session happens, reading it back (also from a browser's HAR
// export), and replaying it against a server. It never imports Bubble Tea.
package capture

import (
	"encoding/base64"
	"time"
	"unicode/utf8"

	"github.com/wscope/wscope/session"
)

// Format names and versions the recording format. A reader refuses a
// newer version rather than guess at it.
const (
	FormatName    = "wscope-recording"
	FormatVersion = 1
)

// Header is the first line of a recording.
type Header struct {
	Format    string            `json:"format"`
	Version   int               `json:"version"`
	URL       string            `json:"url"`
	Started   time.Time         `json:"started"`
	Redacted  bool              `json:"redacted"`
	Handshake *HandshakeRecord  `json:"handshake,omitempty"`
	Source    string            `json:"source,omitempty"` // "wscope", or "har" for an import
	Meta      map[string]string `json:"meta,omitempty"`
}

// HandshakeRecord is the opening handshake as recorded. Under HTTP/2
// (RFC 8441) the raw heads are the decoded header blocks as text ("CONNECT
// /path HTTP/2", then ":method: CONNECT"…) and the header lists hold the
// pseudo-headers in order; see session.Handshake.
type HandshakeRecord struct {
	RequestRaw      string             `json:"request_raw"`
	ResponseRaw     string             `json:"response_raw"`
	RequestHeaders  []session.Header   `json:"request_headers"`
	ResponseHeaders []session.Header   `json:"response_headers"`
	Status          int                `json:"status"`
	Subprotocol     string             `json:"subprotocol,omitempty"`
	TimingsMS       map[string]float64 `json:"timings_ms,omitempty"`
	// HTTPVersion is session.HTTP11 or session.HTTP2; recordings made
	// before HTTP/2 lack it and read as HTTP/1.1.
	HTTPVersion string `json:"http_version,omitempty"`
	// H2 is the HTTP/2 connection's part (ALPN, SETTINGS, RST_STREAM,
	// GOAWAY, auto mode's fallback), when the attempt spoke HTTP/2.
	H2 *session.H2Info `json:"h2,omitempty"`
}

// Event is one line after the header: a frame, a state change, or the
// trailer that marks a recording complete.
type Event struct {
	T      float64 `json:"t"`              // milliseconds since Started
	Dir    string  `json:"dir,omitempty"`  // send, recv
	Op     string  `json:"op,omitempty"`   // text, binary, ping, pong, close
	Text   *string `json:"text,omitempty"` // payload when valid UTF-8 and not binary
	B64    string  `json:"b64,omitempty"`  // payload otherwise
	Size   int     `json:"size,omitempty"` // payload bytes
	Code   int     `json:"code,omitempty"` // close code
	Auto   bool    `json:"auto,omitempty"`
	State  string  `json:"state,omitempty"` // connecting, open, closing, closed
	Cause  string  `json:"cause,omitempty"`
	Detail string  `json:"detail,omitempty"`
	End    bool    `json:"end,omitempty"` // the trailer: the recording was closed properly
	Frames int     `json:"frames,omitempty"`
	Error  string  `json:"error,omitempty"` // the trailer of a recording that hit an error
}

// FrameEvent turns a session frame into a recording line.
func FrameEvent(f *session.Frame, start time.Time) Event {
	e := Event{T: ms(f.Time.Sub(start)), Dir: f.Dir.String(), Op: f.Op.String(), Size: len(f.Payload), Auto: f.Flags&session.FlagAuto != 0}
	if f.Op == session.OpClose {
		e.Code = int(f.Code)
	}
	if f.Op != session.OpBinary && utf8.Valid(f.Payload) {
		s := string(f.Payload)
		e.Text = &s
	} else {
		e.B64 = base64.StdEncoding.EncodeToString(f.Payload)
	}
	return e
}

// StateEvent turns a state change into a recording line.
func StateEvent(sc *session.StateChange, start time.Time) Event {
	return Event{T: ms(sc.Time.Sub(start)), State: sc.State.String(), Cause: sc.Cause.String(), Code: sc.Code, Detail: sc.Detail}
}

// IsFrame reports whether the line is a frame.
func (e *Event) IsFrame() bool { return e.Op != "" }

// Payload decodes the frame's payload.
func (e *Event) Payload() ([]byte, error) {
	if e.Text != nil {
		return []byte(*e.Text), nil
	}
	return base64.StdEncoding.DecodeString(e.B64)
}

// Frame rebuilds a session frame from the line.
func (e *Event) Frame(start time.Time) (session.Frame, error) {
	p, err := e.Payload()
	if err != nil {
		return session.Frame{}, err
	}
	op, _ := session.ParseOpcode(e.Op)
	f := session.Frame{Time: start.Add(time.Duration(e.T * float64(time.Millisecond))), Payload: p, Op: op, Code: uint16(e.Code)}
	if e.Dir == "send" {
		f.Dir = session.Send
	}
	if e.Auto {
		f.Flags |= session.FlagAuto
	}
	if op == session.OpText && !utf8.Valid(p) {
		f.Flags |= session.FlagInvalidUTF8
	}
	return f, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
