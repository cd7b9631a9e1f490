package capture

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wscope/wscope/session"
)

// harFile is the part of HAR 1.2 wscope reads and writes, with Chrome's
// WebSocket extension fields (_resourceType, _webSocketMessages).
type harFile struct {
	Log harLog `json:"log"`
}

type harLog struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Entries []harEntry `json:"entries"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harEntry struct {
	StartedDateTime string         `json:"startedDateTime"`
	Time            float64        `json:"time"`
	Request         harRequest     `json:"request"`
	Response        harResponse    `json:"response"`
	Cache           struct{}       `json:"cache"`
	Timings         harTimings     `json:"timings"`
	ResourceType    string         `json:"_resourceType,omitempty"`
	Messages        []harWSMessage `json:"_webSocketMessages,omitempty"`
}

type harRequest struct {
	Method      string  `json:"method"`
	URL         string  `json:"url"`
	HTTPVersion string  `json:"httpVersion"`
	Headers     []harNV `json:"headers"`
	QueryString []harNV `json:"queryString"`
	Cookies     []harNV `json:"cookies"`
	HeadersSize int     `json:"headersSize"`
	BodySize    int     `json:"bodySize"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Headers     []harNV    `json:"headers"`
	Cookies     []harNV    `json:"cookies"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int        `json:"bodySize"`
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
}

type harTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harWSMessage struct {
	Type   string  `json:"type"`   // "send" or "receive"
	Time   float64 `json:"time"`   // epoch seconds
	Opcode int     `json:"opcode"` // 1 text, 2 binary (base64 data)
	Data   string  `json:"data"`
}

// maxHAR bounds what is read of a HAR file.
const maxHAR = 512 << 20

// ImportHAR reads a browser HAR export and turns one of its WebSocket
// entries into a recording. entry picks it: a number (1-based, among the
// WebSocket entries) or a URL substring; empty works when there is one.
func ImportHAR(r io.Reader, entry string) (*Recording, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxHAR+1))
	if err != nil {
		return nil, fmt.Errorf("reading HAR: %w", err)
	}
	if len(data) > maxHAR {
		return nil, fmt.Errorf("HAR file is larger than %d MiB", maxHAR>>20)
	}
	var h harFile
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("not a valid HAR file: %v", err)
	}
	var ws []*harEntry
	for i := range h.Log.Entries {
		e := &h.Log.Entries[i]
		if e.ResourceType == "websocket" || len(e.Messages) > 0 || strings.HasPrefix(e.Request.URL, "ws") {
			ws = append(ws, e)
		}
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("the HAR has %d entries and none is a WebSocket (export with DevTools' \"Save all as HAR with content\")", len(h.Log.Entries))
	}
	chosen, err := pickEntry(ws, entry)
	if err != nil {
		return nil, err
	}
	return harToRecording(chosen, h.Log.Creator.Name)
}

func pickEntry(ws []*harEntry, entry string) (*harEntry, error) {
	list := func() string {
		var b strings.Builder
		for i, e := range ws {
			fmt.Fprintf(&b, "\n  %d: %s (%d messages)", i+1, e.Request.URL, len(e.Messages))
		}
		return b.String()
	}
	if entry == "" {
		if len(ws) == 1 {
			return ws[0], nil
		}
		return nil, fmt.Errorf("the HAR holds %d WebSocket entries; pick one with --entry N or a URL substring:%s", len(ws), list())
	}
	if n, err := strconv.Atoi(entry); err == nil {
		if n < 1 || n > len(ws) {
			return nil, fmt.Errorf("--entry %d: the HAR holds WebSocket entries 1 to %d:%s", n, len(ws), list())
		}
		return ws[n-1], nil
	}
	var found []*harEntry
	for _, e := range ws {
		if strings.Contains(e.Request.URL, entry) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("no WebSocket entry's URL contains %q:%s", entry, list())
	}
	return nil, fmt.Errorf("%d WebSocket entries' URLs contain %q; use --entry N:%s", len(found), entry, list())
}

func harToRecording(e *harEntry, creator string) (*Recording, error) {
	started, err := time.Parse(time.RFC3339Nano, e.StartedDateTime)
	if err != nil && len(e.Messages) > 0 {
		started = epoch(e.Messages[0].Time)
	}
	url := e.Request.URL
	url = strings.Replace(strings.Replace(url, "https://", "wss://", 1), "http://", "ws://", 1)
	rec := &Recording{Complete: true, Header: Header{Format: FormatName, Version: FormatVersion, URL: url, Started: started,
		Source: "har", Meta: map[string]string{"creator": creator}}}
	hs := &HandshakeRecord{Status: e.Response.Status, HTTPVersion: harHTTPVersion(e.Response.HTTPVersion, e.Request.HTTPVersion)}
	if opened := len(e.Messages) > 0 && e.Response.Status >= 200 && e.Response.Status < 300; opened && hs.HTTPVersion != session.HTTP2 {
		// Only an extended CONNECT (RFC 8441) opens a WebSocket with a
		// 2xx, and messages went over this one: HTTP/2, whatever the
		// exporter wrote.
		if hs.HTTPVersion != "" {
			rec.Warnings = append(rec.Warnings, fmt.Sprintf("the entry says %s but has status %d and messages: read as a WebSocket over HTTP/2 (RFC 8441)", e.Response.HTTPVersion, e.Response.Status))
		}
		hs.HTTPVersion = session.HTTP2
	}
	for _, h := range e.Request.Headers {
		hs.RequestHeaders = append(hs.RequestHeaders, session.Header{Name: h.Name, Value: h.Value})
	}
	for _, h := range e.Response.Headers {
		hs.ResponseHeaders = append(hs.ResponseHeaders, session.Header{Name: h.Name, Value: h.Value})
		if strings.EqualFold(h.Name, "Sec-WebSocket-Protocol") {
			hs.Subprotocol = h.Value
		}
	}
	rec.Header.Handshake = hs
	for i, m := range e.Messages {
		ev := Event{T: math.Max(0, ms(epoch(m.Time).Sub(started))), Dir: "recv"}
		if m.Type == "send" {
			ev.Dir = "send"
		}
		switch m.Opcode {
		case 1:
			text := m.Data
			ev.Op, ev.Text, ev.Size = "text", &text, len(text)
		case 2:
			raw, err := base64.StdEncoding.DecodeString(m.Data)
			if err != nil {
				rec.Warnings = append(rec.Warnings, fmt.Sprintf("message %d: binary data is not base64; skipped", i+1))
				continue
			}
			ev.Op, ev.B64, ev.Size = "binary", m.Data, len(raw)
		default:
			rec.Warnings = append(rec.Warnings, fmt.Sprintf("message %d: opcode %d skipped", i+1, m.Opcode))
			continue
		}
		rec.Events = append(rec.Events, ev)
	}
	return rec, nil
}

// harHTTPVersion reads HAR's httpVersion (the response's, else the
// request's) as session names it: Chrome writes "h2" or "http/2.0" for
// HTTP/2, "http/1.1" or "HTTP/1.1" otherwise; "" when it says nothing
// wscope knows.
func harHTTPVersion(versions ...string) string {
	for _, v := range versions {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "h2", "h2c", "http/2", "http/2.0":
			return session.HTTP2
		case "http/1.1", "http/1.0", "http/1":
			return session.HTTP11
		}
	}
	return ""
}

func epoch(sec float64) time.Time {
	whole := math.Floor(sec)
	return time.Unix(int64(whole), int64((sec-whole)*1e9)).UTC()
}

// WriteHAR exports a recording as a HAR 1.2 file that DevTools imports:
// one entry, _resourceType websocket, its frames as _webSocketMessages.
// Control frames have no place in Chrome's format and are left out.
func WriteHAR(w io.Writer, rec *Recording, redact *Redactor, version string) error {
	httpURL := strings.Replace(strings.Replace(rec.Header.URL, "wss://", "https://", 1), "ws://", "http://", 1)
	e := harEntry{StartedDateTime: rec.Header.Started.UTC().Format(time.RFC3339Nano), ResourceType: "websocket"}
	// Chrome writes GET for a WebSocket entry over either HTTP version;
	// under HTTP/2 the headers carry ":method: CONNECT".
	e.Request = harRequest{Method: "GET", URL: redact.URL(httpURL), HTTPVersion: "HTTP/1.1", HeadersSize: -1, BodySize: 0,
		Headers: []harNV{}, QueryString: []harNV{}, Cookies: []harNV{}}
	e.Response = harResponse{Status: 101, StatusText: "Switching Protocols", HTTPVersion: "HTTP/1.1", HeadersSize: -1, BodySize: 0,
		Headers: []harNV{}, Cookies: []harNV{}, Content: harContent{MimeType: "x-unknown"}}
	if hs := rec.Header.Handshake; hs != nil {
		if hs.HTTPVersion == session.HTTP2 {
			e.Request.HTTPVersion, e.Response.HTTPVersion = "HTTP/2", "HTTP/2"
			e.Response.Status = http.StatusOK // RFC 8441: a 200 opens the stream
		}
		if hs.Status != 0 {
			e.Response.Status = hs.Status
		}
		e.Response.StatusText = http.StatusText(e.Response.Status)
		for _, h := range redact.Headers(hs.RequestHeaders) {
			e.Request.Headers = append(e.Request.Headers, harNV{h.Name, h.Value})
		}
		for _, h := range redact.Headers(hs.ResponseHeaders) {
			e.Response.Headers = append(e.Response.Headers, harNV{h.Name, h.Value})
		}
	}
	start := rec.Header.Started
	e.Messages = []harWSMessage{}
	var last float64
	for i := range rec.Events {
		ev := &rec.Events[i]
		if ev.Op != "text" && ev.Op != "binary" {
			continue
		}
		m := harWSMessage{Type: "receive", Time: float64(start.UnixNano())/1e9 + ev.T/1000, Opcode: 1}
		if ev.Dir == "send" {
			m.Type = "send"
		}
		if ev.Op == "binary" || ev.Text == nil {
			p, err := ev.Payload()
			if err != nil {
				return err
			}
			m.Opcode, m.Data = 2, base64.StdEncoding.EncodeToString(p)
		} else {
			m.Data = *ev.Text
			if !utf8.ValidString(m.Data) {
				return errors.New("text frame with invalid UTF-8 cannot be exported to HAR")
			}
		}
		last = ev.T
		e.Messages = append(e.Messages, m)
	}
	e.Time = last
	out := harFile{Log: harLog{Version: "1.2", Creator: harCreator{Name: "wscope", Version: version}, Entries: []harEntry{e}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
