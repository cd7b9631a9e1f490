// Package diagnose turns the evidence of a WebSocket connection — the
// handshake chain, how it closed, how long it stayed idle — into findings
// that say in plain words what is wrong, who answered, and how to fix it.
// It is shared by probe, compare, doctor and the TUI, so a finding reads the
// same everywhere.
//
// Attribution comes before advice: every answer is fingerprinted against
// the catalogue (responders/*.toml: proxies, CDNs and apps with their
// signatures, settings and fix lines), and a finding carries only the fix
// of the responder that answered (or of the proxy that lost something on
// the way), the generic fix when nobody could be named.
package diagnose

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wscope/wscope/session"
)

// Severity ranks a finding.
type Severity string

// Severities. An error finding makes probe exit 1.
const (
	Info  Severity = "info"
	Warn  Severity = "warn"
	Error Severity = "error"
)

// Evidence is what a connection attempt produced.
type Evidence struct {
	Chain       []*session.Handshake // every attempt, redirects included; the last is final
	DialErr     *session.Error       // nil when the upgrade succeeded
	Closed      *session.StateChange // how the connection ended, if it did
	OpenedAt    time.Time            // when the connection opened
	LastFrameAt time.Time            // when the last frame (either way) was seen
	IdleWait    time.Duration        // --idle: how long wscope stayed silent
	Subprotos   []string             // subprotocols offered
	// FirstRecv is the first text message received (at most 64 KiB):
	// compare reads what the backend saw from `wscope serve`'s /headers.
	FirstRecv []byte

	// ServerPings counts the pings the server sent; LastServerPing is
	// when the last one came.
	ServerPings    int
	LastServerPing time.Time
	// UnansweredPings counts the server's pings wscope did not answer with
	// a pong (--no-auto-pong) since it last answered one;
	// FirstUnansweredPing is when the first of them came. A server that
	// then closes is enforcing its own ping timeout.
	UnansweredPings     int
	FirstUnansweredPing time.Time

	// Related are other answers from the same server to help name a
	// proxy when this attempt got no answer (doctor's plain GET of the
	// same path): their Server/Via headers join the path. The final
	// handshake's PlainGet (the session's own follow-up) counts too.
	Related []*session.Handshake

	// OtherHTTP is the final handshake of the same URL over the other HTTP
	// version (HTTP/1.1 when Chain went over HTTP/2, HTTP/2 when it went
	// over HTTP/1.1), filled by doctor and compare; nil when not tried.
	// With it a finding states "HTTP/1.1 clients get 101 here" as a
	// proven fact rather than a guess.
	OtherHTTP *session.Handshake
}

// HasError reports whether any finding is an error.
func HasError(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// Diagnose applies every rule to the evidence, with the embedded
// catalogue.
func Diagnose(ev Evidence) []Finding { return Default().Diagnose(ev) }

// Diagnose applies every rule to the evidence.
func (c *Catalogue) Diagnose(ev Evidence) []Finding {
	var out []Finding
	if len(ev.Chain) == 0 {
		return out
	}
	b := &builder{cat: c, ev: ev, final: ev.Chain[len(ev.Chain)-1]}
	b.data = fixDataFor(b.final)
	final := b.final
	out = append(out, b.forwardProxyFindings()...)
	out = append(out, b.tlsFindings()...)
	out = append(out, b.redirectFindings()...)
	if final.IsHTTP2() {
		// RFC 8441: a 2xx opens the stream; there is no 101, no Upgrade
		// nor Connection, no Sec-WebSocket-Accept to check.
		out = append(out, b.h2Findings(final, ev.OtherHTTP, true)...)
		if final.Status >= 200 && final.Status < 300 {
			out = append(out, b.upgradeFindings()...)
		}
	} else {
		if final.Status != 0 && final.Status != 101 && (final.Status < 300 || final.Status > 399) {
			out = append(out, b.statusFinding())
		}
		if final.Status == 0 && ev.DialErr != nil && ev.DialErr.NoResponseHead {
			out = append(out, b.swallowedFinding())
		}
		if final.Status == 101 {
			out = append(out, b.upgradeFindings()...)
		}
		// What the HTTP/2 side says: an auto attempt that fell back, and
		// the same URL over HTTP/2 when it was tried (browsers' path).
		out = appendNew(out, b.h2Findings(final, nil, true)...)
		if o := ev.OtherHTTP; o.IsHTTP2() {
			out = appendNew(out, b.h2Findings(o, final, false)...)
		}
	}
	if ev.Closed != nil {
		out = append(out, b.closeFindings()...)
	}
	for i := range out {
		b.nameApp(&out[i])
	}
	return out
}

// appendNew appends the findings whose id is not in out yet.
func appendNew(out []Finding, fs ...Finding) []Finding {
	for _, f := range fs {
		dup := false
		for _, o := range out {
			dup = dup || o.ID == f.ID
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out
}

// nameApp names the app behind a finding it blames but could not name
// from the handshake (Node ws's 101 is byte for byte gorilla's): another
// answer from the same address (a plain GET of the same URL: ws's own
// 426 "Upgrade Required") names it, and the finding says so.
func (b *builder) nameApp(f *Finding) {
	if f.Responder.Role != RoleApp || f.Responder.Name != "" {
		return
	}
	for _, rel := range b.related() {
		a := answerOf(rel)
		at := b.cat.identify(a)
		if at.answered == nil || at.answered.Role != RoleApp {
			continue
		}
		f.Responder = at.responderOf(at.answered)
		f.Evidence = append(f.Evidence, Clue{Kind: "related",
			Text:  "a plain request to the same URL was answered " + statusText(a) + " by " + at.answered.Display,
			Means: at.answered.Display + " is the app on this address"})
		return
	}
}

// builder holds what every rule needs.
type builder struct {
	cat   *Catalogue
	ev    Evidence
	final *session.Handshake
	data  FixData
}

// fixDataFor fills the template data from a handshake.
func fixDataFor(hs *session.Handshake) FixData {
	d := FixData{Seconds: 60, SettingSeconds: 60, Suggest: "3600s", Path: "/", Backend: "APP_HOST:APP_PORT",
		Origin: "https://app.example.com", Missing: "Upgrade"}
	if u, err := session.NormalizeURL(hs.URL); err == nil {
		d.Path = u.Path
		d.Host = u.Hostname()
		d.Port = u.Port()
		if d.Port == "" {
			d.Port = map[bool]string{true: "443", false: "80"}[u.Scheme == "wss"]
		}
		d.Origin = session.BrowserOrigin(u)
	}
	if p := hs.Proxy; p != nil {
		d.Target = p.Target
		if i := strings.LastIndex(p.Target, ":"); i >= 0 {
			d.TargetPort = p.Target[i+1:]
		}
	}
	if d.Target == "" {
		d.Target = d.Host + ":" + d.Port
		d.TargetPort = d.Port
	}
	if offered := hs.RequestHeader("Sec-WebSocket-Protocol"); offered != "" {
		d.Protocol, _, _ = strings.Cut(offered, ",")
	}
	return d
}

// base starts a finding from its catalogue entry.
func (b *builder) base(id string) Finding {
	f := Finding{ID: id, Severity: Error, Title: id}
	if t, ok := b.cat.Finding(id); ok {
		f.Severity, f.Title = t.Severity, t.Title
	}
	return f
}

// fix renders finding id's fix from the responders given, in order: only
// those that have one; the generic fix when none has.
func (b *builder) fix(id string, d FixData, rs ...*ResponderSpec) string {
	t, ok := b.cat.Finding(id)
	if !ok {
		return ""
	}
	var parts []string
	seen := map[*ResponderSpec]bool{}
	var who []*ResponderSpec
	for _, r := range rs {
		if r == nil || seen[r] {
			continue
		}
		seen[r] = true
		if s, ok := r.RenderFix(t.FixKey, d); ok && t.FixKey != "" {
			parts = append(parts, s)
			who = append(who, r)
		}
	}
	switch len(parts) {
	case 0:
		return t.GenericFix(d)
	case 1:
		return parts[0]
	}
	var sb strings.Builder
	for i, p := range parts {
		if i > 0 {
			sb.WriteString("\n")
		}
		sb.WriteString(who[i].Display + ":\n" + indent(p, "  ") + "\n")
	}
	return strings.TrimRight(sb.String(), "\n")
}

// alternative is another cause, with its fix from the same responders.
func (b *builder) alternative(id, title string, d FixData, rs ...*ResponderSpec) Alternative {
	return Alternative{ID: id, Title: title, Fix: b.fix(id, d, rs...)}
}

// related are the other answers of the same server: Evidence.Related and
// the session's plain GET after an upgrade that got no answer.
func (b *builder) related() []*session.Handshake {
	out := append([]*session.Handshake(nil), b.ev.Related...)
	if b.final.PlainGet != nil {
		out = append(out, b.final.PlainGet)
	}
	return out
}

// responder returns a catalogue entry by name, nil if unknown.
func (b *builder) responder(name string) *ResponderSpec {
	r, _ := b.cat.Responder(name)
	return r
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// quoteBytes shows raw bytes safely on one line: Go-quoted (every control
// character escaped), at most n bytes.
func quoteBytes(b []byte, n int) string {
	more := ""
	if len(b) > n {
		b, more = b[:n], "…"
	}
	return fmt.Sprintf("%q", b) + more
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return raw
}

func hostOnly(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Hostname()
	}
	return raw
}

func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return strings.TrimSuffix(u.Path, "/")
	}
	return ""
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimRight(l, "\r")
}
