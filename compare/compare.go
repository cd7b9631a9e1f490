// Package compare runs the same probe script against two targets — the
// app directly and the app behind its reverse proxy, typically — and says
// what differs: status, response headers, negotiated subprotocol and
// extensions, timings, frames, idle survival, close codes, and (when both
// are `wscope serve` /headers) what the backend received.
package compare

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/session"
)

// HeaderChange is one difference between two header lists.
type HeaderChange struct {
	Change string `json:"change"` // added (only in B), removed (only in A), changed, case
	Name   string `json:"name"`
	A      string `json:"a,omitempty"`
	B      string `json:"b,omitempty"`
}

// Result is a comparison.
type Result struct {
	A            *probe.Report      `json:"a"`
	B            *probe.Report      `json:"b"`
	ResponseDiff []HeaderChange     `json:"response_header_diff"`
	BackendDiff  []HeaderChange     `json:"backend_header_diff"` // nil unless both sides are /headers
	Findings     []diagnose.Finding `json:"findings"`            // what the comparison itself shows
}

// Run probes both sides at once and compares them.
func Run(ctx context.Context, a, b probe.Options) *Result {
	res := &Result{}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); res.A = probe.Run(ctx, a) }()
	go func() { defer wg.Done(); res.B = probe.Run(ctx, b) }()
	wg.Wait()
	res.ResponseDiff = DiffResponseHeaders(respHeaders(res.A), respHeaders(res.B))
	ha, oka := backendHeaders(res.A)
	hb, okb := backendHeaders(res.B)
	if oka && okb {
		res.BackendDiff = diffHeaders(ha, hb, volatileRequest)
	}
	res.Findings = findings(res)
	if res.ResponseDiff == nil {
		res.ResponseDiff = []HeaderChange{}
	}
	return res
}

// ErrorLevel reports whether the sides differ in a way that matters: one
// upgraded and the other not, or an error finding only one side (or the
// comparison) has.
func (r *Result) ErrorLevel() bool {
	if r.A.Upgraded != r.B.Upgraded || diagnose.HasError(r.Findings) {
		return true
	}
	ids := func(rep *probe.Report) map[string]bool {
		m := map[string]bool{}
		for _, f := range rep.Findings {
			if f.Severity == diagnose.Error {
				m[f.ID] = true
			}
		}
		return m
	}
	ia, ib := ids(r.A), ids(r.B)
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

func respHeaders(r *probe.Report) []session.Header {
	if r.Response == nil {
		return nil
	}
	return r.Response.Headers
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
	var out []HeaderChange
	join := func(hs []session.Header) string {
		var vs []string
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

// backendHeaders reads the first received message of a /headers endpoint
// (wscope serve): the request as the backend got it.
func backendHeaders(r *probe.Report) ([]session.Header, bool) {
	for _, f := range r.Frames {
		if f.Dir != "recv" || f.Text == nil {
			continue
		}
		var doc struct {
			RequestLine string           `json:"request_line"`
			Headers     []session.Header `json:"headers"`
		}
		if json.Unmarshal([]byte(*f.Text), &doc) != nil || doc.RequestLine == "" {
			return nil, false
		}
		return doc.Headers, true
	}
	return nil, false
}

// findings are what only the comparison shows.
func findings(r *Result) []diagnose.Finding {
	out := []diagnose.Finding{}
	if r.A.Upgraded && r.B.Upgraded {
		for _, e := range r.A.Extensions {
			if !contains(r.B.Extensions, e) {
				out = append(out, diagnose.Finding{ID: "extension-dropped", Severity: diagnose.Warn,
					Title:  fmt.Sprintf("%s was negotiated on A but not on B", e),
					Detail: fmt.Sprintf("A: extensions %v; B: %v. A proxy on B's path removed Sec-WebSocket-Extensions (seen with old Traefik releases).", r.A.Extensions, r.B.Extensions),
					Fix:    "Harmless when compression is optional; if the app needs it, make the proxy pass Sec-WebSocket-Extensions both ways (or upgrade it)."})
			}
		}
		if r.A.Subprotocol != "" && r.B.Subprotocol == "" {
			out = append(out, diagnose.Finding{ID: "subprotocol-mismatch", Severity: diagnose.Error,
				Title:  "B did not negotiate the subprotocol A did",
				Detail: fmt.Sprintf("A selected %q, B none: a proxy dropped Sec-WebSocket-Protocol", r.A.Subprotocol),
				Fix:    "Make the proxy forward Sec-WebSocket-Protocol in the request and the response; browsers fail the connection otherwise."})
		}
	}
	var stripped []string
	for _, c := range r.BackendDiff {
		if c.Change == "removed" {
			stripped = append(stripped, c.Name)
		}
	}
	if len(stripped) > 0 {
		out = append(out, diagnose.Finding{ID: "headers-stripped", Severity: diagnose.Warn,
			Title:  "The backend behind B did not receive some headers the client sent",
			Detail: "missing at the backend on B: " + strings.Join(stripped, ", "),
			Fix:    "Check the proxy for header rules (proxy_set_header X \"\" in nginx, http-request del-header in HAProxy) and for the headers it never forwards (hop-by-hop: Connection, Upgrade unless told)."})
	}
	if r.A.Idle != nil && r.B.Idle != nil && r.A.Idle.Survived && !r.B.Idle.Survived {
		out = append(out, diagnose.Finding{ID: "idle-timeout", Severity: diagnose.Error,
			Title:  fmt.Sprintf("Only B was cut while idle, after %.1fs", r.B.Idle.ClosedAfterMS/1000),
			Detail: fmt.Sprintf("A survived %.0fs of silence; B was closed after %.1fs: the timeout is on B's path (the proxy), not in the app", r.A.Idle.RequestedMS/1000, r.B.Idle.ClosedAfterMS/1000),
			Fix:    "Raise the proxy's idle timeout (nginx proxy_read_timeout, HAProxy timeout tunnel) or send heartbeats more often than that."})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
