package session

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"time"
)

// plainGetTimeout bounds the follow-up request of an upgrade that got no
// answer.
const plainGetTimeout = 3 * time.Second

// plainGet asks the same server for the same URL without the upgrade, on a
// new connection through the same route (proxy, TLS), and keeps its answer
// head. When the upgrade request got no response head at all, this answer
// is the only thing that names who holds it (its Server or Via header);
// nil when it got no head either.
func (p *dialPlan) plainGet(parent context.Context, u *url.URL) *Handshake {
	ctx, cancel := context.WithTimeout(parent, min(p.cfg.Timeout, plainGetTimeout))
	defer cancel()
	hs := &Handshake{URL: Redacted(u), Started: time.Now()}
	a := &attemptState{plan: p, u: u, hs: hs, phase: "connect"}
	dial := a.dialTarget
	if u.Scheme == "wss" {
		dial = a.dialTLS
	}
	c, err := dial(ctx)
	if err != nil {
		return nil
	}
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: " + p.cfg.UserAgent +
		"\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return nil
	}
	hs.RequestRaw = []byte(req)
	hs.RequestLine, hs.Request = ParseHead(hs.RequestRaw)
	var buf bytes.Buffer
	chunk := make([]byte, 4096)
	for buf.Len() < MaxResponseHead {
		n, err := c.Read(chunk)
		buf.Write(chunk[:n])
		if head, ok := splitHead(buf.Bytes()); ok {
			hs.ResponseRaw = bytes.Clone(head)
			hs.StatusLine, hs.Response = ParseHead(hs.ResponseRaw)
			hs.Status, hs.Reason = parseStatusLine(hs.StatusLine)
			hs.Timings.Total = time.Since(hs.Started)
			hs.Body = plainGetBody(buf.Bytes(), c)
			return hs
		}
		if err != nil {
			return nil
		}
	}
	return nil
}

// PlainGet sends a plain GET of cfg.URL (no upgrade headers) through the
// same route a Dial would take (--proxy, --connect-to, TLS) and returns the
// answer's head, within min(cfg.Timeout, 3s). It names who answers on an
// address when a WebSocket attempt got no telling answer (a varnish pipe
// passes the app's 101 untouched; its plain answers carry Via: varnish):
// pass it to diagnose as Evidence.Related. nil when no head came back.
func PlainGet(ctx context.Context, cfg Config) (*Handshake, error) {
	u, err := NormalizeURL(cfg.URL)
	if err != nil {
		return nil, Usagef("e.g. ws://127.0.0.1:8765/echo or wss://example.com/socket", "%v", err)
	}
	plan, err := newPlan(cfg)
	if err != nil {
		return nil, err
	}
	return plan.plainGet(ctx, u), nil
}

// plainGetBodyLimit bounds the body a plain GET keeps: enough for an error
// page's signature (ws's "Upgrade Required", a proxy's error page).
const plainGetBodyLimit = 16 << 10

// plainGetBody reads the answer's body (at most plainGetBodyLimit bytes,
// within the connection's deadline); what was already read comes first.
func plainGetBody(already []byte, c io.Reader) []byte {
	resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(bytes.NewReader(already), c)), &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, plainGetBodyLimit))
	return body
}
