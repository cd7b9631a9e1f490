package capture

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wscope/wscope/session"
)

// FlushInterval is how often the recorder flushes. The promise is that a
// crash or kill -9 loses at most the last 100 ms; flushing twice as often
// keeps that promise with room for a busy machine.
const FlushInterval = 50 * time.Millisecond

// Recorder writes a recording as the session happens. Its methods are safe
// for concurrent use. After a write error (a full disk, a vanished
// directory) it stops writing and reports the error; the file then lacks
// its trailer, which marks it incomplete for readers.
type Recorder struct {
	path   string
	start  time.Time
	redact *Redactor

	mu     sync.Mutex
	file   *os.File
	buf    *bufio.Writer
	err    error
	frames int
	line   []byte // reused for each frame line
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// Create starts a recording at path (mode 0600, replacing a file there).
// The header's URL and handshake are redacted unless redact is off.
func Create(path string, hdr Header, redact *Redactor) (*Recorder, error) {
	_, statErr := os.Lstat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot create recording: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if err := f.Chmod(0o600); err != nil { // an existing file keeps its mode otherwise
			f.Close()
			return nil, fmt.Errorf("cannot restrict recording to mode 0600: %w", err)
		}
	}
	hdr.Format, hdr.Version = FormatName, FormatVersion
	if hdr.Source == "" {
		hdr.Source = "wscope"
	}
	if hdr.Started.IsZero() {
		hdr.Started = time.Now()
	}
	hdr.Redacted = redact.Enabled()
	hdr.URL = redact.URL(hdr.URL)
	if hs := hdr.Handshake; hs != nil {
		c := *hs
		c.RequestRaw = string(redact.RawHead([]byte(c.RequestRaw)))
		c.ResponseRaw = string(redact.RawHead([]byte(c.ResponseRaw)))
		c.RequestHeaders = redact.Headers(c.RequestHeaders)
		c.ResponseHeaders = redact.Headers(c.ResponseHeaders)
		hdr.Handshake = &c
	}
	r := &Recorder{path: path, start: hdr.Started, redact: redact, file: f, buf: bufio.NewWriterSize(f, 256<<10),
		stop: make(chan struct{}), done: make(chan struct{})}
	r.writeLine(hdr)
	r.flushLocked()
	if r.err != nil {
		f.Close()
		if created {
			os.Remove(path) // only what this call created: never a device or a file the user had
		}
		return nil, r.err
	}
	go r.flusher()
	return r, nil
}

// HandshakeRecordOf converts a session handshake for the header.
func HandshakeRecordOf(hs *session.Handshake) *HandshakeRecord {
	if hs == nil {
		return nil
	}
	t := hs.Timings
	rec := &HandshakeRecord{
		RequestRaw: string(hs.RequestRaw), ResponseRaw: string(hs.ResponseRaw),
		RequestHeaders: hs.Request, ResponseHeaders: hs.Response, Status: hs.Status, Subprotocol: hs.Checks.Subprotocol,
		TimingsMS: map[string]float64{"dns": ms(t.DNS), "connect": ms(t.Connect), "proxy_connect": ms(t.ProxyConnect),
			"tls": ms(t.TLS), "upgrade": ms(t.Upgrade), "total": ms(t.Total)},
		HTTPVersion: hs.HTTPVersion,
	}
	if hs.H2 != nil {
		h2 := *hs.H2
		rec.H2 = &h2
	}
	return rec
}

// Path is the file being written.
func (r *Recorder) Path() string { return r.path }

// Start is the recording's time zero.
func (r *Recorder) Start() time.Time { return r.start }

// Frame records a frame; after Close it does nothing.
func (r *Recorder) Frame(f *session.Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.err != nil {
		return
	}
	r.frames++
	r.line = appendFrameLine(r.line[:0], f, ms(f.Time.Sub(r.start)))
	if _, err := r.buf.Write(r.line); err != nil {
		r.fail(err)
	}
	if cap(r.line) > 1<<20 {
		r.line = nil // do not keep a huge message's buffer
	}
}

// State records a state change; after Close it does nothing.
func (r *Recorder) State(sc *session.StateChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.writeLine(StateEvent(sc, r.start))
}

// Err is the first write error, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close writes the trailer, flushes and closes the file.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return r.err
	}
	r.closed = true
	close(r.stop)
	r.mu.Unlock()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.writeLine(Event{T: ms(time.Since(r.start)), End: true, Frames: r.frames})
		r.flushLocked()
	}
	if r.err == nil {
		if err := r.file.Sync(); err != nil {
			r.err = fmt.Errorf("recording %s: %w", r.path, err)
		}
	}
	if err := r.file.Close(); err != nil && r.err == nil {
		r.err = fmt.Errorf("recording %s: %w", r.path, err)
	}
	return r.err
}

func (r *Recorder) flusher() {
	defer close(r.done)
	t := time.NewTicker(FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			r.flushLocked()
			r.mu.Unlock()
		}
	}
}

// writeLine appends one JSON line; the caller holds mu (or owns r).
func (r *Recorder) writeLine(v any) {
	if r.err != nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		r.err = fmt.Errorf("recording: %w", err)
		return
	}
	data = append(data, '\n')
	if _, err := r.buf.Write(data); err != nil {
		r.fail(err)
	}
}

func (r *Recorder) flushLocked() {
	if r.err != nil || r.buf.Buffered() == 0 {
		return
	}
	if err := r.buf.Flush(); err != nil {
		r.fail(err)
	}
}

func (r *Recorder) fail(err error) {
	hint := ""
	if errors.Is(err, os.ErrPermission) {
		hint = " (no permission)"
	}
	r.err = fmt.Errorf("recording %s stopped: %w%s; the file is incomplete", r.path, err, hint)
}

// HandshakeOf rebuilds a handshake from a recording's header, the inverse
// of HandshakeRecordOf, so a recording shows (and is diagnosed) like a
// live session.
func HandshakeOf(h *Header) *session.Handshake {
	hs := &session.Handshake{URL: h.URL, Started: h.Started}
	r := h.Handshake
	if r == nil {
		return hs
	}
	hs.RequestRaw, hs.ResponseRaw = []byte(r.RequestRaw), []byte(r.ResponseRaw)
	hs.Request, hs.Response, hs.Status = r.RequestHeaders, r.ResponseHeaders, r.Status
	hs.HTTPVersion, hs.H2 = r.HTTPVersion, r.H2
	if hs.HTTPVersion == "" {
		hs.HTTPVersion = session.HTTP11 // a recording from before HTTP/2
	}
	hs.Timings = timingsOf(r.TimingsMS)
	if i := strings.Index(r.RequestRaw, "\r\n"); i > 0 {
		hs.RequestLine = r.RequestRaw[:i]
	} else if hs.IsHTTP2() && len(r.RequestHeaders) > 0 {
		// A HAR has no raw head: make the line wscope shows for HTTP/2.
		method, path := hs.RequestHeader(":method"), hs.RequestHeader(":path")
		if method == "" {
			method = "CONNECT"
		}
		if path == "" {
			path = pathOf(h.URL)
		}
		hs.RequestLine = method + " " + path + " HTTP/2"
	}
	if i := strings.Index(r.ResponseRaw, "\r\n"); i > 0 {
		hs.StatusLine = r.ResponseRaw[:i]
	} else if r.Status != 0 && hs.IsHTTP2() {
		hs.StatusLine = fmt.Sprintf("HTTP/2 %d", r.Status)
	} else if r.Status != 0 {
		hs.StatusLine = fmt.Sprintf("HTTP/1.1 %d", r.Status)
	}
	hs.Validate()
	return hs
}

// timingsOf is the inverse of HandshakeRecordOf's timings_ms.
func timingsOf(m map[string]float64) session.Timings {
	d := func(name string) time.Duration { return time.Duration(m[name] * float64(time.Millisecond)) }
	return session.Timings{DNS: d("dns"), Connect: d("connect"), ProxyConnect: d("proxy_connect"),
		TLS: d("tls"), Upgrade: d("upgrade"), Total: d("total")}
}

// pathOf is the path and query of a URL, "/" when it has none.
func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.RequestURI() != "" {
		return u.RequestURI()
	}
	return "/"
}
