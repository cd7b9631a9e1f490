package diagnose

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wscope/wscope/session"
)

// Side is one side of a comparison: its evidence and its own findings (the
// connection's diagnosis plus its protocol findings).
type Side struct {
	Evidence Evidence
	Findings []Finding
}

// HeaderChange is one difference between two header lists.
type HeaderChange struct {
	Change string `json:"change"` // added (only in B), removed (only in A), changed, case
	Name   string `json:"name"`
	A      string `json:"a,omitempty"`
	B      string `json:"b,omitempty"`
}

// Comparison is what comparing two sides shows. `compare --report` and the
// split view both build it with Compare, so they agree on findings and on
// the exit code.
type Comparison struct {
	// ResponseDiff compares the two final responses' headers, leaving out
	// those that differ on every connection.
	ResponseDiff []HeaderChange
	// BackendDiff compares what the backend received on each side; nil
	// unless both sides are `wscope serve` /headers endpoints.
	BackendDiff []HeaderChange
	// Findings are what only the comparison shows (empty, not nil).
	Findings []Finding
	// errorLevel: the sides differ in a way that matters.
	errorLevel bool
}

// ErrorLevel reports whether the sides differ in a way that matters: one
// upgraded and the other not, an error finding only one side has, or an
// error finding of the comparison itself. Both front ends exit 1 on it.
func (c Comparison) ErrorLevel() bool { return c.errorLevel }

// IdleOutcome says how a side fared in the idle check (--idle) by now:
// decided is false while the wait is still running or when no idle check
// was asked for; survived is false when the connection was cut during the
// wait, after closedAfter.
func (ev Evidence) IdleOutcome(now time.Time) (decided, survived bool, closedAfter time.Duration) {
	if ev.IdleWait <= 0 || ev.OpenedAt.IsZero() {
		return false, false, 0
	}
	if c := ev.Closed; c != nil {
		after := c.Time.Sub(ev.OpenedAt)
		if after < ev.IdleWait && c.Cause != session.CauseLocalClose && c.Cause != session.CauseLocalAbort {
			return true, false, after
		}
		return true, true, 0
	}
	if now.Sub(ev.OpenedAt) >= ev.IdleWait {
		return true, true, 0
	}
	return false, false, 0
}

// Upgraded reports whether the connection upgraded.
func (ev Evidence) Upgraded() bool {
	return ev.DialErr == nil && len(ev.Chain) > 0 && ev.Chain[len(ev.Chain)-1].Upgraded()
}

// final is the last handshake of the chain, or nil.
func (ev Evidence) final() *session.Handshake {
	if len(ev.Chain) == 0 {
		return nil
	}
	return ev.Chain[len(ev.Chain)-1]
}

func responseOf(hs *session.Handshake) []session.Header {
	if hs == nil {
		return nil
	}
	return hs.Response
}

// Compare compares two sides as of now (the idle check of a live session
// is decided once its wait has passed).
func Compare(a, b Side, now time.Time) Comparison {
	c := Comparison{Findings: []Finding{}, ResponseDiff: []HeaderChange{}}
	ha, hb := a.Evidence.final(), b.Evidence.final()
	c.ResponseDiff = DiffResponseHeaders(responseOf(ha), responseOf(hb))
	if ha != nil && hb != nil && ha.IsHTTP2() != hb.IsHTTP2() {
		c.ResponseDiff = diffAcrossVersions(responseOf(ha), responseOf(hb))
	}
	c.Findings = append(c.Findings, httpVersionFindings(a, b)...)
	ba, oka := backendHeaders(a.Evidence.FirstRecv)
	bb, okb := backendHeaders(b.Evidence.FirstRecv)
	if oka && okb {
		c.BackendDiff = diffHeaders(ba, bb, volatileRequest)
	}
	upA, upB := a.Evidence.Upgraded(), b.Evidence.Upgraded()
	if upA && upB {
		for _, e := range ha.Checks.Extensions {
			if !slices.Contains(hb.Checks.Extensions, e) {
				c.Findings = append(c.Findings, Finding{ID: "extension-dropped", Severity: Warn,
					Title:  fmt.Sprintf("%s was negotiated on A but not on B", e),
					Detail: fmt.Sprintf("A: extensions %v; B: %v. Something on B's path removed Sec-WebSocket-Extensions (seen with old Traefik releases).", ha.Checks.Extensions, hb.Checks.Extensions),
					Fix:    "Harmless when compression is optional; if the app needs it, make the proxy pass Sec-WebSocket-Extensions both ways (or upgrade it)."})
			}
		}
		if sa, sb := ha.Checks.Subprotocol, hb.Checks.Subprotocol; sa != "" && sb == "" {
			c.Findings = append(c.Findings, Finding{ID: "subprotocol-mismatch", Severity: Error,
				Title:  "B did not negotiate the subprotocol A did",
				Detail: fmt.Sprintf("A selected %q, B none: something on B's path dropped Sec-WebSocket-Protocol", sa),
				Fix:    "Make the proxy forward Sec-WebSocket-Protocol in the request and the response; browsers fail the connection otherwise."})
		}
	}
	var stripped []string
	for _, ch := range c.BackendDiff {
		if ch.Change == "removed" {
			stripped = append(stripped, ch.Name)
		}
	}
	if len(stripped) > 0 {
		c.Findings = append(c.Findings, Finding{ID: "headers-stripped", Severity: Warn,
			Title:  "The backend behind B did not receive some headers the client sent",
			Detail: "missing at the backend on B: " + strings.Join(stripped, ", "),
			Fix:    "Check the proxy for header rules (proxy_set_header X \"\" in nginx, http-request del-header in HAProxy) and for the headers it never forwards (hop-by-hop: Connection, Upgrade unless told)."})
	}
	decA, survA, _ := a.Evidence.IdleOutcome(now)
	decB, survB, afterB := b.Evidence.IdleOutcome(now)
	if decA && decB && survA && !survB {
		f := Finding{ID: "idle-timeout", Severity: Error,
			Title: fmt.Sprintf("Only B was cut while idle, after %.1fs", afterB.Seconds()),
			Detail: fmt.Sprintf("A survived %s of silence; B was closed after %.1fs: the timeout is on B's path (the proxy), not in the app",
				a.Evidence.IdleWait, afterB.Seconds()),
			Fix:        "Raise the idle timeout of the proxy on B's path (see B's own idle-timeout finding for its setting), or send heartbeats more often than that.",
			Confidence: Medium,
			Evidence: []Clue{{Kind: "timing", Text: fmt.Sprintf("A: open after %s of silence; B: cut after %.1fs", a.Evidence.IdleWait, afterB.Seconds()),
				Means: "the same app survives directly: the cut is on B's path"}}}
		// B's own finding names the proxy from its 101: take its fix.
		for _, bf := range b.Findings {
			if bf.ID == "idle-timeout" && bf.Responder.Name != "" {
				f.Responder, f.Path, f.Fix, f.Confidence = bf.Responder, bf.Path, bf.Fix, High
				f.Detail += fmt.Sprintf("; B's 101 names %s", bf.Responder.Name)
				f.Evidence = append(f.Evidence, bf.Evidence...)
				break
			}
		}
		c.Findings = append(c.Findings, f)
	}
	c.errorLevel = upA != upB || HasError(c.Findings) || differentErrors(a.Findings, b.Findings)
	if upA != upB && !HasError(c.Findings) && (notBrowsersPath(a.Evidence) || notBrowsersPath(b.Evidence)) {
		// The side that failed asked for HTTP/2 where the server does not
		// offer WebSockets over it: browsers never take that path, so the
		// difference is the user's choice, not a fault (h2-not-advertised).
		c.errorLevel = false
	}
	return c
}

// notBrowsersPath: the attempt failed only because it insisted on HTTP/2
// (--http 2) where the server does not advertise extended CONNECT or
// does not speak HTTP/2 at all — a path no browser takes.
func notBrowsersPath(ev Evidence) bool {
	if ev.Upgraded() {
		return false
	}
	hs := ev.final()
	if hs == nil || hs.H2 == nil || hs.H2.ConnectProtocol || hs.H2.Fallback {
		return false
	}
	return hs.IsHTTP2() // also when forced: browsers never send that CONNECT
}

// httpVersionFindings: the same URL over HTTP/1.1 on one side and over
// HTTP/2 on the other, where only the HTTP/1.1 side opened. Browsers take
// the HTTP/2 path whenever the server advertises it and do not fall back:
// the HTTP/2 side's refusal is read with the HTTP/1.1 side's 101 as the
// proof that only that path fails (h2-websocket-refused, h2-goaway), or
// it says why browsers use HTTP/1.1 here after all (h2-not-advertised).
// The reverse (HTTP/2 opens, HTTP/1.1 does not) is the HTTP/1.1 side's
// own diagnosis.
func httpVersionFindings(a, b Side) []Finding {
	ha, hb := a.Evidence.final(), b.Evidence.final()
	if ha == nil || hb == nil || ha.IsHTTP2() == hb.IsHTTP2() || ha.URL != hb.URL {
		return nil
	}
	h2, h1 := b, a
	if ha.IsHTTP2() {
		h2, h1 = a, b
	}
	if h2.Evidence.Upgraded() || !h1.Evidence.Upgraded() {
		return nil
	}
	ev := h2.Evidence
	ev.OtherHTTP = h1.Evidence.final()
	bd := &builder{cat: Default(), ev: ev, final: ev.final()}
	bd.data = fixDataFor(bd.final)
	fs := bd.h2Findings(bd.final, ev.OtherHTTP, true)
	for i := range fs {
		bd.nameApp(&fs[i])
	}
	return fs
}

// diffAcrossVersions compares an HTTP/1.1 answer with an HTTP/2 one:
// what only one version can carry (pseudo-headers, Upgrade, Connection,
// Sec-WebSocket-Accept, the other hop-by-hop headers) and the case of the
// names (HTTP/2 lowercases them all) are not differences of the path.
func diffAcrossVersions(a, b []session.Header) []HeaderChange {
	protocolOnly := func(name string) bool {
		switch name {
		case "upgrade", "connection", "sec-websocket-accept", "keep-alive", "transfer-encoding", "proxy-connection":
			return true
		}
		return strings.HasPrefix(name, ":")
	}
	out := []HeaderChange{}
	for _, ch := range diffHeaders(a, b, volatileResponse) {
		if ch.Change == "case" || protocolOnly(strings.ToLower(ch.Name)) {
			continue
		}
		out = append(out, ch)
	}
	return out
}

// differentErrors reports whether one side has an error finding the other
// does not.
func differentErrors(a, b []Finding) bool {
	ids := func(fs []Finding) map[string]bool {
		m := map[string]bool{}
		for _, f := range fs {
			if f.Severity == Error {
				m[f.ID] = true
			}
		}
		return m
	}
	ia, ib := ids(a), ids(b)
	for id := range ib {
		if !ia[id] {
			return true
		}
	}
	for id := range ia {
		if !ib[id] {
			return true
		}
	}
	return false
}

// volatileResponse and volatileRequest name the headers whose values
// differ on every connection and say nothing about the path.
func volatileResponse(name string) bool { return name == "sec-websocket-accept" || name == "date" }
func volatileRequest(name string) bool  { return name == "sec-websocket-key" }

// DiffResponseHeaders compares two responses' headers, leaving out those
// that differ on every connection (Sec-WebSocket-Accept, Date).
func DiffResponseHeaders(a, b []session.Header) []HeaderChange {
	return diffHeaders(a, b, volatileResponse)
}

// diffHeaders compares two header lists by name (any case): added, removed,
// changed value, or the same header in a different case (HAProxy
// lowercases names; some apps care).
func diffHeaders(a, b []session.Header, volatile func(string) bool) []HeaderChange {
	group := func(hs []session.Header) (map[string][]session.Header, []string) {
		m := map[string][]session.Header{}
		var order []string
		for _, h := range hs {
			k := strings.ToLower(h.Name)
			if _, ok := m[k]; !ok {
				order = append(order, k)
			}
			m[k] = append(m[k], h)
		}
		return m, order
	}
	ga, oa := group(a)
	gb, ob := group(b)
	out := []HeaderChange{}
	join := func(hs []session.Header) string {
		vs := make([]string, 0, len(hs))
		for _, h := range hs {
			vs = append(vs, h.Value)
		}
		return strings.Join(vs, ", ")
	}
	for _, k := range oa {
		ha, hb := ga[k], gb[k]
		switch {
		case hb == nil:
			out = append(out, HeaderChange{Change: "removed", Name: ha[0].Name, A: join(ha)})
		case volatile(k):
		case join(ha) != join(hb):
			out = append(out, HeaderChange{Change: "changed", Name: ha[0].Name, A: join(ha), B: join(hb)})
		case ha[0].Name != hb[0].Name:
			out = append(out, HeaderChange{Change: "case", Name: ha[0].Name, A: ha[0].Name, B: hb[0].Name})
		}
	}
	for _, k := range ob {
		if ga[k] == nil {
			out = append(out, HeaderChange{Change: "added", Name: gb[k][0].Name, B: join(gb[k])})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Change < out[j].Change })
	return out
}

// backendHeaders reads a /headers endpoint's first message (wscope serve):
// the request as the backend got it.
func backendHeaders(first []byte) ([]session.Header, bool) {
	if first == nil {
		return nil, false
	}
	var doc struct {
		RequestLine string           `json:"request_line"`
		Headers     []session.Header `json:"headers"`
	}
	if json.Unmarshal(first, &doc) != nil || doc.RequestLine == "" {
		return nil, false
	}
	return doc.Headers, true
}
